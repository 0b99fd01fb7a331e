/* chantable.c: the slot table of the gateway's channels (see chantable.h for the protocol). */
#include "gateway/chantable.h"

#include <assert.h>
#include <string.h>

void mg_chantable_init(struct mg_chantable *t)
{
    memset(t, 0, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
}

void mg_chantable_free(struct mg_chantable *t)
{
    size_t n = mg_chantable_size(t);
    for (size_t i = 0; i < n; i++)
        if (MG_SLOT_STATE(mg_chantable_word(t, i)) != MG_SLOT_FREE)
            mg_channel_dispose(&t->slot[i].ch);
    pthread_mutex_destroy(&t->lock);
}

void mg_chantable_lock(struct mg_chantable *t) { pthread_mutex_lock(&t->lock); }

void mg_chantable_unlock(struct mg_chantable *t) { pthread_mutex_unlock(&t->lock); }

/* 1 when every reader has stored retired slot i's generation: none of them uses it. */
static int let_go(struct mg_chantable *t, size_t i, uint32_t gen)
{
    for (size_t r = 0; r < t->nreaders; r++)
        if (atomic_load_explicit(&t->readers[r]->acked[i], memory_order_acquire) != gen)
            return 0;
    return 1;
}

/* Frees retired slot i when no reader uses it any more; 1 if it is FREE now. */
static int free_if_done(struct mg_chantable *t, size_t i)
{
    uint32_t w = mg_chantable_word(t, i);
    if (MG_SLOT_STATE(w) == MG_SLOT_FREE)
        return 1;
    if (MG_SLOT_STATE(w) != MG_SLOT_RETIRED || !let_go(t, i, MG_SLOT_GEN(w)))
        return 0;
    mg_channel_dispose(&t->slot[i].ch); /* wipes the key */
    atomic_store_explicit(&t->slot[i].word, MG_SLOT_GEN(w) << 2 | MG_SLOT_FREE, memory_order_release);
    return 1;
}

int mg_chantable_claim(struct mg_chantable *t)
{
    size_t n = mg_chantable_size(t);
    for (size_t i = 0; i < n; i++)
        if (free_if_done(t, i))
            return (int)i;
    return n < MG_CHANNEL_SLOTS ? (int)n : -1;
}

void mg_chantable_publish(struct mg_chantable *t, int i)
{
    uint32_t gen = MG_SLOT_GEN(mg_chantable_word(t, (size_t)i)) + 1;
    atomic_store_explicit(&t->slot[i].word, gen << 2 | MG_SLOT_LIVE, memory_order_release);
    if ((size_t)i >= mg_chantable_size(t))
        atomic_store_explicit(&t->n, (size_t)i + 1, memory_order_release);
    t->live++;
}

void mg_chantable_retire(struct mg_chantable *t, int i)
{
    uint32_t w = mg_chantable_word(t, (size_t)i);
    if (MG_SLOT_STATE(w) != MG_SLOT_LIVE)
        return;
    atomic_store_explicit(&t->slot[i].word, MG_SLOT_GEN(w) << 2 | MG_SLOT_RETIRED, memory_order_release);
    atomic_fetch_add(&t->epoch, 1); /* after the word: a reader that sees the new epoch sees RETIRED */
    t->live--;
}

int mg_chantable_find(struct mg_chantable *t, const char *name)
{
    size_t n = mg_chantable_size(t);
    for (size_t i = 0; i < n; i++)
        if (MG_SLOT_STATE(mg_chantable_word(t, i)) == MG_SLOT_LIVE && strcmp(t->slot[i].ch.spec.name, name) == 0)
            return (int)i;
    return -1;
}

void mg_chantable_reclaim(struct mg_chantable *t)
{
    size_t n = mg_chantable_size(t);
    for (size_t i = 0; i < n; i++)
        free_if_done(t, i);
}

void mg_chantable_try_reclaim(struct mg_chantable *t)
{
    if (pthread_mutex_trylock(&t->lock) != 0)
        return;
    mg_chantable_reclaim(t);
    pthread_mutex_unlock(&t->lock);
}

void mg_chantable_join(struct mg_chantable *t, struct mg_chan_reader *r)
{
    mg_chantable_lock(t);
    /* a new thread has no request on what was retired before it came */
    size_t n = mg_chantable_size(t);
    for (size_t i = 0; i < n; i++) {
        uint32_t w = mg_chantable_word(t, i);
        if (MG_SLOT_STATE(w) == MG_SLOT_RETIRED)
            mg_chantable_ack(r, i, MG_SLOT_GEN(w));
    }
    assert(t->nreaders < MG_CHAN_READERS); /* the server starts at most MAX_THREADS loop threads */
    t->readers[t->nreaders++] = r;
    mg_chantable_unlock(t);
}

void mg_chantable_leave(struct mg_chantable *t, struct mg_chan_reader *r)
{
    mg_chantable_lock(t);
    for (size_t i = 0; i < t->nreaders; i++)
        if (t->readers[i] == r) {
            t->readers[i] = t->readers[--t->nreaders];
            break;
        }
    mg_chantable_unlock(t);
}
