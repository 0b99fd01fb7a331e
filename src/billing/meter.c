/*
 * meter.c: usage events that survive a crash and are committed once (BL-2).
 *
 * record():  under one mutex, append the event as one JSON line to the
 *            journal with a single write(2), then push it on the queue.  Once
 *            write() returned, the bytes are in the kernel: kill -9 of this
 *            process cannot lose them.
 * writer:    takes the whole queue, commits it in one transaction
 *            (INSERT OR IGNORE by request id), repeats.
 * open():    replays the journal into the store first, then truncates it.
 *            Replaying an event that was already committed is a no-op, so a
 *            crash between commit and truncate never bills twice.
 * The journal is truncated again whenever the queue is empty and everything
 * written to it is committed, so it stays small.
 */
#include "billing/meter.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mg.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 512        /* events per transaction: bounds a commit's time */
#define GROUP_WAIT_NS 10000000L /* 10 ms: at most ~100 commits (fsyncs) a second under load */
#define SPEND_SLOTS 65536    /* accounts with spend this month, open-addressed; beyond this caps are not enforced (logged) */

struct spend {
    int64_t account_id; /* 0 = empty */
    int64_t month;      /* months since 1970 */
    int64_t micros;
};

struct mg_meter {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct mg_usage_event *q;
    size_t qlen, qcap;
    int stop;
    int idle; /* the writer sleeps until signalled (not in a group-commit wait) */
    int fd;
    char *journal;
    struct mg_store *store;
    pthread_t thread;
    struct spend spend[SPEND_SLOTS];
};

static int64_t month_of(int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return (int64_t)(tm.tm_year + 1900 - 1970) * 12 + tm.tm_mon;
}

static int64_t month_start_ms(int64_t month)
{
    struct tm tm = {0};
    tm.tm_year = (int)(month / 12) + 70;
    tm.tm_mon = (int)(month % 12);
    tm.tm_mday = 1;
    return (int64_t)timegm(&tm) * 1000;
}

/* Caller holds the lock. */
static struct spend *spend_slot(struct mg_meter *m, int64_t account_id, int create)
{
    size_t h = (size_t)account_id * 2654435761u;
    for (size_t i = 0; i < SPEND_SLOTS; i++) {
        struct spend *s = &m->spend[(h + i) % SPEND_SLOTS];
        if (s->account_id == account_id)
            return s;
        if (s->account_id == 0) {
            if (!create)
                return NULL;
            s->account_id = account_id;
            s->month = -1;
            return s;
        }
    }
    return NULL;
}

/* Caller holds the lock (or is opening).  A newer month starts from zero. */
static void add_spend(struct mg_meter *m, int64_t account_id, int64_t month, int64_t micros)
{
    struct spend *s = spend_slot(m, account_id, 1);
    if (s == NULL)
        return;
    if (s->month < month) {
        s->month = month;
        s->micros = 0;
    }
    if (s->month == month)
        s->micros += micros;
}

static int load_spend(void *arg, int64_t account_id, int64_t micros)
{
    struct mg_meter *m = arg;
    add_spend(m, account_id, month_of(mg_now_ms()), micros);
    return MG_OK;
}

static void journal_line(struct mg_buf *b, const struct mg_usage_event *e)
{
    mg_buf_append(b, "{\"request_id\":", 14);
    mg_buf_append_json_str(b, e->request_id, strlen(e->request_id));
    mg_buf_append(b, ",\"key_public_id\":", 17);
    mg_buf_append_json_str(b, e->key_public_id, strlen(e->key_public_id));
    mg_buf_append(b, ",\"model\":", 9);
    mg_buf_append_json_str(b, e->model, strlen(e->model));
    mg_buf_append(b, ",\"service\":", 11);
    mg_buf_append_json_str(b, e->service, strlen(e->service));
    mg_buf_append(b, ",\"route\":", 9);
    mg_buf_append_json_str(b, e->route, strlen(e->route));
    mg_buf_appendf(b,
                   ",\"ts_ms\":%lld,\"account_id\":%lld,\"key_id\":%lld,\"input_tokens\":%lld,\"output_tokens\":%lld,"
                   "\"cached_tokens\":%lld,\"characters\":%lld,\"images\":%lld,\"videos\":%lld,\"tracks\":%lld,"
                   "\"voices\":%lld,\"cost_micros\":%lld,\"http_status\":%d}\n",
                   (long long)e->ts_ms, (long long)e->account_id, (long long)e->key_id, (long long)e->input_tokens,
                   (long long)e->output_tokens, (long long)e->cached_tokens, (long long)e->characters,
                   (long long)e->images, (long long)e->videos, (long long)e->tracks, (long long)e->voices,
                   (long long)e->cost_micros, e->http_status);
}

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
    json_decref(o);
    return e->request_id[0] ? MG_OK : MG_DECLINED;
}

/* Replays every complete line of the journal; a torn last line (a crash in
 * the middle of write) is skipped: its response never completed. */
static int replay(struct mg_meter *m)
{
    FILE *f = fopen(m->journal, "r");
    char *line = NULL;
    size_t cap = 0, n = 0, total = 0;
    ssize_t len;
    struct mg_usage_event batch[64];
    int rc = MG_OK;
    if (f == NULL)
        return errno == ENOENT ? MG_OK : MG_ERR;
    while ((len = getline(&line, &cap, f)) > 0 && rc == MG_OK) {
        if (line[len - 1] != '\n' || parse_line(line, &batch[n]) != MG_OK)
            continue;
        if (++n == MG_ARRAY_SIZE(batch)) {
            rc = m->store->ops->usage_insert(m->store, batch, n);
            total += n;
            n = 0;
        }
    }
    if (rc == MG_OK && n)
        rc = m->store->ops->usage_insert(m->store, batch, n);
    total += n;
    free(line);
    fclose(f);
    if (total)
        mg_log(MG_LOG_INFO, "usage journal: replayed %zu events (already-committed ones are skipped)", total);
    return rc;
}

static void *writer(void *arg)
{
    struct mg_meter *m = arg;
    struct mg_usage_event *batch = mg_malloc(BATCH_MAX * sizeof(*batch));
    pthread_mutex_lock(&m->lock);
    for (;;) {
        while (m->qlen == 0 && !m->stop) {
            m->idle = 1;
            pthread_cond_wait(&m->wake, &m->lock);
            m->idle = 0;
        }
        if (m->qlen == 0 && m->stop)
            break;
        /* Group commit: give a busy node a moment to fill the batch, so one
         * fsync covers many events.  The journal already holds them. */
        if (m->qlen < BATCH_MAX && !m->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += GROUP_WAIT_NS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&m->wake, &m->lock, &until);
        }
        size_t n = MG_MIN(m->qlen, (size_t)BATCH_MAX);
        memcpy(batch, m->q, n * sizeof(*batch));
        memmove(m->q, m->q + n, (m->qlen - n) * sizeof(*batch));
        m->qlen -= n;
        pthread_mutex_unlock(&m->lock);
        while (m->store->ops->usage_insert(m->store, batch, n) != MG_OK) {
            /* The journal still holds these; retry rather than drop. */
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&m->lock);
        /* Everything journaled is committed: the journal can start over. */
        if (m->qlen == 0 && ftruncate(m->fd, 0) != 0)
            mg_log(MG_LOG_WARN, "usage journal: truncate failed: %s", strerror(errno));
    }
    pthread_mutex_unlock(&m->lock);
    free(batch);
    return NULL;
}

struct mg_meter *mg_meter_open(const char *store_spec, const char *journal_path, char *err, size_t errlen)
{
    struct mg_meter *m = mg_calloc(1, sizeof(*m));
    m->fd = -1;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    m->journal = mg_strdup(journal_path);
    if ((m->store = mg_store_open(store_spec, err, errlen)) == NULL)
        goto fail;
    if (replay(m) != MG_OK) {
        snprintf(err, errlen, "cannot replay usage journal %s", journal_path);
        goto fail;
    }
    {
        int64_t month = month_of(mg_now_ms());
        if (m->store->ops->usage_spend_all(m->store, month_start_ms(month), month_start_ms(month + 1), load_spend,
                                           m) != MG_OK) {
            snprintf(err, errlen, "cannot read this month's spend from the database");
            goto fail;
        }
    }
    m->fd = open(journal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (m->fd < 0 || ftruncate(m->fd, 0) != 0) {
        snprintf(err, errlen, "cannot open usage journal %s: %s", journal_path, strerror(errno));
        goto fail;
    }
    if (pthread_create(&m->thread, NULL, writer, m) != 0) {
        snprintf(err, errlen, "cannot start the usage writer thread");
        goto fail;
    }
    return m;
fail:
    if (m->store)
        m->store->ops->close(m->store);
    if (m->fd >= 0)
        close(m->fd);
    free(m->journal);
    free(m);
    return NULL;
}

int mg_meter_record(struct mg_meter *m, const struct mg_usage_event *ev)
{
    struct mg_buf b;
    int rc = MG_OK;
    mg_buf_init(&b, 4096);
    journal_line(&b, ev);
    pthread_mutex_lock(&m->lock);
    if (write(m->fd, b.data, b.len) != (ssize_t)b.len) {
        mg_log(MG_LOG_ERROR, "usage journal: write failed: %s (event %s queued anyway)", strerror(errno),
               ev->request_id);
        rc = MG_ERR;
    }
    if (m->qlen == m->qcap) {
        m->qcap = m->qcap ? m->qcap * 2 : 256;
        m->q = mg_realloc(m->q, m->qcap * sizeof(*m->q));
    }
    m->q[m->qlen++] = *ev;
    add_spend(m, ev->account_id, month_of(ev->ts_ms), ev->cost_micros);
    /* Wake the writer only when it sleeps or the batch is full: a signal per
     * event would cost a futex call on the hot path. */
    if (m->idle || m->qlen >= BATCH_MAX)
        pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    mg_buf_free(&b);
    mg_metrics_usage_event(ev->cost_micros);
    return rc;
}

int64_t mg_meter_spend(struct mg_meter *m, int64_t account_id)
{
    int64_t v = 0, month = month_of(mg_now_ms());
    pthread_mutex_lock(&m->lock);
    struct spend *s = spend_slot(m, account_id, 0);
    if (s != NULL && s->month == month)
        v = s->micros;
    pthread_mutex_unlock(&m->lock);
    return v;
}

void mg_meter_close(struct mg_meter *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    m->stop = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    m->store->ops->close(m->store);
    close(m->fd);
    free(m->q);
    free(m->journal);
    free(m);
}
