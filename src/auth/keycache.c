/*
 * keycache.c: the key table of the hot path (see keycache.h).
 *
 * A chained hash table keyed by the key digest (uniformly random bytes, so the
 * first eight are the hash), under one rwlock: loop threads take the read side
 * for a lookup; the poller takes the write side briefly to apply changes.
 * Touches (last-used) are collected in a small array and written by the poller.
 */
#include "auth/keycache.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"
#include "core/mg.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define NBUCKETS 4096     /* power of two; chains stay short for tens of thousands of keys */

struct entry {
    struct entry *next;
    struct mg_key_record k;
    struct mg_key_live live; /* never copied or replaced by put */
};

struct mg_keycache {
    pthread_rwlock_t lock;
    struct entry *buckets[NBUCKETS];
    pthread_t thread;
    int started;
    _Atomic int stop;
    char *store_spec;
    int interval_ms;
    int64_t seq;                /* under sync_lock */
    pthread_mutex_t sync_lock;  /* one sync at a time: the poller's or an explicit one */
};

static size_t bucket_of(const uint8_t *d)
{
    uint64_t h;
    memcpy(&h, d, sizeof(h));
    return (size_t)(h & (NBUCKETS - 1));
}

struct mg_keycache *mg_keycache_new(void)
{
    struct mg_keycache *kc = mg_calloc(1, sizeof(*kc));
    pthread_rwlock_init(&kc->lock, NULL);
    pthread_mutex_init(&kc->sync_lock, NULL);
    return kc;
}

void mg_keycache_free(struct mg_keycache *kc)
{
    if (kc == NULL)
        return;
    if (kc->started) {
        atomic_store(&kc->stop, 1);
        pthread_join(kc->thread, NULL);
    }
    for (size_t i = 0; i < NBUCKETS; i++) {
        struct entry *e = kc->buckets[i];
        while (e) {
            struct entry *n = e->next;
            sodium_memzero(e, sizeof(*e));
            free(e);
            e = n;
        }
    }
    pthread_rwlock_destroy(&kc->lock);
    pthread_mutex_destroy(&kc->sync_lock);
    free(kc->store_spec);
    free(kc);
}

int mg_keycache_get(struct mg_keycache *kc, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out,
                    struct mg_key_live **live)
{
    int rc = MG_DECLINED;
    pthread_rwlock_rdlock(&kc->lock);
    for (struct entry *e = kc->buckets[bucket_of(digest)]; e; e = e->next) {
        if (sodium_memcmp(e->k.digest, digest, MG_KEY_DIGEST_LEN) == 0) {
            *out = e->k;
            if (live != NULL)
                *live = &e->live;
            rc = MG_OK;
            break;
        }
    }
    pthread_rwlock_unlock(&kc->lock);
    return rc;
}

void mg_keycache_put(struct mg_keycache *kc, const struct mg_key_record *k)
{
    size_t b = bucket_of(k->digest);
    pthread_rwlock_wrlock(&kc->lock);
    for (struct entry *e = kc->buckets[b]; e; e = e->next) {
        if (sodium_memcmp(e->k.digest, k->digest, MG_KEY_DIGEST_LEN) == 0) {
            if (k->seq >= e->k.seq)
                e->k = *k;
            pthread_rwlock_unlock(&kc->lock);
            return;
        }
    }
    struct entry *e = mg_calloc(1, sizeof(*e));
    e->k = *k;
    e->next = kc->buckets[b];
    kc->buckets[b] = e;
    pthread_rwlock_unlock(&kc->lock);
}

static int apply(void *arg, const struct mg_key_record *k)
{
    mg_keycache_put(arg, k);
    return MG_OK;
}

int mg_keycache_sync(struct mg_keycache *kc, struct mg_store *s)
{
    pthread_mutex_lock(&kc->sync_lock);
    int rc = s->ops->keys_since(s, kc->seq, apply, kc, &kc->seq);
    pthread_mutex_unlock(&kc->sync_lock);
    return rc;
}

static void *poller(void *arg)
{
    struct mg_keycache *kc = arg;
    char err[256];
    struct mg_store *s = mg_store_open(kc->store_spec, err, sizeof(err));
    if (s == NULL) {
        mg_log(MG_LOG_ERROR, "key cache: %s; revocations will not be seen until restart", err);
        return NULL;
    }
    while (!atomic_load(&kc->stop)) {
        struct timespec ts = {kc->interval_ms / 1000, (long)(kc->interval_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        mg_keycache_sync(kc, s);
    }
    s->ops->close(s);
    return NULL;
}

int mg_keycache_start(struct mg_keycache *kc, const char *store_spec, int interval_ms)
{
    char err[256];
    struct mg_store *s = mg_store_open(store_spec, err, sizeof(err));
    if (s == NULL) {
        mg_log(MG_LOG_ERROR, "key cache: %s", err);
        return MG_ERR;
    }
    int rc = s->ops->keys_since(s, 0, apply, kc, &kc->seq);
    s->ops->close(s);
    if (rc != MG_OK)
        return MG_ERR;
    kc->store_spec = mg_strdup(store_spec);
    kc->interval_ms = interval_ms;
    if (pthread_create(&kc->thread, NULL, poller, kc) != 0)
        return MG_ERR;
    kc->started = 1;
    return MG_OK;
}
