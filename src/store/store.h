/*
 * store.h: the one storage interface: operations only (the nouns are in
 * core/account.h, usage_event.h, owned.h, channel_record.h).  Everything
 * durable goes through a struct mg_store; SQLite implements it now
 * (src/store/sq_*.c, one file per domain), PostgreSQL later.  Nothing
 * SQLite-specific appears in this file.
 *
 * Threading: a handle belongs to one thread at a time.  Every thread that
 * needs the database (worker pool threads, the usage writer, an admin
 * command) opens its own handle.  Loop threads never call the store.
 *
 * Return codes: MG_OK; MG_DECLINED = not found / already exists (as said per
 * function); MG_ERR = hard error, already logged.  After an op returned
 * MG_ERR, mg_store_soft() says whether the cause was soft (the database was
 * busy or locked): a run_tx function then returns MG_TX_RETRY.
 *
 * Transactions: an op is all-or-nothing on its own.  Work that spans ops runs
 * in run_tx; an op called from inside it joins that transaction (as a nested
 * level: a failed op undoes its own part only, the run_tx function decides).
 *
 * Adding a domain (sessions, tokens, audit, ...): one block of ops below with
 * its comment header, one file sq_<domain>.c holding the SQLite side, its
 * rows in sq_core.c's ops table, and a migration file for its tables.
 */
#ifndef MG_STORE_STORE_H
#define MG_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "core/account.h"
#include "core/apikey.h"
#include "core/channel_record.h"
#include "core/embed.h"
#include "core/owned.h"
#include "core/region.h"
#include "core/usage_event.h"

struct mg_store;

/* What a run_tx function returns (the retry contract of run_tx). */
enum mg_tx {
    MG_TX_OK = 0,    /* commit */
    MG_TX_NO = 1,    /* a clean no: commit nothing, run_tx returns MG_DECLINED */
    MG_TX_RETRY = 2, /* soft: serialization/busy, roll back and run again */
    MG_TX_HARD = 3,  /* roll back, already logged */
};

/* Soft failures run_tx retries (after the first run): each retry waits only
 * as long as the backend's own busy handling does, so 3 bounds the stall. */
#define MG_TX_MAX_RETRIES 3

/* The body of a transaction: may call any op of s (they join the
 * transaction); must not keep state across runs, since it may run again. */
typedef enum mg_tx (*mg_store_tx_fn)(struct mg_store *s, void *arg);

typedef int (*mg_store_key_cb)(void *arg, const struct mg_key_record *k);
typedef int (*mg_store_usage_cb)(void *arg, const struct mg_usage_event *e);

struct mg_store_ops {
    /* ---- Core (sq_core.c, sq_tx.c) ---- */
    const char *backend; /* "sqlite" */
    void (*close)(struct mg_store *s);

    /* Creates or upgrades the schema from the backend's numbered migration
     * files (src/store/migrations/<backend>/NNNN_name.sql, embedded at build
     * time), all pending ones in one transaction.  Idempotent. */
    int (*migrate)(struct mg_store *s);

    /* Runs fn in one write transaction (name says which in the log) with the
     * retry contract of enum mg_tx: MG_TX_OK commits and returns MG_OK;
     * MG_TX_NO rolls back and returns MG_DECLINED; MG_TX_RETRY (and a begin or
     * commit that stays busy) rolls back and runs fn again, at most
     * MG_TX_MAX_RETRIES more times, then MG_ERR; MG_TX_HARD rolls back and
     * returns MG_ERR.  Every MG_ERR is logged once, with name.  Called from
     * inside another run_tx's fn it runs fn once as a nested level and, for
     * MG_TX_RETRY, returns MG_AGAIN: the outer fn returns MG_TX_RETRY. */
    int (*run_tx)(struct mg_store *s, const char *name, mg_store_tx_fn fn, void *arg);

    /* 1 if the last failure on this handle was soft (busy/locked), else 0.
     * Call it through mg_store_soft(). */
    int (*soft)(struct mg_store *s);

    /* ---- Accounts (sq_accounts.c) ---- */
    /* account_create: MG_DECLINED if the email exists. */
    int (*account_create)(struct mg_store *s, const char *email, const char *password_phc, int is_admin,
                          int64_t *id_out);
    int (*account_by_email)(struct mg_store *s, const char *email, struct mg_account *out);
    int (*account_set_suspended)(struct mg_store *s, int64_t account_id, int suspended);
    int (*account_set_cap)(struct mg_store *s, int64_t account_id, int64_t cap_micros);

    /* ---- API keys (sq_keys.c) ---- */
    /* key_insert fills k->id and k->seq.  key_by_digest: MG_DECLINED
     * if none.  key_set_status by public id: MG_DECLINED if none.
     * keys_since calls cb for every key whose seq > since (all keys for 0),
     * in seq order, and sets *max_seq to the largest seen (unchanged if none). */
    int (*key_insert)(struct mg_store *s, struct mg_key_record *k);
    int (*key_by_digest)(struct mg_store *s, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out);
    int (*key_set_status)(struct mg_store *s, const char *public_id, enum mg_key_status st);
    int (*key_set_expiry)(struct mg_store *s, const char *public_id, int64_t expires_ms);
    int (*keys_since)(struct mg_store *s, int64_t since, mg_store_key_cb cb, void *arg, int64_t *max_seq);
    int (*keys_touch)(struct mg_store *s, const int64_t *key_ids, size_t n, int64_t used_ms);

    /* ---- Channels (sq_channels.c) ---- */
    /* channel_insert: MG_DECLINED if the name exists. */
    int (*channel_insert)(struct mg_store *s, struct mg_channel_record *c);
    int (*channel_list)(struct mg_store *s, struct mg_channel_record **out, size_t *n); /* caller frees *out */
    int (*channel_delete)(struct mg_store *s, const char *name);

    /* ---- Usage (sq_usage.c) ---- */
    /* usage_insert is one transaction for the batch; rows whose
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

    /* ---- Owners of async resources, GW-6 (sq_owners.c) ---- */
    /* owner_put is idempotent for the same (kind, id); owner_get: MG_DECLINED if unknown. */
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
 * Opens a store from a URL-ish spec, by the backend table in store.c:
 * "sqlite:/path/to/file.db" or a bare path (SQLite).  "postgres://..." is
 * recognised and refused (not built in yet).  On failure returns NULL and
 * writes a user-facing reason into err (never the spec's password).
 * Opening does not migrate.
 */
struct mg_store *mg_store_open(const char *spec, char *err, size_t errlen);

/* 1 if the last failure on s was soft (busy/locked: worth a retry, inside
 * run_tx return MG_TX_RETRY), 0 if hard or if nothing failed yet. */
int mg_store_soft(struct mg_store *s);

/* The number a migration file's name starts with ("0002_x.sql" -> 2), or -1
 * if it does not start with a digit (or the number is out of int range). */
int mg_store_migration_number(const char *path);

/*
 * Checks a backend's migration set: every file is named NNNN_name.sql and,
 * in the set's (path) order, the numbers are 1, 2, 3, ... with no gap and no
 * duplicate.  MG_OK, or MG_ERR with the reason (naming the file) in err.
 */
int mg_store_migrations_check(const struct mg_embed_set *set, char *err, size_t errlen);

#endif
