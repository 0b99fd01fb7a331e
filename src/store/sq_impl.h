/*
 * sq_impl.h: what the SQLite backend's files (sq_*.c) share: the handle, the
 * statement helpers and the transaction primitives.  Not part of the store
 * interface: only src/store/sq_*.c and the store's unit tests include it.
 *
 * Transactions: sq_tx_begin/sq_tx_end are the one code path for BEGIN,
 * COMMIT, ROLLBACK and SAVEPOINT.  The outermost level is a real transaction;
 * a level opened while one is open (an op called from a run_tx function, or an
 * op calling another) is a SAVEPOINT, so an op keeps its all-or-nothing
 * contract inside a bigger transaction and the outer one decides the commit.
 */
#ifndef MG_STORE_SQ_IMPL_H
#define MG_STORE_SQ_IMPL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "core/embed.h"
#include "core/mg.h"
#include "store/store.h"

/* Statements a handle keeps prepared: the usage writer's, run for every
 * batch (preparing them cost more than binding and stepping them). */
enum sq_kept { SQ_KEPT_USAGE_INS, SQ_KEPT_CKPT_PUT, SQ_KEPT_CKPT_DEL, SQ_KEPT_CKPT_COUNT, SQ_KEPT__COUNT };

struct sq_store {
    struct mg_store base;
    sqlite3 *db;
    /* rows in stream_checkpoints as of this handle's last batch (-1: unknown, counted after the next
     * batch).  While 0, a real event need not look for its stream's checkpoint. */
    int64_t ckpt_rows;
    int depth; /* open transaction levels: 0 none, 1 BEGIN, more are SAVEPOINTs */
    int soft;  /* the last failure was SQLITE_BUSY/LOCKED (mg_store_soft) */
    sqlite3_stmt *kept[SQ_KEPT__COUNT]; /* the usage writer's statements, prepared once (sq_prep_kept) */
};

#define SQ(s) ((struct sq_store *)(s))

/* The handle's kept statement `which` of sql (always the same text for one
 * `which`), prepared on first use: reset and unbound, ready to bind.  Never
 * finalized by the caller (close does it).  NULL on failure (logged). */
sqlite3_stmt *sq_prep_kept(struct mg_store *s, enum sq_kept which, const char *sql);
/* Resets every kept statement and clears its bindings (after a use that bound SQLITE_STATIC data). */
void sq_kept_release(struct mg_store *s);
#define DB(s) (SQ(s)->db)

/* The kind of an outermost transaction: a writer takes the write lock up
 * front (BEGIN IMMEDIATE), so the busy handler does the waiting and it never
 * fails half-way on a lock upgrade; a reader takes one snapshot (BEGIN). */
enum sq_tx_kind { SQ_WRITE, SQ_READ };

/* Logs "database: what: <sqlite message>", records whether the failure was
 * soft, and returns MG_ERR. */
int sq_fail(struct mg_store *s, const char *what);

/* Runs SQL (any number of statements).  MG_OK or MG_ERR (logged). */
int sq_exec(struct mg_store *s, const char *sql);

/* A prepared statement (the caller finalizes it), or NULL (logged). */
sqlite3_stmt *sq_prep(struct mg_store *s, const char *sql);

/* Steps a statement that returns no rows and finalizes it: MG_OK,
 * MG_DECLINED on a constraint violation, MG_ERR (logged). */
int sq_step_done(struct mg_store *s, sqlite3_stmt *st, const char *what);

/* Copies src lower-cased (ASCII) into dst of cap bytes, truncating. */
void sq_lower(char *dst, const char *src, size_t cap);

/* Opens a transaction level (see the top of this file).  MG_OK or MG_ERR. */
int sq_tx_begin(struct mg_store *s, enum sq_tx_kind kind);

/* Closes the level sq_tx_begin opened: rc == MG_ERR rolls it back, anything
 * else commits (releases) it.  Returns rc, or MG_ERR if the commit failed
 * (then the level is rolled back). */
int sq_tx_end(struct mg_store *s, int rc);

/* The SQLite row of store.c's backend table: opens (creating it 0600 if
 * missing) the database file at path.  NULL with the reason in err. */
struct mg_store *mg_store_open_sqlite(const char *path, char *err, size_t errlen);

/* store.h's run_tx for SQLite (sq_tx.c). */
int sq_run_tx(struct mg_store *s, const char *name, mg_store_tx_fn fn, void *arg);

/* store.h's soft for SQLite (sq_tx.c). */
int sq_soft(struct mg_store *s);

/* Applies every migration of set whose number is above the database's
 * version, in order, in one transaction; refuses a set with a gap or a
 * duplicate (mg_store_migrations_check).  MG_OK or MG_ERR (logged).  The
 * backend's migrate op is this with mg_embed_sql_sqlite; tests pass others. */
int sq_migrate_set(struct mg_store *s, const struct mg_embed_set *set);

/*
 * The ops of each domain (the SQLite side of store.h's blocks, in the same
 * order); sq_core.c puts them into the ops table.  A new domain adds its
 * block here and its file sq_<domain>.c.
 */

/* ---- Accounts (sq_accounts.c) ---- */
int sq_account_create(struct mg_store *s, const char *email, const char *phc, int is_admin, int64_t *id);
/* in sq_accounts_platform.c, beside the one account row reader */
int sq_account_by_email(struct mg_store *s, const char *email, struct mg_account *out);
int sq_account_set_suspended(struct mg_store *s, int64_t id, int suspended);
int sq_account_set_cap(struct mg_store *s, int64_t id, int64_t cap);

/* ---- API keys (sq_keys.c) ---- */
/* Runs an UPDATE (sql binds v, then the account id or the key's public id)
 * and gives the affected keys a new seq, in one transaction level.
 * MG_DECLINED if no row matched.  Accounts use it too: a change to an
 * account is a change to its keys for the key pollers. */
int sq_update_bumping(struct mg_store *s, const char *sql, int64_t v, int64_t id, const char *public_id);
int sq_key_insert(struct mg_store *s, struct mg_key_record *k);
/* Gives every key of the account a new seq (a change of the account the key cache carries); inside a
 * transaction the caller opened. */
int sq_keys_bump_account(struct mg_store *s, int64_t account_id);
int sq_key_by_digest(struct mg_store *s, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out);
int sq_key_set_status(struct mg_store *s, const char *public_id, enum mg_key_status stt);
int sq_key_set_expiry(struct mg_store *s, const char *public_id, int64_t expires_ms);
int sq_keys_since(struct mg_store *s, int64_t since, mg_store_key_cb cb, void *arg, int64_t *max_seq);
int sq_keys_touch(struct mg_store *s, const int64_t *ids, const int64_t *used_ms, size_t n);
int sq_keys_list(struct mg_store *s, int64_t account_id, mg_store_key_cb cb, void *arg);
int sq_key_get(struct mg_store *s, const char *public_id, struct mg_key_record *out);
int sq_key_update(struct mg_store *s, const char *public_id, const struct mg_key_change *ch);
int sq_keys_count_active(struct mg_store *s, int64_t account_id, int64_t now_ms, int *n);

/* ---- Channels (sq_channels.c) ---- */
int sq_channel_insert(struct mg_store *s, struct mg_channel_record *c);
int sq_channel_list(struct mg_store *s, struct mg_channel_record **out, size_t *n);
int sq_channel_delete(struct mg_store *s, const char *name);
int sq_channel_get(struct mg_store *s, const char *name, struct mg_channel_record *out);
int sq_channel_update(struct mg_store *s, const struct mg_channel_record *c);

/* ---- Usage (sq_usage.c) ---- */
int sq_usage_insert(struct mg_store *s, const struct mg_usage_event *ev, size_t n);
int sq_usage_list(struct mg_store *s, const char *request_id, size_t limit, mg_store_usage_cb cb, void *arg);
int sq_usage_log(struct mg_store *s, const struct mg_usage_filter *f, size_t limit, mg_store_usage_cb cb, void *arg);
int sq_usage_aggregate(struct mg_store *s, int64_t account_id, int64_t from_ms, int64_t to_ms, enum mg_usage_group g,
                       size_t limit, mg_store_total_cb cb, void *arg, int *more);
int sq_usage_spend_all(struct mg_store *s, int64_t from_ms, int64_t to_ms, mg_store_spend_cb cb, void *arg);
int sq_usage_settle_checkpoints(struct mg_store *s, size_t *n);

/* ---- Owners (sq_owners.c) ---- */
int sq_owner_put(struct mg_store *s, enum mg_owned_kind kind, const char *id, const struct mg_owned *o);
int sq_owner_get(struct mg_store *s, enum mg_owned_kind kind, const char *id, struct mg_owned *o);
int sq_owner_state(struct mg_store *s, enum mg_owned_kind kind, const char *id, const char *state, int64_t now_ms);
int sq_owner_delete(struct mg_store *s, enum mg_owned_kind kind, const char *id);
int sq_owners_lookup(struct mg_store *s, enum mg_owned_kind kind, const char *const *ids, size_t n,
                     int64_t *account_out);
int sq_tasks_list(struct mg_store *s, const struct mg_task_filter *f, size_t limit, mg_store_task_cb cb, void *arg);


/*
 * Helpers of the platform's domains.  Busy inside a transaction: an op
 * called from a run_tx function (a level is open) answers MG_AGAIN on
 * SQLITE_BUSY/LOCKED without logging (soft is set too) and rolls back its
 * own level, so the tx function can return MG_TX_RETRY.
 */

/* The answer to a failed step: MG_AGAIN when busy inside an open
 * transaction, else MG_ERR (logged). */
static inline int sq_pfail(struct mg_store *s, const char *what)
{
    int c = sqlite3_errcode(DB(s)) & 0xff;
    if ((c == SQLITE_BUSY || c == SQLITE_LOCKED) && SQ(s)->depth > 0) {
        SQ(s)->soft = 1;
        return MG_AGAIN;
    }
    return sq_fail(s, what);
}

/* sq_tx_end for an op's own level: MG_AGAIN rolls the level back too. */
static inline int sq_level_end(struct mg_store *s, int rc)
{
    if (rc == MG_AGAIN) {
        sq_tx_end(s, MG_ERR);
        return MG_AGAIN;
    }
    return sq_tx_end(s, rc);
}

/* Steps a statement that returns no rows and finalizes it: MG_OK,
 * MG_DECLINED on a constraint violation or when need_row and no row changed,
 * MG_AGAIN / MG_ERR as sq_pfail. */
static inline int sq_pstep(struct mg_store *s, sqlite3_stmt *st, int need_row, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return MG_DECLINED;
    if (rc != SQLITE_DONE)
        return sq_pfail(s, what);
    return need_row && sqlite3_changes(DB(s)) == 0 ? MG_DECLINED : MG_OK;
}

/* One statement with int64 parameters a and b (b bound when the SQL has a second one), run by sq_pstep. */
static inline int sq_run2(struct mg_store *s, const char *sql, int64_t a, int64_t b, int need_row, const char *what)
{
    sqlite3_stmt *st = sq_prep(s, sql);
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, b);
    return sq_pstep(s, st, need_row, what);
}

/* A text column, "" for NULL. */
static inline const char *sq_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* ---- Accounts: the platform's part (sq_accounts_platform.c) ---- */
int sq_account_insert(struct mg_store *s, struct mg_account *a);
int sq_account_get(struct mg_store *s, int64_t id, struct mg_account *out);
int sq_account_set_password(struct mg_store *s, int64_t id, const char *phc);
int sq_account_set_status(struct mg_store *s, int64_t id, enum mg_account_status st);
int sq_account_set_plan_role(struct mg_store *s, int64_t id, const char *plan, int is_admin);
int sq_account_login_failed(struct mg_store *s, int64_t id, int64_t now_ms, int *consecutive, int *last_hour);
int sq_account_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms);
int sq_account_login_ok(struct mg_store *s, int64_t id, int64_t now_ms);
int sq_account_unlock(struct mg_store *s, int64_t id);
int sq_accounts_search(struct mg_store *s, const char *q, int64_t after_id, size_t limit,
                       int (*cb)(void *arg, const struct mg_account *a), void *arg);

/* ---- Sessions (sq_sessions.c) ---- */
int sq_session_insert(struct mg_store *s, struct mg_session *se);
int sq_session_by_hash(struct mg_store *s, const uint8_t hash[32], struct mg_session *out);
int sq_session_touch(struct mg_store *s, int64_t id, int64_t now_ms);
int sq_session_set_reauth(struct mg_store *s, int64_t id, int64_t now_ms);
int sq_session_end_by(struct mg_store *s, int64_t id, int64_t expires_ms);
int sq_session_delete(struct mg_store *s, int64_t account_id, int64_t id);
int sq_sessions_delete_account(struct mg_store *s, int64_t account_id, int64_t except_id, size_t *n);
int sq_sessions_list(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_session *se),
                     void *arg);
int sq_sessions_prune(struct mg_store *s, int64_t now_ms, int64_t idle_ms);

/* ---- One-time tokens (sq_tokens.c) ---- */
int sq_token_put(struct mg_store *s, enum mg_token_kind kind, const uint8_t hash[32], int64_t account_id,
                 int64_t now_ms, int64_t expires_ms);
int sq_token_consume(struct mg_store *s, enum mg_token_kind kind, const uint8_t hash[32], int64_t now_ms,
                     int64_t *account_id);
int sq_tokens_invalidate(struct mg_store *s, int64_t account_id, enum mg_token_kind kind);

/* ---- Audit (sq_audit.c) ---- */
int sq_audit_append(struct mg_store *s, struct mg_audit_event *e);
int sq_audit_list(struct mg_store *s, int64_t account_id, const char *type, int64_t before_id, size_t limit,
                  int (*cb)(void *arg, const struct mg_audit_event *e), void *arg);
int sq_audit_prune(struct mg_store *s, int64_t before_ms);

/* ---- Access and recovery requests (sq_requests.c) ---- */
int sq_request_insert(struct mg_store *s, struct mg_request *r);
int sq_request_get(struct mg_store *s, int64_t id, struct mg_request *out);
int sq_requests_list(struct mg_store *s, enum mg_request_kind kind, int status, size_t limit,
                     int (*cb)(void *arg, const struct mg_request *r), void *arg);
int sq_request_decide(struct mg_store *s, int64_t id, enum mg_request_status st, int64_t by, int64_t now_ms);

/* ---- In-app notifications (sq_notifications.c) ---- */
int sq_usage_by_account_model(struct mg_store *s, int64_t from_ms, int64_t to_ms, size_t limit,
                              int (*cb)(void *arg, const struct mg_usage_event *sum, int64_t requests), void *arg);
int sq_prices_list(struct mg_store *s, int (*cb)(void *arg, const struct mg_price *p), void *arg);
int sq_price_put(struct mg_store *s, const struct mg_price *p, int64_t now_ms);
int sq_price_delete(struct mg_store *s, const char *model);
int sq_ratio_set(struct mg_store *s, const char *scope, int64_t ratio_ppm, int64_t now_ms);
int sq_ratios_list(struct mg_store *s, int (*cb)(void *arg, const char *scope, int64_t ratio_ppm), void *arg);
int sq_price_seq(struct mg_store *s, int64_t *seq);
int sq_alert_insert(struct mg_store *s, struct mg_alert *a);
int sq_alerts_list(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_alert *a), void *arg);
int sq_alert_delete(struct mg_store *s, int64_t account_id, int64_t id);
int sq_alerts_due(struct mg_store *s, int64_t account_id, int64_t month,
                  int (*cb)(void *arg, const struct mg_alert_due *d), void *arg);
int sq_alert_fire(struct mg_store *s, int64_t id, int64_t month);
int sq_notification_insert(struct mg_store *s, struct mg_notification *n);
int sq_notifications_list(struct mg_store *s, int64_t account_id, size_t limit,
                          int (*cb)(void *arg, const struct mg_notification *n), void *arg, int *unread);
int sq_notification_read(struct mg_store *s, int64_t account_id, int64_t id);


/* ---- Second factors (sq_mfa.c: TOTP, recovery codes, clear) ---- */
int sq_totp_put_pending(struct mg_store *s, int64_t account_id, const uint8_t *sealed, size_t len, int64_t now_ms);
int sq_totp_get(struct mg_store *s, int64_t account_id, struct mg_totp_record *out);
int sq_totp_confirm(struct mg_store *s, int64_t account_id, int64_t step);
int sq_totp_use_step(struct mg_store *s, int64_t account_id, int64_t step);
int sq_totp_delete(struct mg_store *s, int64_t account_id);
int sq_recovery_set(struct mg_store *s, int64_t account_id, const uint8_t (*hashes)[32], size_t n, int64_t now_ms);
int sq_recovery_use(struct mg_store *s, int64_t account_id, const uint8_t hash[32], int64_t now_ms);
int sq_recovery_left(struct mg_store *s, int64_t account_id, int *left);
int sq_mfa_clear(struct mg_store *s, int64_t account_id);
/* (sq_mfa_webauthn.c: security keys, challenges, second-step logins) */
int sq_webauthn_add(struct mg_store *s, struct mg_webauthn_record *r);
int sq_webauthn_list(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_webauthn_record *r),
                     void *arg);
int sq_webauthn_by_cred_id(struct mg_store *s, const uint8_t *cred_id, size_t len, struct mg_webauthn_record *out);
int sq_webauthn_update_use(struct mg_store *s, int64_t id, uint32_t sign_count, int bs, int64_t now_ms);
int sq_webauthn_delete(struct mg_store *s, int64_t account_id, int64_t id);
int sq_challenge_put(struct mg_store *s, enum mg_challenge_kind kind, int64_t owner, const uint8_t challenge[32],
                     int64_t now_ms, int64_t expires_ms);
int sq_challenge_take(struct mg_store *s, enum mg_challenge_kind kind, int64_t owner, int64_t now_ms,
                      uint8_t challenge[32]);
int sq_mfa_login_put(struct mg_store *s, struct mg_mfa_login *m, int64_t *row_id);
int sq_mfa_login_get(struct mg_store *s, const uint8_t hash[32], struct mg_mfa_login *out, int64_t *row_id);
int sq_mfa_login_failed(struct mg_store *s, int64_t row_id, int *failures);
int sq_mfa_login_delete(struct mg_store *s, int64_t row_id);

/* ---- Invoices and payments (sq_invoices.c) ---- */
int sq_account_set_invoice_billing(struct mg_store *s, int64_t account_id, int on);
int sq_invoice_accounts(struct mg_store *s, int64_t from_ms, int64_t to_ms, int64_t after_id, size_t limit,
                        int64_t *ids, size_t *n);
int sq_invoice_usage_lines(struct mg_store *s, int64_t account_id, int64_t from_ms, int64_t to_ms,
                           mg_store_line_cb cb, void *arg);
int sq_invoice_next_id(struct mg_store *s, int64_t *id);
int sq_invoice_insert(struct mg_store *s, const struct mg_invoice_record *inv,
                      const struct mg_invoice_line_record *lines, size_t n);
int sq_invoice_get(struct mg_store *s, int64_t id, struct mg_invoice_record *out);
int sq_invoices_list(struct mg_store *s, int64_t account_id, int status, int64_t before_id, size_t limit,
                     mg_store_invoice_cb cb, void *arg);
int sq_invoice_lines(struct mg_store *s, int64_t invoice_id, mg_store_line_cb cb, void *arg);
int sq_invoice_set_status(struct mg_store *s, int64_t id, enum mg_invoice_state st);
int sq_payment_insert(struct mg_store *s, struct mg_payment_record *p);
int sq_payments_list(struct mg_store *s, int64_t invoice_id, mg_store_payment_cb cb, void *arg);
int sq_invoices_due(struct mg_store *s, int64_t now_ms, size_t limit, mg_store_invoice_cb cb, void *arg);
int sq_billing_months(struct mg_store *s, int64_t *first_usage_month, int64_t *last_invoiced_month);
int sq_invoice_set_reminded(struct mg_store *s, int64_t id, int64_t now_ms);

/* ---- The wallet (sq_wallet.c) ---- */
int sq_ledger_add(struct mg_store *s, struct mg_ledger_entry *e, int64_t *balance);
int sq_ledger_list(struct mg_store *s, int64_t account_id, int64_t before_id, size_t limit,
                   int (*cb)(void *arg, const struct mg_ledger_entry *e), void *arg);
int sq_account_set_wallet_only(struct mg_store *s, int64_t account_id, int on);
int sq_redeem_codes_insert(struct mg_store *s, struct mg_redeem_code *codes, size_t n);
int sq_redeem_codes_list(struct mg_store *s, const char *batch, int64_t before_id, size_t limit,
                         int (*cb)(void *arg, const struct mg_redeem_code *r), void *arg);
int sq_redeem(struct mg_store *s, const uint8_t hash[32], int64_t account_id, int64_t now_ms, int64_t *value,
              int64_t *balance);

#endif
