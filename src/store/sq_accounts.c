/* sq_accounts.c: the accounts domain of the SQLite backend (store.h "Accounts");
 * account_by_email and the platform's account ops are in sq_accounts_platform.c. */
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

int sq_account_set_suspended(struct mg_store *s, int64_t id, int suspended)
{
    return sq_update_bumping(s, "UPDATE accounts SET suspended = ? WHERE id = ?", suspended, id, NULL);
}

int sq_account_set_cap(struct mg_store *s, int64_t id, int64_t cap)
{
    return sq_update_bumping(s, "UPDATE accounts SET cap_micros = ? WHERE id = ?", cap, id, NULL);
}
