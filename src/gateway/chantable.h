/*
 * chantable.h: the gateway's channels as a fixed table of slots, changed
 * while the server runs (an admin adds, edits or removes a database channel)
 * and read by every loop thread's pick without a lock.
 *
 * A slot's word is gen << 2 | state.  The admin path (a worker thread, under
 * the table's lock) fills a FREE slot's channel, then publishes it with a
 * release store of LIVE and a new generation; a pick loads the word with
 * acquire and reads the channel only when it is LIVE.  An edit publishes a
 * new version in another slot and retires the old one; a removal retires.
 * A RETIRED slot takes no new pick, but requests already on it finish on it:
 * its memory (name, key header, TLS context) stays until every loop thread
 * (a reader) has said, by storing the slot's generation in its acked[], that
 * it has no request on it and has closed its idle connections to it.  Only
 * then is it disposed (its key wiped) and may it be filled again: by the
 * reader that let go last if the lock is free, else by the next change.
 * A reader looks again whenever the table's epoch moves (each retirement),
 * on its next request or its periodic sweep.
 */
#ifndef MG_GATEWAY_CHANTABLE_H
#define MG_GATEWAY_CHANTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "gateway/channel.h"

#define MG_MAX_CHANNELS 64 /* live channels per gateway (config + database); far beyond a reseller's accounts */
/* live channels plus as many old versions still finishing their requests after an edit */
#define MG_CHANNEL_SLOTS (2 * MG_MAX_CHANNELS)
#define MG_CHAN_READERS 256 /* loop threads ([server] threads is at most 256) */

enum mg_slot_state { MG_SLOT_FREE = 0, MG_SLOT_LIVE = 1, MG_SLOT_RETIRED = 2 };

#define MG_SLOT_STATE(w) ((int)((w) & 3u))
#define MG_SLOT_GEN(w) ((uint32_t)(w) >> 2)

struct mg_chan_slot {
    _Atomic uint32_t word; /* gen << 2 | state */
    struct mg_channel ch;  /* written only while FREE, under the lock */
};

/* One loop thread's word on retired slots (it writes; the admin path reads). */
struct mg_chan_reader {
    _Atomic uint32_t acked[MG_CHANNEL_SLOTS]; /* generation of a retired slot this thread no longer uses */
};

struct mg_chantable {
    struct mg_chan_slot slot[MG_CHANNEL_SLOTS];
    _Atomic size_t n;       /* slots ever filled: picks look at [0, n) */
    _Atomic uint64_t epoch; /* moves at each retirement: readers look again */
    pthread_mutex_t lock;   /* changes and readers joining; never taken on the request path */
    _Atomic size_t live;    /* LIVE slots: changed under the lock, read by /readyz without it */
    struct mg_chan_reader *readers[MG_CHAN_READERS];
    size_t nreaders;
};

void mg_chantable_init(struct mg_chantable *t);
/* Disposes every channel still in the table (their keys are wiped).  No reader may be left. */
void mg_chantable_free(struct mg_chantable *t);

/* ---- the admin path: under mg_chantable_lock ----------------------------------------------------------- */
void mg_chantable_lock(struct mg_chantable *t);
void mg_chantable_unlock(struct mg_chantable *t);
/* A FREE slot to fill (a retired slot that every reader let go of is disposed and freed first), or -1 when
 * every slot is live or still has requests on it. */
int mg_chantable_claim(struct mg_chantable *t);
/* Makes claimed slot i (its channel set up) LIVE with a new generation: picks see it from now on. */
void mg_chantable_publish(struct mg_chantable *t, int i);
/* Takes LIVE slot i out of new picks; its requests finish; it is freed once every reader let go. */
void mg_chantable_retire(struct mg_chantable *t, int i);
/* The LIVE slot of the channel named name, or -1. */
int mg_chantable_find(struct mg_chantable *t, const char *name);
/* Disposes every retired slot that every reader let go of (its key is wiped now rather than at reuse). */
void mg_chantable_reclaim(struct mg_chantable *t);
/* The same from a loop thread that just let go of a slot: only when the lock is free at once (a change
 * may be making a TLS context under it), else the next change does it.  Never waits. */
void mg_chantable_try_reclaim(struct mg_chantable *t);

/* ---- loop threads --------------------------------------------------------------------------------------- */
/* Registers r (zeroed by the caller) for a loop thread; it has no request on any slot yet.  Takes the lock. */
void mg_chantable_join(struct mg_chantable *t, struct mg_chan_reader *r);
/* The thread ends: its word is no longer waited for.  Takes the lock. */
void mg_chantable_leave(struct mg_chantable *t, struct mg_chan_reader *r);

static inline uint32_t mg_chantable_word(const struct mg_chantable *t, size_t i)
{
    return atomic_load_explicit(&t->slot[i].word, memory_order_acquire);
}

static inline size_t mg_chantable_size(const struct mg_chantable *t)
{
    return atomic_load_explicit(&t->n, memory_order_acquire);
}

/* Reader r no longer uses retired slot i of generation gen (no request, no connection). */
static inline void mg_chantable_ack(struct mg_chan_reader *r, size_t i, uint32_t gen)
{
    atomic_store_explicit(&r->acked[i], gen, memory_order_release);
}

#endif
