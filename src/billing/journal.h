/*
 * journal.h: the usage journal's segment files (BL-2), used by the meter.
 *
 * A segment is one file in the journal directory, memory-mapped MAP_SHARED,
 * of fixed-size record slots.  One thread appends to a segment (no lock, no
 * syscall: a copy into the mapping); the bytes are in the page cache as soon
 * as they are stored, so they survive kill -9 of the process.  Another
 * thread reads the records published so far and marks how many are
 * committed to the store.  At start, every segment left in the directory is
 * replayed: its records after the committed mark whose checksum holds.
 *
 * File layout (native byte order; the header says which):
 *   slot 0          header: magic, record size, capacity, sequence,
 *                   committed count (written by the consumer)
 *   slot 1..cap     records: u32 payload length, u32 CRC32 of length and
 *                   payload, payload (the event's fields; strings length-
 *                   prefixed).  A slot whose length is 0 was never written;
 *                   one whose CRC does not match is torn and skipped.
 * Files are created as NAME.tmp, allocated, given their header and renamed,
 * so a *.jnl file always has a valid header.
 */
#ifndef MG_BILLING_JOURNAL_H
#define MG_BILLING_JOURNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/usage_event.h"

/* One slot: 512 bytes hold the largest event (about 350 bytes encoded) and
 * divide a 4 KiB page, so no record straddles two pages. */
#define MG_JOURNAL_SLOT 512

struct mg_journal_seg {
    uint8_t *base;          /* the mapping: (cap + 1) slots */
    size_t cap;             /* record slots */
    uint64_t seq;           /* unique in the directory: the file is SEQ.jnl (hex) */
    _Atomic size_t head;    /* records published (the producer's store-release) */
    size_t taken;           /* consumer: records read into a batch */
    char path[512];
};

/* Creates, allocates (so a full disk fails here, not as SIGBUS on a store
 * into the mapping) and maps a new segment dir/SEQ.jnl with cap records.
 * NULL with a reason in err.  Blocking: not for the hot path except as a
 * logged fallback. */
struct mg_journal_seg *mg_journal_seg_create(const char *dir, uint64_t seq, size_t cap, char *err, size_t errlen);
/* Appends ev to seg and publishes it.  Single producer per segment.  MG_OK,
 * or MG_AGAIN if the segment is full (nothing written). */
int mg_journal_seg_append(struct mg_journal_seg *seg, const struct mg_usage_event *ev);
/* Decodes published record i (0-based, i < head) into ev.  Consumer side. */
void mg_journal_seg_read(const struct mg_journal_seg *seg, size_t i, struct mg_usage_event *ev);
/* Records [0, n) are in the store: a replay after a crash starts at n. */
void mg_journal_seg_mark_committed(struct mg_journal_seg *seg, size_t n);
/* Unmaps and, when `unlink_file`, deletes the file.  NULL is fine. */
void mg_journal_seg_free(struct mg_journal_seg *seg, int unlink_file);

struct mg_journal_replay_stats {
    size_t segments;  /* *.jnl files read */
    size_t events;    /* records handed to cb */
    size_t torn;      /* written slots with a bad length or checksum, skipped */
    uint64_t max_seq; /* largest segment sequence seen (0 if none) */
};

typedef int (*mg_journal_event_cb)(void *arg, const struct mg_usage_event *ev);

/* Calls cb for every uncommitted, intact record of every segment in dir, in
 * segment order; stops at the first cb error (returned).  MG_ERR also if a
 * *.jnl file cannot be read or has a foreign header (named in the log).
 * Leftover *.tmp files are deleted. */
int mg_journal_replay(const char *dir, mg_journal_event_cb cb, void *arg, struct mg_journal_replay_stats *st);
/* Deletes every *.jnl file in dir (after a replay was committed). */
int mg_journal_remove_all(const char *dir);

#endif
