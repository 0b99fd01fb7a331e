/*
 * keycache.h: the in-memory key table of the hot path.  The gateway looks keys
 * up by digest without touching the database; a sync thread polls the store
 * for changed keys (keys_since) every interval, so a revocation made by any
 * process reaches this node within one interval (KY-5).  A new key appears via
 * the poller within one interval (docs/architecture.md).
 * All functions are thread-safe.
 */
#ifndef MG_AUTH_KEYCACHE_H
#define MG_AUTH_KEYCACHE_H

#include "core/account.h"

#include <stdatomic.h>

struct mg_keycache;

/* What the gateway counts per key in memory, on this node, beside the
 * record: the rate limits' theoretical arrival times (gateway/ratelimit.h).
 * Lives as long as the cache; changing the key's record leaves it alone. */
struct mg_key_live {
    _Atomic int64_t rpm_tat_ns;
    _Atomic int64_t tpm_tat_ns;
};

struct mg_keycache *mg_keycache_new(void);
void mg_keycache_free(struct mg_keycache *kc);
/* MG_OK and *out filled on a hit (and *live, when live is not NULL, set to
 * the key's live state); MG_DECLINED on a miss. */
int mg_keycache_get(struct mg_keycache *kc, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out,
                    struct mg_key_live **live);
/* Inserts or replaces (a record with a lower seq never replaces a newer one). */
void mg_keycache_put(struct mg_keycache *kc, const struct mg_key_record *k);
/* Loads every key now (MG_ERR if the store cannot be read), then starts the
 * poller thread. */
int mg_keycache_start(struct mg_keycache *kc, const char *store_spec, int interval_ms);
/* Applies every change since the last sync now, on the calling thread with its store handle s
 * (a worker): an admin's suspension is seen by this node's next request, not the next poll. */
struct mg_store;
int mg_keycache_sync(struct mg_keycache *kc, struct mg_store *s);

#endif
