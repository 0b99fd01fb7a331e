/*
 * store.h: the one storage interface: operations only (the nouns are in
 * core/account.h, usage_event.h, owned.h, channel_record.h, platform_records.h,
 * mfa_records.h).  Everything durable goes through a struct mg_store; SQLite
 * implements it now (src/store/sq_*.c, one file per domain), PostgreSQL
 * later.  Nothing SQLite-specific appears in this file.
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
#include "core/invoice_records.h"
#include "core/mfa_records.h"
#include "core/owned.h"
#include "core/platform_records.h"
#include "core/price_record.h"
#include "core/region.h"
#include "core/usage_event.h"
#include "core/wallet_records.h"

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

/* The platform's tables and their ceilings (each is a named bound; the
 * store enforces it where rows are added). */
#define MG_SESSIONS_PER_ACCOUNT 100        /* a session per device and then some; older ones end */
#define MG_NOTIFICATIONS_PER_ACCOUNT 200   /* a console page's worth many times over */
#define MG_REQUESTS_PENDING_MAX 10000      /* access/recovery requests awaiting an admin, all kinds */
#define MG_AUDIT_RETENTION_DAYS 400        /* a year and a bit: yearly reviews see a whole year */
#define MG_LOGIN_FAILURE_WINDOW_MS 3600000 /* the per-hour failure count's window */
#define MG_LOGIN_FAILURES_KEPT 1000        /* rows per account inside the window; above any sane per-hour limit */
#define MG_WEBAUTHN_KEYS_PER_ACCOUNT 20    /* a few keys per person and spares; a 21st is refused */
#define MG_RECOVERY_CODES_PER_ACCOUNT 10   /* the one set of ten shown at enrolment; a longer set is refused */
#define MG_REPORT_ROWS_MAX 10000          /* (account, model) rows of one report; the answer says when it is cut */
#define MG_PRICE_ROWS_MAX 1000            /* the operator's own price rows (models and patterns) */
#define MG_ALERTS_PER_ACCOUNT 20           /* thresholds per family and in total; a 21st is refused */
#define MG_MFA_LOGINS_PER_ACCOUNT 20       /* second steps awaiting a code at once; the oldest beyond end */
#define MG_USAGE_LOG_MAX 200               /* usage_log rows per call: one console page of the usage log */
#define MG_TASKS_PAGE_MAX 200              /* tasks_list rows per call: one console page of the tasks, as the log's */
#define MG_USAGE_GROUPS_MAX 1000           /* usage_aggregate rows per call: 400 days, or keys and models to spare */
#define MG_INVOICE_LINES_PER_INVOICE 10000 /* = the PDF renderer's MG_INVOICE_LINES_MAX; a longer invoice is refused */
#define MG_PAYMENTS_PER_INVOICE 1000       /* partial payments of one invoice; a 1001st is refused */
#define MG_INVOICES_PAGE_MAX 1000          /* rows one invoices_list / invoice_accounts call returns at most */
/* invoices: one per account and period (UNIQUE), so an account has at most one a month */
#define MG_LEDGER_PAGE_MAX 200             /* ledger rows one ledger_list call returns at most */
#define MG_REDEEM_BATCH_CODES_MAX 1000     /* codes one redeem_codes_insert call adds at most */
#define MG_REDEEM_LIST_MAX 1000            /* rows one redeem_codes_list call returns at most */

typedef int (*mg_store_key_cb)(void *arg, const struct mg_key_record *k);
typedef int (*mg_store_usage_cb)(void *arg, const struct mg_usage_event *e);
typedef int (*mg_store_invoice_cb)(void *arg, const struct mg_invoice_record *inv);
typedef int (*mg_store_line_cb)(void *arg, const struct mg_invoice_line_record *l);
typedef int (*mg_store_payment_cb)(void *arg, const struct mg_payment_record *p);
/* One group of usage_aggregate: its key (a UTC day "2026-12-01", a service,
 * a key's public id or a model) and the sums of its events. */
enum mg_usage_group { MG_GROUP_DAY, MG_GROUP_SERVICE, MG_GROUP_KEY, MG_GROUP_MODEL };
struct mg_usage_total {
    char key[96];
    int64_t requests, cost_micros;
    int64_t input_tokens, output_tokens, cached_tokens, characters, images, videos, tracks, voices;
};
typedef int (*mg_store_total_cb)(void *arg, const struct mg_usage_total *t);
typedef int (*mg_store_spend_cb)(void *arg, int64_t account_id, int64_t key_id, const char *service, int64_t micros);

/* key_update's changes: a NULL member keeps the column (rpm, tpm and
 * cap_micros: 0 = no limit). */
struct mg_key_change {
    const char *name;
    const uint32_t *scopes;
    const char *models;
    const int64_t *rpm, *tpm, *cap_micros;
};

/* What usage_log reads: one account's events, each filter off when NULL / 0.
 * The window is [from_ms, to_ms); the cursor (before_ts_ms > 0) continues
 * after the event (before_ts_ms, before_id) of the previous page. */
#define MG_USAGE_STATUS_OK (-1)
#define MG_USAGE_STATUS_ERROR (-2)
struct mg_usage_filter {
    int64_t account_id;
    const char *request_id, *key_public_id, *model, *service;
    int status; /* 0: any; 100..999: that code; MG_USAGE_STATUS_OK: 2xx; MG_USAGE_STATUS_ERROR: not 2xx */
    int64_t from_ms, to_ms;
    int64_t before_ts_ms;
    const char *before_id;
};

/* What tasks_list reads: one account's async tasks (video and speech; files
 * and voices are not tasks), each filter off when 0 / NULL.  The cursor
 * (before_id != NULL) continues after the task (before_ms, before_kind,
 * before_id) of the previous page. */
struct mg_task_filter {
    int64_t account_id;
    int kind;                  /* 0: both; MG_OWNED_VIDEO_TASK or MG_OWNED_SPEECH_TASK: that kind only */
    const char *key_public_id; /* the key that created it */
    int64_t before_ms;
    int before_kind;
    const char *before_id;
};

/* One task as tasks_list reads it: the owners row, the public id of the key
 * that created it ("" when that key is gone) and, for a video, whether its
 * usage event ("video-<id>", gateway/bill.c) is recorded. */
#define MG_TASK_ID_MAX 128 /* = the gateway's MAX_RESOURCE_ID: ids it records are shorter */
struct mg_task_record {
    int kind;
    char id[MG_TASK_ID_MAX];
    char key_public_id[MG_KEY_PUBID_LEN + 1];
    int billed;
    struct mg_owned o;
};
typedef int (*mg_store_task_cb)(void *arg, const struct mg_task_record *t);

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

    /* ---- Accounts: the platform's part (sq_accounts_platform.c) ---- */
    /* Every reader fills every field of struct mg_account (account_by_email
     * too).  The updates answer
     * MG_DECLINED when no account has that id.  MG_AGAIN: the database was
     * busy inside a run_tx transaction (mg_store_soft() is 1 too; the tx
     * function returns MG_TX_RETRY).  The same holds for every block below.
     * Times come from the caller (mg_now_ms()), never from the store. */
    /* All fields of a (created_ms too); fills a->id; MG_DECLINED if the email exists. */
    int (*account_insert)(struct mg_store *s, struct mg_account *a);
    /* MG_DECLINED if none. */
    int (*account_get)(struct mg_store *s, int64_t id, struct mg_account *out);
    /* Sets the PHC string and status = ACTIVE. */
    int (*account_set_password)(struct mg_store *s, int64_t id, const char *phc);
    int (*account_set_status)(struct mg_store *s, int64_t id, enum mg_account_status st);
    /* plan NULL = keep, is_admin -1 = keep. */
    int (*account_set_plan_role)(struct mg_store *s, int64_t id, const char *plan, int is_admin);
    /* A failed login: failed_logins += 1 and a row in login_failures; the
     * account's rows older than MG_LOGIN_FAILURE_WINDOW_MS (and beyond the
     * newest MG_LOGIN_FAILURES_KEPT) are deleted here: the table's ceiling.
     * *consecutive = the new failed_logins, *last_hour = failures in (now - 1 h, now]. */
    int (*account_login_failed)(struct mg_store *s, int64_t id, int64_t now_ms, int *consecutive, int *last_hour);
    int (*account_set_lock)(struct mg_store *s, int64_t id, int64_t locked_until_ms);
    /* failed_logins = 0, locked_until = 0, last_login = now. */
    int (*account_login_ok)(struct mg_store *s, int64_t id, int64_t now_ms);
    /* failed_logins = 0, locked_until = 0, the account's login_failures rows deleted. */
    int (*account_unlock)(struct mg_store *s, int64_t id);
    /* cb for every account whose email contains q (case-insensitive; "" =
     * all) and id > after_id, ascending id, at most limit; cb != MG_OK stops. */
    int (*accounts_search)(struct mg_store *s, const char *q, int64_t after_id, size_t limit,
                           int (*cb)(void *arg, const struct mg_account *a), void *arg);

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
    /* keys_touch: key_ids[i] was last used at used_ms[i] (a later time already stored stays). */
    int (*keys_touch)(struct mg_store *s, const int64_t *key_ids, const int64_t *used_ms, size_t n);
    /* The platform's key ops (KY-3..KY-6).  keys_list calls cb for every key
     * of the account, newest first; cb != MG_OK stops.  key_get by public id
     * fills the account fields as keys_since does (the record can go straight
     * into a key cache); MG_DECLINED if none.  key_update changes the fields
     * ch names (not NULL) and bumps seq;
     * MG_DECLINED if none.  keys_count_active: the account's keys that are
     * active and not expired at now_ms. */
    int (*keys_list)(struct mg_store *s, int64_t account_id, mg_store_key_cb cb, void *arg);
    int (*key_get)(struct mg_store *s, const char *public_id, struct mg_key_record *out);
    int (*key_update)(struct mg_store *s, const char *public_id, const struct mg_key_change *ch);
    int (*keys_count_active)(struct mg_store *s, int64_t account_id, int64_t now_ms, int *n);

    /* ---- Channels (sq_channels.c) ---- */
    /* channel_insert: MG_DECLINED if the name exists. */
    int (*channel_insert)(struct mg_store *s, struct mg_channel_record *c);
    int (*channel_list)(struct mg_store *s, struct mg_channel_record **out, size_t *n); /* caller frees *out */
    int (*channel_delete)(struct mg_store *s, const char *name);
    /* channel_get: by name, MG_DECLINED if none.  channel_update: writes base_url, weight, models and
     * enabled of the channel c->name (its key and region stay); MG_DECLINED if none. */
    int (*channel_get)(struct mg_store *s, const char *name, struct mg_channel_record *out);
    int (*channel_update)(struct mg_store *s, const struct mg_channel_record *c);

    /* ---- Usage (sq_usage.c) ---- */
    /* usage_insert is one transaction for the batch; rows whose
     * request_id exists are skipped.  An event with `checkpoint` set is the
     * provisional usage of an open stream: it replaces that stream's previous
     * checkpoint, and the stream's real event deletes it.  usage_list: newest
     * first, filtered by request_id when not NULL, at most limit rows.
     * usage_log: one account's events matching f, newest first (ts_ms, then
     * request_id, descending), at most min(limit, MG_USAGE_LOG_MAX) rows. */
    int (*usage_insert)(struct mg_store *s, const struct mg_usage_event *ev, size_t n);
    int (*usage_list)(struct mg_store *s, const char *request_id, size_t limit, mg_store_usage_cb cb, void *arg);
    int (*usage_log)(struct mg_store *s, const struct mg_usage_filter *f, size_t limit, mg_store_usage_cb cb,
                     void *arg);
    /* usage_aggregate: one account's events in [from_ms, to_ms) summed per group: days in key order
     * (only days with usage), the others by cost, highest first (then key); at most
     * min(limit, MG_USAGE_GROUPS_MAX) rows, *more set when there were further groups. */
    int (*usage_aggregate)(struct mg_store *s, int64_t account_id, int64_t from_ms, int64_t to_ms,
                           enum mg_usage_group g, size_t limit, mg_store_total_cb cb, void *arg, int *more);
    /* cb(arg, account_id, key_id, service, micros) for every key (of its account) and service with usage in
     * [from_ms, to_ms). */
    int (*usage_spend_all)(struct mg_store *s, int64_t from_ms, int64_t to_ms, mg_store_spend_cb cb, void *arg);
    /* After a crash: every checkpoint left (a stream that never got its
     * event) becomes its usage event, in one transaction; *n says how many. */
    int (*usage_settle_checkpoints)(struct mg_store *s, size_t *n);

    /* ---- Owners of async resources, GW-6 (sq_owners.c) ---- */
    /* owner_put is idempotent for the same (kind, id): the first record
     * stays (its state fields are ignored); owner_get: MG_DECLINED if unknown. */
    int (*owner_put)(struct mg_store *s, enum mg_owned_kind kind, const char *id, const struct mg_owned *o);
    int (*owner_get)(struct mg_store *s, enum mg_owned_kind kind, const char *id, struct mg_owned *o);
    /* A task's state as a query answer reported it (at most MG_TASK_STATE_MAX - 1
     * bytes); MG_OK also when the task is unknown or the state unchanged. */
    int (*owner_state)(struct mg_store *s, enum mg_owned_kind kind, const char *id, const char *state,
                       int64_t now_ms);
    int (*owner_delete)(struct mg_store *s, enum mg_owned_kind kind, const char *id);
    /* The owners of n resources of one kind in one read transaction:
     * account_out[i] = the account that owns ids[i], or 0 when nobody does
     * (a files/list answer is filtered with one call). */
    int (*owners_lookup)(struct mg_store *s, enum mg_owned_kind kind, const char *const *ids, size_t n,
                         int64_t *account_out);
    /* tasks_list: one account's tasks matching f, newest first (created_ms,
     * then id, then kind, descending), at most min(limit, MG_TASKS_PAGE_MAX)
     * rows, each to cb (which may stop the walk). */
    int (*tasks_list)(struct mg_store *s, const struct mg_task_filter *f, size_t limit, mg_store_task_cb cb,
                      void *arg);

    /* ---- Sessions (sq_sessions.c) ---- */
    /* session_insert fills se->id and keeps at most
     * MG_SESSIONS_PER_ACCOUNT per account (the oldest beyond are deleted).
     * session_by_hash: MG_DECLINED if none.  session_touch/set_reauth:
     * MG_DECLINED if none.  session_delete: MG_DECLINED if the account has no
     * such session.  sessions_delete_account ends every session of the
     * account but except_id (0 = none) and sets *n (may be NULL) to how many.
     * sessions_list: oldest first.  sessions_prune deletes the sessions past
     * expires_ms or idle for idle_ms (now - last_seen >= idle_ms). */
    int (*session_insert)(struct mg_store *s, struct mg_session *se);
    int (*session_by_hash)(struct mg_store *s, const uint8_t hash[32], struct mg_session *out);
    int (*session_touch)(struct mg_store *s, int64_t id, int64_t now_ms);
    int (*session_set_reauth)(struct mg_store *s, int64_t id, int64_t now_ms);
    /* session_end_by: the session's absolute end moves to expires_ms if that is sooner; MG_DECLINED if none. */
    int (*session_end_by)(struct mg_store *s, int64_t id, int64_t expires_ms);
    int (*session_delete)(struct mg_store *s, int64_t account_id, int64_t id);
    int (*sessions_delete_account)(struct mg_store *s, int64_t account_id, int64_t except_id, size_t *n);
    int (*sessions_list)(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_session *se),
                         void *arg);
    int (*sessions_prune)(struct mg_store *s, int64_t now_ms, int64_t idle_ms);

    /* ---- One-time tokens (sq_tokens.c) ---- */
    /* Only the SHA-256 of a token's text is stored.  token_put deletes the
     * account's older tokens of the same kind (a newer link invalidates older
     * ones) and every expired token (the table's ceiling), then inserts;
     * MG_DECLINED if that hash exists.  token_consume is atomic single use:
     * MG_OK with *account_id when exactly this call consumed it; MG_DECLINED
     * for a wrong, used or expired (now >= expires_ms) token alike.
     * tokens_invalidate: kind 0 = every kind. */
    int (*token_put)(struct mg_store *s, enum mg_token_kind kind, const uint8_t hash[32], int64_t account_id,
                     int64_t now_ms, int64_t expires_ms);
    int (*token_consume)(struct mg_store *s, enum mg_token_kind kind, const uint8_t hash[32], int64_t now_ms,
                         int64_t *account_id);
    int (*tokens_invalidate)(struct mg_store *s, int64_t account_id, enum mg_token_kind kind);

    /* ---- Audit (sq_audit.c) ---- */
    /* Append-only; rows older than MG_AUDIT_RETENTION_DAYS go by
     * audit_prune (its caller computes before_ms).  audit_append fills
     * e->id.  audit_list: newest first; account_id 0 = all; type NULL/"" =
     * all; before_id 0 = from the newest, else ids < before_id; at most limit. */
    int (*audit_append)(struct mg_store *s, struct mg_audit_event *e);
    int (*audit_list)(struct mg_store *s, int64_t account_id, const char *type, int64_t before_id, size_t limit,
                      int (*cb)(void *arg, const struct mg_audit_event *e), void *arg);
    int (*audit_prune)(struct mg_store *s, int64_t before_ms);

    /* ---- Access and recovery requests (sq_requests.c) ---- */
    /* request_insert fills r->id (status is
     * stored PENDING); MG_DECLINED if a pending request of that kind for that
     * email exists, or MG_REQUESTS_PENDING_MAX requests are pending.
     * request_get: MG_DECLINED if none.  requests_list: newest first; status
     * -1 = any.  request_decide: only from PENDING to APPROVED or DENIED;
     * MG_DECLINED if not pending (or none). */
    int (*request_insert)(struct mg_store *s, struct mg_request *r);
    int (*request_get)(struct mg_store *s, int64_t id, struct mg_request *out);
    int (*requests_list)(struct mg_store *s, enum mg_request_kind kind, int status, size_t limit,
                         int (*cb)(void *arg, const struct mg_request *r), void *arg);
    int (*request_decide)(struct mg_store *s, int64_t id, enum mg_request_status st, int64_t by, int64_t now_ms);

    /* ---- Reports (sq_reports.c) ---- */
    /* cb for each (account, model, service, video length and resolution) with usage in [from_ms, to_ms):
     * sum carries the summed units and cost (account_id, model, service, video_seconds, video_res set),
     * requests the count; at most min(limit,
     * MG_REPORT_ROWS_MAX) rows. */
    int (*usage_by_account_model)(struct mg_store *s, int64_t from_ms, int64_t to_ms, size_t limit,
                                  int (*cb)(void *arg, const struct mg_usage_event *sum, int64_t requests),
                                  void *arg);

    /* ---- Prices (sq_prices.c): the operator's rows and ratios (BL-1) ---- */
    /* price_put inserts or replaces the row of p->model: MG_AGAIN past
     * MG_PRICE_ROWS_MAX rows.  price_delete: MG_DECLINED if none.
     * ratio_set: scope "global", "plan:<plan>" or "account:<id>"; ratio_ppm
     * < 0 removes it.  Every change bumps price_seq (price_seq reads it). */
    int (*prices_list)(struct mg_store *s, int (*cb)(void *arg, const struct mg_price *p), void *arg);
    int (*price_put)(struct mg_store *s, const struct mg_price *p, int64_t now_ms);
    int (*price_delete)(struct mg_store *s, const char *model);
    int (*ratio_set)(struct mg_store *s, const char *scope, int64_t ratio_ppm, int64_t now_ms);
    int (*ratios_list)(struct mg_store *s, int (*cb)(void *arg, const char *scope, int64_t ratio_ppm), void *arg);
    int (*price_seq)(struct mg_store *s, int64_t *seq);

    /* ---- Spending alerts (sq_alerts.c) ---- */
    /* alert_insert fills a->id: MG_DECLINED if the account has that service
     * and threshold already, MG_AGAIN at MG_ALERTS_PER_ACCOUNT.  alerts_list:
     * the account's, by service then threshold.  alert_delete: MG_DECLINED if
     * the account has no alert of that id.  alerts_due: cb for each alert of
     * the account not fired in `month`.  alert_fire marks it fired in month:
     * MG_OK if this call did (exactly one caller per alert and month gets
     * MG_OK, across processes), MG_DECLINED if it had fired already. */
    int (*alert_insert)(struct mg_store *s, struct mg_alert *a);
    int (*alerts_list)(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_alert *a),
                       void *arg);
    int (*alert_delete)(struct mg_store *s, int64_t account_id, int64_t id);
    int (*alerts_due)(struct mg_store *s, int64_t account_id, int64_t month,
                      int (*cb)(void *arg, const struct mg_alert_due *d), void *arg);
    int (*alert_fire)(struct mg_store *s, int64_t id, int64_t month);

    /* ---- In-app notifications (sq_notifications.c) ---- */
    /* At most MG_NOTIFICATIONS_PER_ACCOUNT per account
     * (notification_insert, which fills n->id, deletes the older ones).
     * notifications_list: newest first, at most limit, *unread (may be NULL)
     * = the account's unread count.  notification_read: MG_DECLINED if no
     * notification of that account has that id. */
    int (*notification_insert)(struct mg_store *s, struct mg_notification *n);
    int (*notifications_list)(struct mg_store *s, int64_t account_id, size_t limit,
                              int (*cb)(void *arg, const struct mg_notification *n), void *arg, int *unread);
    int (*notification_read)(struct mg_store *s, int64_t account_id, int64_t id);

    /* ---- Second factors (sq_mfa.c, sq_mfa_webauthn.c) ---- */
    /* The nouns are in core/mfa_records.h.  Every op works inside run_tx too
     * (MG_AGAIN there when busy, as above).  Times come from the caller. */
    /* TOTP, one per account.  totp_put_pending stores a pending secret (len <=
     * sizeof(sealed)), replacing an unconfirmed one; MG_DECLINED if a confirmed
     * one exists (or no such account).  totp_get: MG_DECLINED if none.
     * totp_confirm: pending -> confirmed with last_step = step; MG_DECLINED if
     * not pending.  totp_use_step is the atomic replay guard: one conditional
     * UPDATE (confirmed and last_step < step); MG_OK when exactly this call
     * moved last_step to step (of two concurrent submissions of one code
     * exactly one gets MG_OK), else MG_DECLINED (the same or an older step, or
     * no confirmed secret).  totp_delete: MG_DECLINED if none. */
    int (*totp_put_pending)(struct mg_store *s, int64_t account_id, const uint8_t *sealed, size_t len,
                            int64_t now_ms);
    int (*totp_get)(struct mg_store *s, int64_t account_id, struct mg_totp_record *out);
    int (*totp_confirm)(struct mg_store *s, int64_t account_id, int64_t step);
    int (*totp_use_step)(struct mg_store *s, int64_t account_id, int64_t step);
    int (*totp_delete)(struct mg_store *s, int64_t account_id);
    /* Recovery codes: only the SHA-256 of the normalized code.  recovery_set
     * replaces the account's whole set with n codes (n <=
     * MG_RECOVERY_CODES_PER_ACCOUNT; n = 0 leaves none); MG_DECLINED for a
     * longer set, a repeated hash or no such account (nothing changed).
     * recovery_use is atomic single use (one conditional UPDATE): MG_OK when
     * exactly this call used it, MG_DECLINED if unknown or used.
     * recovery_left: the account's unused codes. */
    int (*recovery_set)(struct mg_store *s, int64_t account_id, const uint8_t (*hashes)[32], size_t n,
                        int64_t now_ms);
    int (*recovery_use)(struct mg_store *s, int64_t account_id, const uint8_t hash[32], int64_t now_ms);
    int (*recovery_left)(struct mg_store *s, int64_t account_id, int *left);
    /* Security keys.  webauthn_add stores every field of r (last_used_ms
     * too) and fills r->id; MG_DECLINED if r->cred_id is registered to any
     * account, the account has MG_WEBAUTHN_KEYS_PER_ACCOUNT keys already, or
     * no such account.  webauthn_list: oldest first, cb != MG_OK stops.
     * webauthn_by_cred_id: MG_DECLINED if none.  webauthn_update_use sets
     * sign_count, bs and last_used_ms = now; MG_DECLINED if none.
     * webauthn_delete: MG_DECLINED if the account has no key of that id. */
    int (*webauthn_add)(struct mg_store *s, struct mg_webauthn_record *r);
    int (*webauthn_list)(struct mg_store *s, int64_t account_id,
                         int (*cb)(void *arg, const struct mg_webauthn_record *r), void *arg);
    int (*webauthn_by_cred_id)(struct mg_store *s, const uint8_t *cred_id, size_t len,
                               struct mg_webauthn_record *out);
    int (*webauthn_update_use)(struct mg_store *s, int64_t id, uint32_t sign_count, int bs, int64_t now_ms);
    int (*webauthn_delete)(struct mg_store *s, int64_t account_id, int64_t id);
    /* WebAuthn challenges: 32 bytes, single use, one per (kind, owner); the
     * owner is a session id (register, reauth) or an mfa login's row id
     * (login).  challenge_put replaces the owner's previous challenge of the
     * kind and deletes every expired one (the table's ceiling).
     * challenge_take atomically takes (deletes) the owner's challenge of the
     * kind: MG_OK with its bytes if now < expires_ms, else MG_DECLINED (an
     * expired one is deleted too; none, or taken already, is MG_DECLINED). */
    int (*challenge_put)(struct mg_store *s, enum mg_challenge_kind kind, int64_t owner, const uint8_t challenge[32],
                         int64_t now_ms, int64_t expires_ms);
    int (*challenge_take)(struct mg_store *s, enum mg_challenge_kind kind, int64_t owner, int64_t now_ms,
                          uint8_t challenge[32]);
    /* Second-step logins (the mfa_token's SHA-256, after the right password).
     * mfa_login_put stores m (its created_ms is "now") and sets *row_id; it
     * deletes every expired mfa login (expires_ms <= m->created_ms) and the
     * account's oldest beyond MG_MFA_LOGINS_PER_ACCOUNT; MG_DECLINED if the
     * hash exists or no such account.  mfa_login_get: MG_DECLINED if none (the
     * caller checks expires_ms).  mfa_login_failed: failures += 1, *failures
     * = the new count; MG_DECLINED if none.  mfa_login_delete: MG_DECLINED if
     * already gone (of two concurrent deletes exactly one gets MG_OK); the
     * login's challenge goes with it. */
    int (*mfa_login_put)(struct mg_store *s, struct mg_mfa_login *m, int64_t *row_id);
    int (*mfa_login_get)(struct mg_store *s, const uint8_t hash[32], struct mg_mfa_login *out, int64_t *row_id);
    int (*mfa_login_failed)(struct mg_store *s, int64_t row_id, int *failures);
    int (*mfa_login_delete)(struct mg_store *s, int64_t row_id);
    /* An approved recovery (AC-9): the account's TOTP secret, recovery codes,
     * security keys and pending mfa logins (with their challenges) go, in one
     * transaction level.  MG_OK also when it had none. */
    int (*mfa_clear)(struct mg_store *s, int64_t account_id);

    /* ---- Invoices and payments, BL-6/BL-7 (sq_invoices.c) ---- */
    /* The nouns are in core/invoice_records.h; billing/close.h and
     * billing/payments.h give them their meaning.  Every op works inside
     * run_tx (MG_AGAIN there when busy).
     * account_set_invoice_billing: 1 = billed by invoice, net-30 (enterprise).
     * invoice_accounts: the accounts with usage events in [from_ms, to_ms)
     * whose id > after_id, ascending, at most limit (<= MG_INVOICES_PAGE_MAX)
     * into ids; *n says how many.
     * invoice_usage_lines: cb for each (service, model) of the account's usage
     * events in [from_ms, to_ms) with the group's sums (units is left ""),
     * ordered by service then model; cb != MG_OK stops.
     * invoice_next_id: the id the next invoice_insert may use (inside the
     * write transaction that inserts it, so numbers are sequential).
     * invoice_insert: inv (with inv->id from invoice_next_id, number set) and
     * its n lines, all or nothing; MG_DECLINED when the account has an
     * invoice of that period already (insert if absent), the number exists,
     * or n > MG_INVOICE_LINES_PER_INVOICE.
     * invoice_get: MG_DECLINED if none.  invoices_list: newest first (id
     * descending); account_id 0 = all, status -1 = any, before_id 0 = from the
     * newest; at most limit.  invoice_lines: the invoice's lines in order.
     * invoice_set_status: MG_DECLINED if none.
     * payment_insert fills p->id and adds p->amount_micros to the invoice's
     * paid_micros; MG_DECLINED if no such invoice or it has
     * MG_PAYMENTS_PER_INVOICE payments.  payments_list: oldest first.
     * invoices_due: open invoices with 0 < due_ms <= now_ms and no reminder
     * sent, oldest due first, at most limit.  invoice_set_reminded: sets
     * reminder_sent_ms if none was set; MG_DECLINED otherwise (one reminder).
     * billing_months: the month of the oldest usage event and the newest
     * month invoiced (each -1 when there is none): where the billing thread
     * starts closing months (history back to the first usage). */
    int (*account_set_invoice_billing)(struct mg_store *s, int64_t account_id, int on);
    int (*invoice_accounts)(struct mg_store *s, int64_t from_ms, int64_t to_ms, int64_t after_id, size_t limit,
                            int64_t *ids, size_t *n);
    int (*invoice_usage_lines)(struct mg_store *s, int64_t account_id, int64_t from_ms, int64_t to_ms,
                               mg_store_line_cb cb, void *arg);
    int (*invoice_next_id)(struct mg_store *s, int64_t *id);
    int (*invoice_insert)(struct mg_store *s, const struct mg_invoice_record *inv,
                          const struct mg_invoice_line_record *lines, size_t n);
    int (*invoice_get)(struct mg_store *s, int64_t id, struct mg_invoice_record *out);
    int (*invoices_list)(struct mg_store *s, int64_t account_id, int status, int64_t before_id, size_t limit,
                         mg_store_invoice_cb cb, void *arg);
    int (*invoice_lines)(struct mg_store *s, int64_t invoice_id, mg_store_line_cb cb, void *arg);
    int (*invoice_set_status)(struct mg_store *s, int64_t id, enum mg_invoice_state st);
    int (*payment_insert)(struct mg_store *s, struct mg_payment_record *p);
    int (*payments_list)(struct mg_store *s, int64_t invoice_id, mg_store_payment_cb cb, void *arg);
    int (*invoices_due)(struct mg_store *s, int64_t now_ms, size_t limit, mg_store_invoice_cb cb, void *arg);
    int (*invoice_set_reminded)(struct mg_store *s, int64_t id, int64_t now_ms);
    int (*billing_months)(struct mg_store *s, int64_t *first_usage_month, int64_t *last_invoiced_month);

    /* ---- The wallet: credit ledger and redeem codes, issue 12 / BL-7 (sq_wallet.c) ---- */
    /* accounts.credit_micros is the balance and changes only here, with a
     * ledger entry, in one transaction level (so inside run_tx too; MG_AGAIN
     * there when busy).  A change gives a wallet_only account's keys a new
     * seq (the key record's effective cap follows the balance).
     * ledger_add: inserts e (fills e->id, e->created_ms if 0) and moves the
     * balance by e->amount_micros; *balance (may be NULL) is the new one.
     * MG_DECLINED if no such account or a debit would take the balance
     * below 0 (nothing written).  There is no op that changes or deletes an
     * entry.
     * ledger_list: the account's entries newest first, id < before_id
     * (0 = from the newest), at most min(limit, MG_LEDGER_PAGE_MAX).
     * account_set_wallet_only: MG_DECLINED if no such account.
     * redeem_codes_insert: n codes (fills their ids), all or nothing;
     * MG_DECLINED if n is 0 or above MG_REDEEM_BATCH_CODES_MAX or a hash exists.
     * redeem_codes_list: newest first, id < before_id (0 = from the newest),
     * batch NULL/"" = any, at most min(limit, MG_REDEEM_LIST_MAX).
     * redeem: marks the code of hash redeemed by account_id (it must be
     * unredeemed and not expired at now_ms) and credits its value (kind
     * "redeem"), in one transaction: of concurrent redemptions exactly one
     * wins.  *value and *balance (may be NULL) say what.  MG_DECLINED for an
     * unknown, used or expired code alike (callers answer them alike). */
    int (*ledger_add)(struct mg_store *s, struct mg_ledger_entry *e, int64_t *balance);
    int (*ledger_list)(struct mg_store *s, int64_t account_id, int64_t before_id, size_t limit,
                       int (*cb)(void *arg, const struct mg_ledger_entry *e), void *arg);
    int (*account_set_wallet_only)(struct mg_store *s, int64_t account_id, int on);
    int (*redeem_codes_insert)(struct mg_store *s, struct mg_redeem_code *codes, size_t n);
    int (*redeem_codes_list)(struct mg_store *s, const char *batch, int64_t before_id, size_t limit,
                             int (*cb)(void *arg, const struct mg_redeem_code *r), void *arg);
    int (*redeem)(struct mg_store *s, const uint8_t hash[32], int64_t account_id, int64_t now_ms, int64_t *value,
                  int64_t *balance);
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
