/*
 * sq_accounts_platform.c: the SQLite accounts operations of the platform
 * (sign-in state, lockout counters, plan and role, credit, search) and the
 * one account row reader every account lookup uses.
 *
 * The failed-login count has two parts: failed_logins on the account (the
 * consecutive failures, reset by a success or an unlock) and the rows of
 * login_failures (the per-hour count from any set of IPs).  Each failure
 * deletes that account's rows outside the hour and beyond
 * MG_LOGIN_FAILURES_KEPT, so the table stays bounded.
 */
#include "store/sq_impl.h"

#include <string.h>

#define ACCOUNT_COLS                                                                                        \
    "id, email, is_admin, suspended, cap_micros, created_ms, status, plan, password_phc, failed_logins, "   \
    "locked_until_ms, last_login_ms, credit_micros, invoice_billing, wallet_only FROM accounts "

static void account_row(sqlite3_stmt *st, struct mg_account *a)
{
    memset(a, 0, sizeof(*a));
    a->id = sqlite3_column_int64(st, 0);
    mg_strlcpy(a->email, sq_text(st, 1), sizeof(a->email));
    a->is_admin = sqlite3_column_int(st, 2);
    a->suspended = sqlite3_column_int(st, 3);
    a->cap_micros = sqlite3_column_int64(st, 4);
    a->created_ms = sqlite3_column_int64(st, 5);
    a->status = (enum mg_account_status)sqlite3_column_int(st, 6);
    mg_strlcpy(a->plan, sq_text(st, 7), sizeof(a->plan));
    mg_strlcpy(a->password_phc, sq_text(st, 8), sizeof(a->password_phc));
    a->failed_logins = sqlite3_column_int(st, 9);
    a->locked_until_ms = sqlite3_column_int64(st, 10);
    a->last_login_ms = sqlite3_column_int64(st, 11);
    a->credit_micros = sqlite3_column_int64(st, 12);
    a->invoice_billing = sqlite3_column_int(st, 13);
    a->wallet_only = sqlite3_column_int(st, 14);
}

/* One row of a prepared single-account query: MG_OK, MG_DECLINED, MG_AGAIN, MG_ERR. */
static int one_account(struct mg_store *s, sqlite3_stmt *st, struct mg_account *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        account_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "account lookup");
}

/* The account's row; its credit comes after, as an opening ledger entry (sq_wallet.c). */
static int insert_row(struct mg_store *s, struct mg_account *a)
{
    char e[256];
    int rc;
    sqlite3_stmt *st = sq_prep(s, "INSERT INTO accounts(email, password_phc, is_admin, suspended, cap_micros,"
                                  " created_ms, status, plan, failed_logins, locked_until_ms, last_login_ms,"
                                  " credit_micros) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    sq_lower(e, a->email, sizeof(e));
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    if (a->password_phc[0] != '\0')
        sqlite3_bind_text(st, 2, a->password_phc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, a->is_admin);
    sqlite3_bind_int(st, 4, a->suspended);
    sqlite3_bind_int64(st, 5, a->cap_micros);
    sqlite3_bind_int64(st, 6, a->created_ms);
    sqlite3_bind_int(st, 7, (int)a->status);
    sqlite3_bind_text(st, 8, a->plan[0] ? a->plan : "free", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 9, a->failed_logins);
    sqlite3_bind_int64(st, 10, a->locked_until_ms);
    sqlite3_bind_int64(st, 11, a->last_login_ms);
    sqlite3_bind_int64(st, 12, 0);
    rc = sq_pstep(s, st, 0, "account insert");
    if (rc == MG_OK) {
        a->id = sqlite3_last_insert_rowid(DB(s));
        mg_strlcpy(a->email, e, sizeof(a->email));
    }
    return rc;
}

int sq_account_insert(struct mg_store *s, struct mg_account *a)
{
    if (a->credit_micros == 0)
        return insert_row(s, a);
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    int rc = insert_row(s, a);
    if (rc == MG_OK) {
        struct mg_ledger_entry le = {.account_id = a->id, .amount_micros = a->credit_micros, .kind = "opening",
                                     .created_ms = a->created_ms};
        rc = sq_ledger_add(s, &le, NULL);
    }
    if (rc == MG_DECLINED) {
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_account_get(struct mg_store *s, int64_t id, struct mg_account *out)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT " ACCOUNT_COLS "WHERE id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    return one_account(s, st, out);
}

int sq_account_by_email(struct mg_store *s, const char *email, struct mg_account *out)
{
    char e[256];
    sqlite3_stmt *st = sq_prep(s, "SELECT " ACCOUNT_COLS "WHERE email = ?");
    if (st == NULL)
        return MG_ERR;
    sq_lower(e, email, sizeof(e));
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    return one_account(s, st, out);
}

/* UPDATE accounts SET <set> WHERE id = ?1, with ?2 (and ?3) bound from v/w. */
static int update(struct mg_store *s, const char *sql, int64_t id, int64_t v, int64_t w)
{
    sqlite3_stmt *st = sq_prep(s, sql);
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, v);
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_int64(st, 3, w);
    return sq_pstep(s, st, 1, "account update");
}

int sq_account_set_password(struct mg_store *s, int64_t id, const char *phc)
{
    sqlite3_stmt *st = sq_prep(s, "UPDATE accounts SET password_phc = ?2, status = 0 WHERE id = ?1");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    if (phc != NULL && phc[0] != '\0')
        sqlite3_bind_text(st, 2, phc, -1, SQLITE_TRANSIENT);
    return sq_pstep(s, st, 1, "account password");
}

int sq_account_set_status(struct mg_store *s, int64_t id, enum mg_account_status stt)
{
    return update(s, "UPDATE accounts SET status = ?2 WHERE id = ?1", id, (int64_t)stt, 0);
}

int sq_account_set_plan_role(struct mg_store *s, int64_t id, const char *plan, int is_admin)
{
    sqlite3_stmt *st = sq_prep(s, "UPDATE accounts SET plan = coalesce(?2, plan),"
                                  " is_admin = CASE WHEN ?3 < 0 THEN is_admin ELSE ?3 END WHERE id = ?1");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    if (plan != NULL)
        sqlite3_bind_text(st, 2, plan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, is_admin < 0 ? -1 : is_admin != 0);
    if (plan == NULL)
        return sq_pstep(s, st, 1, "account plan/role");
    /* the plan's price ratio is in the account's key records: they change with it */
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK) {
        sqlite3_finalize(st);
        return MG_ERR;
    }
    int rc = sq_pstep(s, st, 1, "account plan/role");
    if (rc == MG_OK)
        rc = sq_keys_bump_account(s, id);
    return sq_level_end(s, rc);
}

/* The statements of one failed login, in order: bump, forget the old rows,
 * keep the newest rows only, record this one, count the hour. */
static int login_failed(struct mg_store *s, int64_t id, int64_t now, int *consecutive, int *last_hour)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = ?1"
                                  " RETURNING failed_logins");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *consecutive = sqlite3_column_int(st, 0);
    else if (rc != SQLITE_DONE)
        rc = sq_pfail(s, "login failure");
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? MG_DECLINED : rc;
    rc = update(s, "DELETE FROM login_failures WHERE account_id = ?1 AND ts_ms <= ?2", id,
                now - MG_LOGIN_FAILURE_WINDOW_MS, 0);
    if (rc == MG_DECLINED)
        rc = MG_OK; /* nothing old to delete */
    if (rc == MG_OK)
        rc = update(s, "DELETE FROM login_failures WHERE account_id = ?1 AND rowid NOT IN (SELECT rowid FROM"
                       " login_failures WHERE account_id = ?1 ORDER BY ts_ms DESC, rowid DESC LIMIT ?2)",
                    id, MG_LOGIN_FAILURES_KEPT - 1, 0);
    if (rc == MG_DECLINED)
        rc = MG_OK;
    if (rc == MG_OK)
        rc = update(s, "INSERT INTO login_failures(account_id, ts_ms) VALUES (?1, ?2)", id, now, 0);
    if (rc != MG_OK)
        return rc;
    if ((st = sq_prep(s, "SELECT count(*) FROM login_failures WHERE account_id = ?1 AND ts_ms > ?2 AND ts_ms <= ?3")) ==
        NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now - MG_LOGIN_FAILURE_WINDOW_MS);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *last_hour = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_pfail(s, "login failure count");
}

int sq_account_login_failed(struct mg_store *s, int64_t id, int64_t now_ms, int *consecutive, int *last_hour)
{
    int rc;
    *consecutive = *last_hour = 0;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = login_failed(s, id, now_ms, consecutive, last_hour);
    if (rc == MG_DECLINED) { /* no such account: nothing was written */
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_account_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms)
{
    return update(s, "UPDATE accounts SET locked_until_ms = ?2 WHERE id = ?1", id, locked_until_ms, 0);
}

int sq_account_login_ok(struct mg_store *s, int64_t id, int64_t now_ms)
{
    return update(s, "UPDATE accounts SET failed_logins = 0, locked_until_ms = 0, last_login_ms = ?2 WHERE id = ?1",
                  id, now_ms, 0);
}

int sq_account_unlock(struct mg_store *s, int64_t id)
{
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = update(s, "UPDATE accounts SET failed_logins = 0, locked_until_ms = 0 WHERE id = ?1", id, 0, 0);
    if (rc == MG_DECLINED) {
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    if (rc == MG_OK && (rc = update(s, "DELETE FROM login_failures WHERE account_id = ?1", id, 0, 0)) == MG_DECLINED)
        rc = MG_OK;
    return sq_level_end(s, rc);
}

int sq_accounts_search(struct mg_store *s, const char *q, int64_t after_id, size_t limit,
                       int (*cb)(void *arg, const struct mg_account *a), void *arg)
{
    char lq[256];
    int rc;
    struct mg_account a;
    sqlite3_stmt *st = sq_prep(s, "SELECT " ACCOUNT_COLS "WHERE (?1 = '' OR instr(email, ?1) > 0) AND id > ?2"
                                  " ORDER BY id LIMIT ?3");
    if (st == NULL)
        return MG_ERR;
    sq_lower(lq, q ? q : "", sizeof(lq));
    sqlite3_bind_text(st, 1, lq, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        account_row(st, &a);
        if (cb(arg, &a) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "account search");
}
