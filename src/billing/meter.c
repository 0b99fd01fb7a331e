/*
 * meter.c: usage events that survive a crash and are committed once (BL-2).
 *
 * Lanes.  Every thread that records gets a lane of its own on its first
 * event (a thread-local cache maps meter -> lane): a ring of journal
 * segments with one producer (that thread) and one consumer (the writer).
 *   producer  copies the event into the current segment and publishes it
 *             (journal.c); when the segment is full it takes the spare the
 *             writer prepared and advances `wseg`.  No lock, no syscall.
 *   consumer  reads what each lane published, commits it in one transaction
 *             (INSERT OR IGNORE by request id), marks it committed in the
 *             segment's header, deletes segments that are full and
 *             committed (advancing `cseg`), and prepares a spare per lane.
 * The ring holds at most max_segments segments per lane: the ceiling.  A
 * producer that would need more (the writer is stuck, e.g. the database is
 * down) does not block: the event is logged as not journaled, MG_ERR.  Half
 * way to the ceiling every roll logs that the writer is behind.  Threads
 * beyond LANES_MAX share one extra lane under a mutex.
 *
 * Spend: every recorded event adds its cost to the spend table
 * (billing/spendtable.h) that caps and alerts read, without a lock.
 *
 * open():  replays the journal (journal.c) into the store, then deletes the
 * segments.  Replaying an event that was already committed is a no-op, so a
 * crash between commit and mark (or mark and delete) never bills twice.
 */
#include "billing/meter.h"
#include "billing/journal.h"
#include "billing/spendtable.h"
#include "billing/spendword.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mg.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 512            /* events per transaction: bounds a commit's time */
#define GROUP_WAIT_NS 10000000L  /* 10 ms between writer passes: at most ~100 commits (fsyncs) a second */
#define RETRY_WAIT_NS 200000000L /* a refused commit is retried after 200 ms */
#define CLOSE_RETRIES 5          /* at close, give up after ~1 s: the journal keeps the events for the next open */
#define LANES_MAX 64             /* threads with a lane of their own; more than loop threads + workers ever are */
/* 8192 slots of 512 bytes: 4 MiB files, a roll every 8192 events per thread. */
#define SEGMENT_RECORDS 8192
/* Per lane, 128 x 4 MiB = 512 MiB of disk and ~1M events (minutes of a busy
 * thread's traffic) may wait for a stuck writer before events are refused. */
#define SEGMENTS_MAX 128
#define TL_CACHE 4 /* meters a thread records to at once (one in maxgated; tests open several) */
/* Last-used: the writer writes a key's last-used time from its events at most once a minute of event
 * time (KY-3), remembering when per key in a direct-mapped table; two keys sharing a slot are written
 * more often, never less. */
#define USED_EVERY_MS 60000
#define USED_SLOTS 4096

struct used_memo {
    int64_t key_id, written_ms;
};


struct lane {
    _Alignas(64) _Atomic int active;   /* ring and first segment are ready */
    struct mg_journal_seg **ring;      /* max_segments entries, indexed by segment number mod max_segments */
    _Atomic uint64_t wseg;             /* producer: number of the segment being written */
    _Atomic uint64_t cseg;             /* consumer: number of the oldest segment not deleted */
    struct mg_journal_seg *_Atomic spare;
    pthread_mutex_t *shared;           /* the overflow lane's producers take it; NULL otherwise */
    unsigned id;
    int64_t month, month_lo, month_hi; /* producer: cached UTC month of [lo, hi) ms */
    int start_failed;                  /* producer: the last lane_start could not create a segment */
};

struct mg_meter {
    uint64_t id; /* tells thread-local caches apart from a meter freed at the same address */
    char *dir;
    size_t seg_records, max_segments;
    struct mg_store *store;
    _Atomic uint64_t seq;    /* next segment sequence number */
    _Atomic unsigned nclaimed;
    struct lane *lanes;      /* LANES_MAX own lanes + the overflow lane */
    pthread_mutex_t overflow_lock;
    struct mg_journal_seg *_Atomic ready; /* the next claimed lane's first segment */
    pthread_mutex_t drain;   /* one consumer at a time: the writer or mg_meter_flush */
    struct mg_usage_event *batch;
    struct used_memo used[USED_SLOTS]; /* under drain */
    pthread_mutex_t lock;    /* the writer's sleep and the stop flag */
    pthread_cond_t wake;
    int stop, have_thread;
    void (*committed)(void *arg, struct mg_store *s, const struct mg_usage_event *ev, size_t n);
    void *committed_arg;
    pthread_t thread;
    struct mg_spend_table *spend; /* month spend and holds per account, key and family */
};

static _Atomic uint64_t next_meter_id = 1;
static _Thread_local struct {
    uint64_t meter;
    struct lane *lane;
} tl_lanes[TL_CACHE];
static _Thread_local unsigned tl_next;

/* ---- spend (billing/spendtable.h) ---------------------------------------- */

struct spend_load {
    struct mg_meter *m;
    int64_t month;
};

static int load_spend(void *arg, int64_t account_id, int64_t key_id, const char *service, int64_t micros)
{
    struct spend_load *l = arg;
    mg_spend_add_usage(l->m->spend, account_id, key_id, service, l->month, micros, NULL, NULL);
    return MG_OK;
}

int64_t mg_meter_spend(struct mg_meter *m, int64_t account_id) { return mg_spend_get(m->spend, account_id); }

int64_t mg_meter_last_month_spend(struct mg_meter *m, int64_t account_id)
{
    return mg_spend_get_month(m->spend, account_id, mg_month_of(mg_now_ms()) - 1);
}

int64_t mg_meter_key_spend(struct mg_meter *m, int64_t key_id)
{
    return mg_spend_get(m->spend, mg_meter_key_spender(key_id));
}

int64_t mg_meter_service_spend(struct mg_meter *m, int64_t account_id, int service)
{
    return mg_spend_get(m->spend, mg_meter_service_spender(account_id, service));
}

_Atomic uint64_t *mg_meter_held_word(struct mg_meter *m, int64_t spender) { return mg_spend_held(m->spend, spender); }

/* ---- the previous format: one file of JSON lines -------------------------- */

static int parse_line(const char *line, struct mg_usage_event *e)
{
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return MG_DECLINED;
    }
    memset(e, 0, sizeof(*e));
#define S(f) mg_strlcpy(e->f, json_string_value(json_object_get(o, #f)) ? json_string_value(json_object_get(o, #f)) : "", sizeof(e->f))
#define I(f) e->f = (int64_t)json_integer_value(json_object_get(o, #f))
    S(request_id); S(key_public_id); S(model); S(service); S(route);
    I(ts_ms); I(account_id); I(key_id); I(input_tokens); I(output_tokens); I(cached_tokens); I(characters);
    I(images); I(videos); I(tracks); I(voices); I(cost_micros);
#undef S
#undef I
    e->http_status = (int)json_integer_value(json_object_get(o, "http_status"));
    e->estimated = json_is_true(json_object_get(o, "estimated"));
    json_decref(o);
    return e->request_id[0] ? MG_OK : MG_DECLINED;
}

/* Batches replayed events into the store, 64 per transaction. */
struct replay_batch {
    struct mg_store *store;
    struct mg_usage_event ev[64];
    size_t n, total;
};

static int replay_flush(struct replay_batch *b)
{
    int rc = b->n ? b->store->ops->usage_insert(b->store, b->ev, b->n) : MG_OK;
    b->total += b->n;
    b->n = 0;
    return rc;
}

static int replay_add(void *arg, const struct mg_usage_event *ev)
{
    struct replay_batch *b = arg;
    b->ev[b->n++] = *ev;
    return b->n == MG_ARRAY_SIZE(b->ev) ? replay_flush(b) : MG_OK;
}

/* Replays every complete line of a one-file journal; a torn last line (a
 * crash in the middle of write) is skipped: its response never completed. */
static int replay_legacy(struct replay_batch *b, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    struct mg_usage_event ev;
    int rc = MG_OK;
    if (f == NULL)
        return MG_ERR;
    while (rc == MG_OK && (len = getline(&line, &cap, f)) > 0)
        if (line[len - 1] == '\n' && parse_line(line, &ev) == MG_OK)
            rc = replay_add(b, &ev);
    free(line);
    fclose(f);
    return rc == MG_OK ? replay_flush(b) : rc;
}

/* Brings whatever a previous process left into the store and leaves an
 * empty journal directory. */
static int replay(struct mg_meter *m, char *err, size_t errlen)
{
    struct replay_batch *b = mg_calloc(1, sizeof(*b));
    struct mg_journal_replay_stats st;
    struct stat sb;
    int rc = MG_OK;
    b->store = m->store;
    if (stat(m->dir, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (replay_legacy(b, m->dir) != MG_OK || unlink(m->dir) != 0) {
            snprintf(err, errlen, "cannot replay usage journal %s", m->dir);
            rc = MG_ERR;
            goto done;
        }
        mg_log(MG_LOG_INFO, "usage journal: replayed %zu events from the one-file journal %s; it is a directory now",
               b->total, m->dir);
        b->total = 0;
    }
    if (mkdir(m->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the usage journal directory %s: %s", m->dir, strerror(errno));
        rc = MG_ERR;
        goto done;
    }
    if (mg_journal_replay(m->dir, replay_add, b, &st) != MG_OK || replay_flush(b) != MG_OK ||
        mg_journal_remove_all(m->dir) != MG_OK) {
        snprintf(err, errlen, "cannot replay usage journal %s", m->dir);
        rc = MG_ERR;
        goto done;
    }
    atomic_store(&m->seq, st.max_seq + 1);
    if (st.segments)
        mg_log(MG_LOG_INFO,
               "usage journal: replayed %zu events from %zu segments (already-committed ones are skipped)%s",
               st.events, st.segments, st.torn ? "; skipped torn records" : "");
    if (st.torn)
        mg_log(MG_LOG_WARN, "usage journal: %zu torn records (a crash while writing them) skipped", st.torn);
done:
    free(b);
    return rc;
}

/* ---- lanes (producer side) ------------------------------------------------ */

static struct mg_journal_seg *new_segment(struct mg_meter *m)
{
    char err[700];
    struct mg_journal_seg *s = mg_journal_seg_create(m->dir, atomic_fetch_add(&m->seq, 1), m->seg_records, err, sizeof(err));
    if (s == NULL)
        mg_log(MG_LOG_ERROR, "usage journal: %s", err);
    return s;
}

/* The first event of a thread: the ring, and the segment the writer keeps
 * ready (created here only if it has none). */
static void lane_start(struct mg_meter *m, struct lane *l)
{
    struct mg_journal_seg *s = atomic_exchange(&m->ready, NULL);
    if (s == NULL)
        s = new_segment(m);
    l->start_failed = s == NULL;
    if (s == NULL)
        return;
    l->ring = mg_calloc(m->max_segments, sizeof(*l->ring));
    l->ring[0] = s;
    atomic_store_explicit(&l->active, 1, memory_order_release);
}

static struct lane *lane_for(struct mg_meter *m)
{
    for (unsigned i = 0; i < TL_CACHE; i++)
        if (tl_lanes[i].meter == m->id)
            return tl_lanes[i].lane;
    unsigned n = atomic_fetch_add(&m->nclaimed, 1);
    struct lane *l;
    if (n < LANES_MAX) {
        l = &m->lanes[n];
        lane_start(m, l);
    } else {
        if (n == LANES_MAX)
            mg_log(MG_LOG_WARN, "usage meter: more than %d threads record; the others share one locked lane",
                   LANES_MAX);
        l = &m->lanes[LANES_MAX];
    }
    unsigned slot = tl_next++ % TL_CACHE;
    tl_lanes[slot].meter = m->id;
    tl_lanes[slot].lane = l;
    return l;
}

/* The current segment is full: move to the next, unless the ceiling is
 * reached. */
static int roll(struct mg_meter *m, struct lane *l, const struct mg_usage_event *ev)
{
    uint64_t w = atomic_load_explicit(&l->wseg, memory_order_relaxed);
    uint64_t waiting = w + 1 - atomic_load_explicit(&l->cseg, memory_order_acquire);
    if (waiting >= m->max_segments) {
        mg_log(MG_LOG_ERROR,
               "usage journal full (lane %u: %llu segments of %zu events wait for the writer; is the database "
               "down?): event %s of account %lld, %lld micros, NOT journaled",
               l->id, (unsigned long long)waiting, m->seg_records, ev->request_id, (long long)ev->account_id,
               (long long)ev->cost_micros);
        return MG_ERR;
    }
    if (waiting * 2 >= m->max_segments)
        mg_log(MG_LOG_WARN, "usage journal: the writer is behind (lane %u: %llu of at most %zu segments wait)", l->id,
               (unsigned long long)waiting, m->max_segments);
    struct mg_journal_seg *s = atomic_exchange(&l->spare, NULL);
    if (s == NULL) {
        mg_log(MG_LOG_WARN, "usage journal: lane %u rolled before the writer prepared a segment", l->id);
        if ((s = new_segment(m)) == NULL)
            return MG_ERR;
    }
    l->ring[(w + 1) % m->max_segments] = s;
    atomic_store_explicit(&l->wseg, w + 1, memory_order_release);
    return MG_OK;
}

static int append(struct mg_meter *m, struct lane *l, const struct mg_usage_event *ev)
{
    if (!atomic_load_explicit(&l->active, memory_order_relaxed)) {
        /* The overflow lane starts on its first event; a lane whose first
         * segment could not be created tries again. */
        lane_start(m, l);
        if (l->start_failed) {
            mg_log(MG_LOG_ERROR, "usage journal: no segment (see above): event %s of account %lld, %lld micros, "
                                 "NOT journaled", ev->request_id, (long long)ev->account_id, (long long)ev->cost_micros);
            return MG_ERR;
        }
    }
    struct mg_journal_seg **cur = &l->ring[atomic_load_explicit(&l->wseg, memory_order_relaxed) % m->max_segments];
    if (mg_journal_seg_append(*cur, ev) == MG_OK)
        return MG_OK;
    if (roll(m, l, ev) != MG_OK)
        return MG_ERR;
    return mg_journal_seg_append(l->ring[atomic_load_explicit(&l->wseg, memory_order_relaxed) % m->max_segments],
                                 ev);
}

int mg_meter_checkpoint(struct mg_meter *m, const struct mg_usage_event *ev)
{
    struct lane *l = lane_for(m);
    assert(ev->checkpoint);
    if (l->shared)
        pthread_mutex_lock(l->shared);
    int rc = append(m, l, ev); /* no spend: the stream's event, or the settle at the next open, counts it */
    if (l->shared)
        pthread_mutex_unlock(l->shared);
    return rc;
}

int mg_meter_record(struct mg_meter *m, const struct mg_usage_event *ev)
{
    static const struct mg_meter_hold none;
    return mg_meter_record_settle(m, ev, none, none);
}

int mg_meter_record_settle(struct mg_meter *m, const struct mg_usage_event *ev, struct mg_meter_hold account,
                           struct mg_meter_hold key)
{
    struct lane *l = lane_for(m);
    if (l->shared)
        pthread_mutex_lock(l->shared);
    int rc = append(m, l, ev);
    if (ev->ts_ms < l->month_lo || ev->ts_ms >= l->month_hi) {
        l->month = mg_month_of(ev->ts_ms);
        l->month_lo = mg_month_start_ms(l->month);
        l->month_hi = mg_month_start_ms(l->month + 1);
    }
    int64_t month = l->month;
    if (l->shared)
        pthread_mutex_unlock(l->shared);
    mg_spend_add_usage(m->spend, ev->account_id, ev->key_id, ev->service, month, ev->cost_micros, &account, &key);
    mg_metrics_usage_event(ev->cost_micros);
    return rc;
}

/* ---- the writer (consumer side) ------------------------------------------- */

/* The writer walks every lane a thread has started (the own lanes, then the
 * overflow lane); 65 relaxed loads a pass. */
static struct lane *started_lane(struct mg_meter *m, size_t i)
{
    struct lane *l = &m->lanes[i];
    return atomic_load_explicit(&l->active, memory_order_acquire) ? l : NULL;
}

struct mark {
    struct mg_journal_seg *seg;
    size_t from, upto;
};

static void sleep_ns(struct mg_meter *m, long ns)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += ns;
    while (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->lock);
    if (!m->stop)
        pthread_cond_timedwait(&m->wake, &m->lock, &until);
    pthread_mutex_unlock(&m->lock);
}

static int stopping(struct mg_meter *m)
{
    pthread_mutex_lock(&m->lock);
    int s = m->stop;
    pthread_mutex_unlock(&m->lock);
    return s;
}

/* After a commit: the keys of ev[0..n) whose last-used was not written for
 * a minute get it written (one statement per key, not per request). */
static void write_last_used(struct mg_meter *m, const struct mg_usage_event *ev, size_t n)
{
    int64_t ids[BATCH_MAX], at[BATCH_MAX];
    struct used_memo *slot[BATCH_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct used_memo *u = &m->used[(uint64_t)ev[i].key_id * 2654435761u % USED_SLOTS];
        if (ev[i].key_id <= 0 || (u->key_id == ev[i].key_id && ev[i].ts_ms < u->written_ms + USED_EVERY_MS))
            continue;
        u->key_id = ev[i].key_id;
        u->written_ms = ev[i].ts_ms;
        slot[k] = u;
        ids[k] = ev[i].key_id;
        at[k++] = ev[i].ts_ms;
    }
    if (k == 0 || m->store->ops->keys_touch(m->store, ids, at, k) == MG_OK)
        return;
    mg_log(MG_LOG_WARN, "usage writer: could not write the last-used time of %zu keys; the next use retries", k);
    for (size_t i = 0; i < k; i++)
        slot[i]->key_id = 0;
}

/* One group commit: up to BATCH_MAX published events from all lanes.  Sets
 * *n to the number committed; MG_ERR if the store refused them (at close,
 * after CLOSE_RETRIES; before, it retries until it succeeds or close). */
static int commit_once(struct mg_meter *m, size_t *n_out, int limited_retries)
{
    struct mark marks[BATCH_MAX];
    size_t n = 0, nm = 0;
    struct lane *l;
    *n_out = 0;
    for (size_t i = 0; i <= LANES_MAX; i++) {
        if ((l = started_lane(m, i)) == NULL)
            continue;
        uint64_t c = atomic_load_explicit(&l->cseg, memory_order_relaxed);
        uint64_t w = atomic_load_explicit(&l->wseg, memory_order_acquire);
        for (uint64_t k = c; k <= w && n < BATCH_MAX; k++) {
            struct mg_journal_seg *s = l->ring[k % m->max_segments];
            size_t h = atomic_load_explicit(&s->head, memory_order_acquire), from = s->taken;
            while (s->taken < h && n < BATCH_MAX)
                mg_journal_seg_read(s, s->taken++, &m->batch[n++]);
            if (s->taken > from)
                marks[nm++] = (struct mark){s, from, s->taken};
        }
    }
    if (n == 0)
        return MG_OK;
    for (int tries = 0; m->store->ops->usage_insert(m->store, m->batch, n) != MG_OK; tries++) {
        /* The journal still holds these; retry rather than drop. */
        if ((limited_retries || stopping(m)) && tries >= CLOSE_RETRIES) {
            mg_log(MG_LOG_ERROR, "usage journal: the store refused %zu events; they stay in %s for the next start", n,
                   m->dir);
            for (size_t i = 0; i < nm; i++) /* not committed: read them again next time */
                marks[i].seg->taken = marks[i].from;
            return MG_ERR;
        }
        sleep_ns(m, RETRY_WAIT_NS);
    }
    for (size_t i = 0; i < nm; i++)
        mg_journal_seg_mark_committed(marks[i].seg, marks[i].upto);
    *n_out = n;
    write_last_used(m, m->batch, n);
    if (m->committed != NULL)
        m->committed(m->committed_arg, m->store, m->batch, n);
    return MG_OK;
}

/* Deletes each lane's full, committed segments the producer has left, and
 * prepares a spare per lane and one for the next lane claimed. */
static void retire_and_prepare(struct mg_meter *m)
{
    struct lane *l;
    for (size_t i = 0; i <= LANES_MAX; i++) {
        if ((l = started_lane(m, i)) == NULL)
            continue;
        uint64_t c = atomic_load_explicit(&l->cseg, memory_order_relaxed);
        uint64_t w = atomic_load_explicit(&l->wseg, memory_order_acquire);
        while (c < w && l->ring[c % m->max_segments]->taken == m->seg_records) {
            mg_journal_seg_free(l->ring[c % m->max_segments], 1);
            l->ring[c % m->max_segments] = NULL;
            atomic_store_explicit(&l->cseg, ++c, memory_order_release);
        }
        if (atomic_load_explicit(&l->spare, memory_order_acquire) == NULL && w + 1 - c < m->max_segments) {
            struct mg_journal_seg *s = new_segment(m);
            if (s != NULL)
                atomic_store_explicit(&l->spare, s, memory_order_release);
        }
    }
    if (atomic_load(&m->ready) == NULL && atomic_load(&m->nclaimed) < LANES_MAX) {
        struct mg_journal_seg *s = new_segment(m);
        struct mg_journal_seg *expected = NULL;
        if (s != NULL && !atomic_compare_exchange_strong(&m->ready, &expected, s))
            mg_journal_seg_free(s, 1);
    }
}

/* Commits until nothing published is left.  Caller holds m->drain. */
static int drain(struct mg_meter *m, int limited_retries)
{
    size_t n;
    int rc;
    do
        rc = commit_once(m, &n, limited_retries);
    while (rc == MG_OK && n == BATCH_MAX);
    return rc;
}

int mg_meter_flush(struct mg_meter *m)
{
    pthread_mutex_lock(&m->drain);
    int rc = drain(m, 1);
    retire_and_prepare(m);
    pthread_mutex_unlock(&m->drain);
    return rc;
}

static void *writer(void *arg)
{
    struct mg_meter *m = arg;
    while (!stopping(m)) {
        size_t n = 0;
        pthread_mutex_lock(&m->drain);
        commit_once(m, &n, 0);
        retire_and_prepare(m);
        pthread_mutex_unlock(&m->drain);
        /* Group commit: a full batch goes again at once; otherwise wait for
         * more, so one fsync covers many events.  The journal holds them
         * meanwhile, and loop threads never wake us (that would be a futex
         * call on their path). */
        if (n < BATCH_MAX)
            sleep_ns(m, GROUP_WAIT_NS);
    }
    return NULL;
}

/* ---- open and close ------------------------------------------------------- */

static void free_segments(struct mg_meter *m, int unlink_files)
{
    struct lane *l;
    for (size_t i = 0; i <= LANES_MAX; i++) {
        if ((l = started_lane(m, i)) == NULL)
            continue;
        uint64_t w = atomic_load(&l->wseg);
        for (uint64_t k = atomic_load(&l->cseg); k <= w; k++)
            mg_journal_seg_free(l->ring[k % m->max_segments], unlink_files);
        mg_journal_seg_free(atomic_exchange(&l->spare, NULL), 1);
    }
    mg_journal_seg_free(atomic_exchange(&m->ready, NULL), 1);
    for (size_t i = 0; i <= LANES_MAX; i++)
        free(m->lanes[i].ring);
}

static void meter_free(struct mg_meter *m)
{
    if (m->store)
        m->store->ops->close(m->store);
    pthread_mutex_destroy(&m->overflow_lock);
    pthread_mutex_destroy(&m->drain);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->wake);
    free(m->batch);
    free(m->lanes);
    free(m->dir);
    mg_spend_table_free(m->spend);
    free(m);
}

struct mg_meter *mg_meter_open_opts(const char *store_spec, const char *journal_dir, const struct mg_meter_opts *opts,
                                    char *err, size_t errlen)
{
    struct mg_meter *m = mg_calloc(1, sizeof(*m));
    m->id = atomic_fetch_add(&next_meter_id, 1);
    m->dir = mg_strdup(journal_dir);
    m->seg_records = opts && opts->segment_records ? opts->segment_records : SEGMENT_RECORDS;
    m->max_segments = opts && opts->max_segments ? MG_MAX(opts->max_segments, (size_t)2) : SEGMENTS_MAX;
    m->committed = opts ? opts->committed : NULL;
    m->committed_arg = opts ? opts->committed_arg : NULL;
    m->batch = mg_malloc(BATCH_MAX * sizeof(*m->batch));
    m->spend = mg_spend_table_new();
    m->lanes = mg_calloc(LANES_MAX + 1, sizeof(*m->lanes));
    for (unsigned i = 0; i <= LANES_MAX; i++)
        m->lanes[i].id = i;
    m->lanes[LANES_MAX].shared = &m->overflow_lock;
    atomic_store(&m->seq, 1);
    pthread_mutex_init(&m->overflow_lock, NULL);
    pthread_mutex_init(&m->drain, NULL);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    if ((m->store = mg_store_open(store_spec, err, errlen)) == NULL)
        goto fail;
    if (replay(m, err, errlen) != MG_OK)
        goto fail;
    {
        size_t settled = 0;
        if (m->store->ops->usage_settle_checkpoints(m->store, &settled) != MG_OK) {
            snprintf(err, errlen, "cannot settle the checkpoints of interrupted streams in the database");
            goto fail;
        }
        if (settled > 0)
            mg_log(MG_LOG_WARN, "usage: %zu stream(s) were open when the previous process stopped; billed from their "
                   "last checkpoint (estimated, status 503)", settled);
    }
    { /* this month's spend, and the last month's (a wallet's, until that month is invoiced) */
        int64_t month = mg_month_of(mg_now_ms());
        for (int64_t mo = month - 1; mo <= month; mo++) {
            struct spend_load l = {m, mo};
            if (m->store->ops->usage_spend_all(m->store, mg_month_start_ms(mo), mg_month_start_ms(mo + 1), load_spend,
                                               &l) != MG_OK) {
                snprintf(err, errlen, "cannot read this month's and the last month's spend from the database");
                goto fail;
            }
        }
    }
    if ((m->ready = new_segment(m)) == NULL) {
        snprintf(err, errlen, "cannot create a usage journal segment in %s (see the log)", journal_dir);
        goto fail;
    }
    if (!(opts && opts->no_writer)) {
        if (pthread_create(&m->thread, NULL, writer, m) != 0) {
            snprintf(err, errlen, "cannot start the usage writer thread");
            goto fail;
        }
        m->have_thread = 1;
    }
    return m;
fail:
    mg_journal_seg_free(atomic_exchange(&m->ready, NULL), 1);
    meter_free(m);
    return NULL;
}

struct mg_meter *mg_meter_open(const char *store_spec, const char *journal_dir, char *err, size_t errlen)
{
    return mg_meter_open_opts(store_spec, journal_dir, NULL, err, errlen);
}

void mg_meter_close(struct mg_meter *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    m->stop = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    if (m->have_thread)
        pthread_join(m->thread, NULL);
    pthread_mutex_lock(&m->drain);
    int rc = drain(m, 1);
    pthread_mutex_unlock(&m->drain);
    free_segments(m, rc == MG_OK);
    meter_free(m);
}
