/*
 * store.h: the one storage interface: operations only (the nouns are in
 * core/account.h, usage_event.h, owned.h, channel_record.h).  Everything
 * durable goes through a struct mg_store; SQLite implements it now (sqlite.c), PostgreSQL later.
 * Nothing SQLite-specific appears above this line.
 *
 * Threading: a handle belongs to one thread at a time.  Every thread that
 * needs the database (worker pool threads, the usage writer, an admin
 * command) opens its own handle.  Loop threads never call the store.
 *
 * Return codes: MG_OK; MG_DECLINED = not found / already exists (as said per
 * function); MG_ERR = hard error, already logged.  Serialization failures
 * (SQLITE_BUSY) are retried inside, by one wrapper.
 */
#ifndef MG_STORE_STORE_H
#define MG_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "core/account.h"
#include "core/apikey.h"
#include "core/channel_record.h"
#include "core/owned.h"
#include "core/region.h"
#include "core/usage_event.h"

struct mg_store;

typedef int (*mg_store_key_cb)(void *arg, const struct mg_key_record *k);
typedef int (*mg_store_usage_cb)(void *arg, const struct mg_usage_event *e);

struct mg_store_ops {
    const char *backend; /* "sqlite" */
    void (*close)(struct mg_store *s);

    /* Creates or upgrades the schema.  Idempotent. */
    int (*migrate)(struct mg_store *s);

    /* Accounts.  account_create: MG_DECLINED if the email exists. */
    int (*account_create)(struct mg_store *s, const char *email, const char *password_phc, int is_admin,
                          int64_t *id_out);
    int (*account_by_email)(struct mg_store *s, const char *email, struct mg_account *out);
    int (*account_set_suspended)(struct mg_store *s, int64_t account_id, int suspended);
    int (*account_set_cap)(struct mg_store *s, int64_t account_id, int64_t cap_micros);

    /* Keys.  key_insert fills k->id and k->seq.  key_by_digest: MG_DECLINED
     * if none.  key_set_status by public id: MG_DECLINED if none.
     * keys_since calls cb for every key whose seq > since (all keys for 0),
     * in seq order, and sets *max_seq to the largest seen (unchanged if none). */
    int (*key_insert)(struct mg_store *s, struct mg_key_record *k);
    int (*key_by_digest)(struct mg_store *s, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out);
    int (*key_set_status)(struct mg_store *s, const char *public_id, enum mg_key_status st);
    int (*key_set_expiry)(struct mg_store *s, const char *public_id, int64_t expires_ms);
    int (*keys_since)(struct mg_store *s, int64_t since, mg_store_key_cb cb, void *arg, int64_t *max_seq);
    int (*keys_touch)(struct mg_store *s, const int64_t *key_ids, size_t n, int64_t used_ms);

    /* Channels.  channel_insert: MG_DECLINED if the name exists. */
    int (*channel_insert)(struct mg_store *s, struct mg_channel_record *c);
    int (*channel_list)(struct mg_store *s, struct mg_channel_record **out, size_t *n); /* caller frees *out */
    int (*channel_delete)(struct mg_store *s, const char *name);

    /* Usage.  usage_insert is one transaction for the batch; rows whose
     * request_id exists are skipped.  An event with `checkpoint` set is the
     * provisional usage of an open stream: it replaces that stream's previous
     * checkpoint, and the stream's real event deletes it.  usage_list: newest
     * first, filtered by request_id when not NULL, at most limit rows. */
    int (*usage_insert)(struct mg_store *s, const struct mg_usage_event *ev, size_t n);
    int (*usage_list)(struct mg_store *s, const char *request_id, size_t limit, mg_store_usage_cb cb, void *arg);
    /* cb(arg, account_id, micros) for every account with usage in [from_ms, to_ms). */
    int (*usage_spend_all)(struct mg_store *s, int64_t from_ms, int64_t to_ms,
                           int (*cb)(void *arg, int64_t account_id, int64_t micros), void *arg);
    /* After a crash: every checkpoint left (a stream that never got its
     * event) becomes its usage event, in one transaction; *n says how many. */
    int (*usage_settle_checkpoints)(struct mg_store *s, size_t *n);

    /* Async resource ownership (GW-6).  owner_put is idempotent for the same
     * (kind, id); owner_get: MG_DECLINED if unknown. */
    int (*owner_put)(struct mg_store *s, enum mg_owned_kind kind, const char *id, int64_t account_id,
                     const char *model);
    /* model (may be NULL) gets the model the resource was created with, or "". */
    int (*owner_get)(struct mg_store *s, enum mg_owned_kind kind, const char *id, int64_t *account_id, char *model,
                     size_t model_cap);
    int (*owner_delete)(struct mg_store *s, enum mg_owned_kind kind, const char *id);
    /* The owners of n resources of one kind in one read transaction:
     * account_out[i] = the account that owns ids[i], or 0 when nobody does
     * (a files/list answer is filtered with one call). */
    int (*owners_lookup)(struct mg_store *s, enum mg_owned_kind kind, const char *const *ids, size_t n,
                         int64_t *account_out);
};

struct mg_store {
    const struct mg_store_ops *ops;
};

/*
 * Opens a store from a URL-ish spec: "sqlite:/path/to/file.db" or a bare
 * path (SQLite).  On failure returns NULL and writes a user-facing reason
 * into err.  Opening does not migrate.
 */
struct mg_store *mg_store_open(const char *spec, char *err, size_t errlen);

#endif
