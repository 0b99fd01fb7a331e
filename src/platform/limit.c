/*
 * limit.c: per-IP and per-account attempt limits of the platform (mail
 * flooding, token guessing): fixed windows in a table of fixed size.  At the
 * ceiling the oldest window in the probe range is taken over, so an attacker
 * who cycles through many keys can only make limits forget, never grow memory.
 */
#include "core/mg.h"
#include "platform/pf.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define SLOTS 4096 /* power of two */
#define PROBE 16

struct slot {
    uint64_t key;       /* hash of bucket + key; 0 = empty */
    int64_t window_start;
    int count;
};

struct pf_limits {
    pthread_mutex_t lock;
    uint8_t hkey[crypto_shorthash_KEYBYTES];
    struct slot slots[SLOTS];
};

struct pf_limits *pf_limits_new(void)
{
    struct pf_limits *l = mg_calloc(1, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
    crypto_shorthash_keygen(l->hkey);
    return l;
}

void pf_limits_free(struct pf_limits *l)
{
    if (l == NULL)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* pf_limit_hit, and pf_limit_over when count is 0 (nothing is counted). */
static int limit_at(struct pf_limits *l, const char *bucket, const char *key, int limit, int64_t window_ms,
                    int64_t now, int *retry_after_s, int count)
{
    uint8_t in[320], out[crypto_shorthash_BYTES];
    size_t bl = strlen(bucket), kl = MG_MIN(strlen(key), sizeof(in) - bl - 1);
    memcpy(in, bucket, bl);
    in[bl] = '\n';
    memcpy(in + bl + 1, key, kl);
    crypto_shorthash(out, in, bl + 1 + kl, l->hkey); /* keyed: nobody can aim keys at one slot */
    uint64_t h;
    memcpy(&h, out, sizeof(h));
    h |= 1;
    pthread_mutex_lock(&l->lock);
    struct slot *use = NULL, *oldest = NULL;
    for (size_t i = 0; i < PROBE && use == NULL; i++) {
        struct slot *s = &l->slots[(h + i) & (SLOTS - 1)];
        if (s->key == h)
            use = s;
        else if (oldest == NULL || s->window_start < oldest->window_start)
            oldest = s;
    }
    if (use == NULL) {
        use = oldest;
        use->key = h;
        use->window_start = now;
        use->count = 0;
    } else if (now - use->window_start >= window_ms) {
        use->window_start = now;
        use->count = 0;
    }
    int over = use->count >= limit;
    if (!over && count)
        use->count++;
    int64_t left = use->window_start + window_ms - now;
    pthread_mutex_unlock(&l->lock);
    if (retry_after_s != NULL)
        *retry_after_s = over ? (int)MG_MAX((left + 999) / 1000, 1) : 0;
    return over ? MG_DECLINED : MG_OK;
}

int pf_limit_hit(struct pf_limits *l, const char *bucket, const char *key, int limit, int64_t window_ms, int64_t now,
                 int *retry_after_s)
{
    return limit_at(l, bucket, key, limit, window_ms, now, retry_after_s, 1);
}

int pf_limit_over(struct pf_limits *l, const char *bucket, const char *key, int limit, int64_t window_ms, int64_t now,
                  int *retry_after_s)
{
    return limit_at(l, bucket, key, limit, window_ms, now, retry_after_s, 0);
}
