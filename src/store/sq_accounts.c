/* sq_accounts.c: the accounts domain of the SQLite backend (store.h "Accounts"). */
#include "store/sq_impl.h"
#include "core/clock.h"
#include "core/mg.h"

#include <string.h>

int sq_account_create(struct mg_store *s, const char *email, const char *phc, int is_admin, int64_t *id)
{
    char e[256];
    sqlite3_stmt *st = sq_prep(s, "INSERT INTO accounts(email, password_phc, is_admin, created_ms) VALUES (?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    sq_lower(e, email, sizeof(e));
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    if (phc)
        sqlite3_bind_text(st, 2, phc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, is_admin);
    sqlite3_bind_int64(st, 4, mg_now_ms());
    int rc = sq_step_done(s, st, "account insert");
    if (rc == MG_OK && id)
        *id = sqlite3_last_insert_rowid(DB(s));
    return rc;
}

int sq_account_by_email(struct mg_store *s, const char *email, struct mg_account *out)
{
    char e[256];
    int rc;
    sqlite3_stmt *st =
        sq_prep(s, "SELECT id, email, is_admin, suspended, cap_micros, created_ms FROM accounts WHERE email = ?");
    if (st == NULL)
        return MG_ERR;
    sq_lower(e, email, sizeof(e));
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        mg_strlcpy(out->email, (const char *)sqlite3_column_text(st, 1), sizeof(out->email));
        out->is_admin = sqlite3_column_int(st, 2);
        out->suspended = sqlite3_column_int(st, 3);
        out->cap_micros = sqlite3_column_int64(st, 4);
        out->created_ms = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_fail(s, "account lookup");
}

int sq_account_set_suspended(struct mg_store *s, int64_t id, int suspended)
{
    return sq_update_bumping(s, "UPDATE accounts SET suspended = ? WHERE id = ?", suspended, id, NULL);
}

int sq_account_set_cap(struct mg_store *s, int64_t id, int64_t cap)
{
    return sq_update_bumping(s, "UPDATE accounts SET cap_micros = ? WHERE id = ?", cap, id, NULL);
}
