/*
 * sq_core.c: the SQLite backend of store.h: opening a database, its
 * settings, the schema migrations and the backend's ops table.  The ops
 * themselves live in one file per domain (sq_accounts.c, sq_keys.c, ...).
 *
 * Durability: WAL with synchronous=FULL, because usage_events is the ledger
 * (a committed event must survive power loss, not only a crash).
 *
 * Migrations: src/store/migrations/sqlite/NNNN_name.sql, embedded at build
 * time (mg_embed_sql_sqlite, sorted by path).  The table schema_version holds
 * one row per applied number; migrate applies the files above its maximum.
 */
#include "store/sq_impl.h"
#include "core/log.h"
#include "core/mg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000 /* writers are short; 5 s covers a slow disk's fsync burst */

extern const struct mg_embed_set mg_embed_sql_sqlite;

static void close_store(struct mg_store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < SQ_KEPT__COUNT; i++)
        sqlite3_finalize(SQ(s)->kept[i]);
    sqlite3_close(DB(s));
    free(s);
}

int sq_migrate_set(struct mg_store *s, const struct mg_embed_set *set)
{
    char err[256];
    int version = 0, rc = MG_OK;
    sqlite3_stmt *st;
    if (mg_store_migrations_check(set, err, sizeof(err)) != MG_OK) {
        mg_log(MG_LOG_ERROR, "database: %s", err);
        return MG_ERR;
    }
    if (sq_exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") != MG_OK)
        return MG_ERR;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    if ((st = sq_prep(s, "SELECT max(version) FROM schema_version")) == NULL)
        return sq_tx_end(s, MG_ERR);
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if ((size_t)version > set->count)
        mg_log(MG_LOG_WARN, "database: schema version %d is newer than this program's (%zu)", version, set->count);
    for (size_t i = 0; i < set->count && rc == MG_OK; i++) {
        const struct mg_embed_file *f = &set->files[i];
        int n = mg_store_migration_number(f->path);
        char sql[64];
        if (n <= version)
            continue;
        if ((rc = sq_exec(s, (const char *)f->data)) != MG_OK) {
            mg_log(MG_LOG_ERROR, "database: migration %s failed", f->path);
            break;
        }
        snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d)", n);
        rc = sq_exec(s, sql);
    }
    return sq_tx_end(s, rc);
}

static int migrate(struct mg_store *s) { return sq_migrate_set(s, &mg_embed_sql_sqlite); }

static const struct mg_store_ops ops = {
    /* core */
    .backend = "sqlite",
    .close = close_store,
    .migrate = migrate,
    .run_tx = sq_run_tx,
    .soft = sq_soft,
    /* accounts */
    .account_create = sq_account_create,
    .account_by_email = sq_account_by_email,
    .account_set_suspended = sq_account_set_suspended,
    .account_set_cap = sq_account_set_cap,
    /* API keys */
    .key_insert = sq_key_insert,
    .key_by_digest = sq_key_by_digest,
    .key_set_status = sq_key_set_status,
    .key_set_expiry = sq_key_set_expiry,
    .keys_since = sq_keys_since,
    .keys_touch = sq_keys_touch,
    .keys_list = sq_keys_list,
    .key_get = sq_key_get,
    .key_update = sq_key_update,
    .keys_count_active = sq_keys_count_active,
    /* channels */
    .channel_insert = sq_channel_insert,
    .channel_list = sq_channel_list,
    .channel_delete = sq_channel_delete,
    .channel_get = sq_channel_get,
    .channel_update = sq_channel_update,
    /* usage */
    .usage_insert = sq_usage_insert,
    .usage_list = sq_usage_list,
    .usage_log = sq_usage_log,
    .usage_aggregate = sq_usage_aggregate,
    .usage_spend_all = sq_usage_spend_all,
    .usage_settle_checkpoints = sq_usage_settle_checkpoints,
    /* owners */
    .owner_put = sq_owner_put,
    .owner_get = sq_owner_get,
    .owner_state = sq_owner_state,
    .owner_delete = sq_owner_delete,
    .owners_lookup = sq_owners_lookup,
    .tasks_list = sq_tasks_list,
    /* accounts: the platform's part */
    .account_insert = sq_account_insert,
    .account_get = sq_account_get,
    .account_set_password = sq_account_set_password,
    .account_set_status = sq_account_set_status,
    .account_set_plan_role = sq_account_set_plan_role,
    .account_login_failed = sq_account_login_failed,
    .account_set_lock = sq_account_set_lock,
    .account_login_ok = sq_account_login_ok,
    .account_unlock = sq_account_unlock,
    .accounts_search = sq_accounts_search,
    /* sessions */
    .session_insert = sq_session_insert,
    .session_by_hash = sq_session_by_hash,
    .session_touch = sq_session_touch,
    .session_set_reauth = sq_session_set_reauth,
    .session_end_by = sq_session_end_by,
    .session_delete = sq_session_delete,
    .sessions_delete_account = sq_sessions_delete_account,
    .sessions_list = sq_sessions_list,
    .sessions_prune = sq_sessions_prune,
    /* one-time tokens */
    .token_put = sq_token_put,
    .token_consume = sq_token_consume,
    .tokens_invalidate = sq_tokens_invalidate,
    /* audit */
    .audit_append = sq_audit_append,
    .audit_list = sq_audit_list,
    .audit_prune = sq_audit_prune,
    /* access and recovery requests */
    .request_insert = sq_request_insert,
    .request_get = sq_request_get,
    .requests_list = sq_requests_list,
    .request_decide = sq_request_decide,
    /* notifications */
    .usage_by_account_model = sq_usage_by_account_model,
    .prices_list = sq_prices_list,
    .price_put = sq_price_put,
    .price_delete = sq_price_delete,
    .ratio_set = sq_ratio_set,
    .ratios_list = sq_ratios_list,
    .price_seq = sq_price_seq,
    .alert_insert = sq_alert_insert,
    .alerts_list = sq_alerts_list,
    .alert_delete = sq_alert_delete,
    .alerts_due = sq_alerts_due,
    .alert_fire = sq_alert_fire,
    .notification_insert = sq_notification_insert,
    .notifications_list = sq_notifications_list,
    .notification_read = sq_notification_read,
    /* second factors */
    .totp_put_pending = sq_totp_put_pending,
    .totp_get = sq_totp_get,
    .totp_confirm = sq_totp_confirm,
    .totp_use_step = sq_totp_use_step,
    .totp_delete = sq_totp_delete,
    .recovery_set = sq_recovery_set,
    .recovery_use = sq_recovery_use,
    .recovery_left = sq_recovery_left,
    .webauthn_add = sq_webauthn_add,
    .webauthn_list = sq_webauthn_list,
    .webauthn_by_cred_id = sq_webauthn_by_cred_id,
    .webauthn_update_use = sq_webauthn_update_use,
    .webauthn_delete = sq_webauthn_delete,
    .challenge_put = sq_challenge_put,
    .challenge_take = sq_challenge_take,
    .mfa_login_put = sq_mfa_login_put,
    .mfa_login_get = sq_mfa_login_get,
    .mfa_login_failed = sq_mfa_login_failed,
    .mfa_login_delete = sq_mfa_login_delete,
    .mfa_clear = sq_mfa_clear,
    /* invoices and payments */
    .account_set_invoice_billing = sq_account_set_invoice_billing,
    .invoice_accounts = sq_invoice_accounts,
    .invoice_usage_lines = sq_invoice_usage_lines,
    .invoice_next_id = sq_invoice_next_id,
    .invoice_insert = sq_invoice_insert,
    .invoice_get = sq_invoice_get,
    .invoices_list = sq_invoices_list,
    .invoice_lines = sq_invoice_lines,
    .invoice_set_status = sq_invoice_set_status,
    .payment_insert = sq_payment_insert,
    .payments_list = sq_payments_list,
    .invoices_due = sq_invoices_due,
    .billing_months = sq_billing_months,
    .invoice_set_reminded = sq_invoice_set_reminded,
    /* the wallet */
    .ledger_add = sq_ledger_add,
    .ledger_list = sq_ledger_list,
    .account_set_wallet_only = sq_account_set_wallet_only,
    .redeem_codes_insert = sq_redeem_codes_insert,
    .redeem_codes_list = sq_redeem_codes_list,
    .redeem = sq_redeem,
};

/* The database holds key digests, accounts and usage: it is the owner's
 * alone, whatever the umask.  SQLite would create it 0644 & ~umask and gives
 * its -wal and -shm files the database file's mode, so the file is made (or
 * tightened) 0600 here before SQLite opens it; side files left by an older,
 * looser version are tightened too.  An existing file is never opened here:
 * closing any descriptor of a file drops every POSIX lock this process holds
 * on it, SQLite's locks of the other connections included. */
static int private_file(const char *path, int create, char *err, size_t errlen)
{
    struct stat st;
    if (create) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            int rc = fchmod(fd, 0600); /* exactly 0600: the umask may have taken the owner's bits */
            close(fd);
            if (rc == 0)
                return MG_OK;
            snprintf(err, errlen, "cannot make database %s private (mode 0600): %s", path, strerror(errno));
            return MG_ERR;
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create database %s: %s", path, strerror(errno));
            return MG_ERR;
        }
    }
    if (stat(path, &st) != 0)
        return MG_OK; /* no side file yet; a missing database is SQLite's to report */
    if ((st.st_mode & 0777) != 0600 && chmod(path, 0600) != 0) {
        snprintf(err, errlen, "cannot make database %s private (mode 0600): %s", path, strerror(errno));
        return MG_ERR;
    }
    return MG_OK;
}

static int private_files(const char *path, char *err, size_t errlen)
{
    static const char *const side[] = {"-wal", "-shm"};
    char p[4096];
    if (path[0] == '\0' || path[0] == ':') /* ":memory:" and temporary databases have no file */
        return MG_OK;
    if (private_file(path, 1, err, errlen) != MG_OK)
        return MG_ERR;
    for (size_t i = 0; i < MG_ARRAY_SIZE(side); i++) {
        if ((size_t)snprintf(p, sizeof(p), "%s%s", path, side[i]) >= sizeof(p)) {
            snprintf(err, errlen, "the database path is too long: %.200s", path);
            return MG_ERR;
        }
        if (private_file(p, 0, err, errlen) != MG_OK)
            return MG_ERR;
    }
    return MG_OK;
}

struct mg_store *mg_store_open_sqlite(const char *path, char *err, size_t errlen)
{
    if (private_files(path, err, errlen) != MG_OK)
        return NULL;
    struct sq_store *s = mg_calloc(1, sizeof(*s));
    s->base.ops = &ops;
    s->ckpt_rows = -1; /* unknown until this handle's first batch counts them */
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (sq_exec(&s->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON") != MG_OK) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(s->db));
        close_store(&s->base);
        return NULL;
    }
    return &s->base;
}
