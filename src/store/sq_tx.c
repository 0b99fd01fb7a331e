/*
 * sq_tx.c: how the SQLite backend runs statements and transactions: the
 * helpers of sq_impl.h and store.h's run_tx.
 *
 * Retry contract (run_tx): fn runs inside BEGIN IMMEDIATE ... COMMIT.  A soft
 * failure (fn says MG_TX_RETRY, or BEGIN/COMMIT stays busy past SQLite's busy
 * handler) rolls back and runs fn again, at most MG_TX_MAX_RETRIES more times;
 * the waiting is the busy handler's alone.  Every other outcome ends at once:
 * OK commits, NO and HARD roll back.  A hard failure is logged here once,
 * with the transaction's name.
 */
#include "store/sq_impl.h"
#include "core/log.h"
#include "core/mg.h"

static int is_soft(sqlite3 *db)
{
    int code = sqlite3_errcode(db) & 0xff;
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

int sq_fail(struct mg_store *s, const char *what)
{
    SQ(s)->soft = is_soft(DB(s));
    mg_log(MG_LOG_ERROR, "database: %s: %s", what, sqlite3_errmsg(DB(s)));
    return MG_ERR;
}

int sq_exec(struct mg_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(DB(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        SQ(s)->soft = is_soft(DB(s));
        mg_log(MG_LOG_ERROR, "database: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return MG_ERR;
    }
    return MG_OK;
}

sqlite3_stmt *sq_prep(struct mg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL) != SQLITE_OK) {
        sq_fail(s, "prepare");
        return NULL;
    }
    return st;
}

sqlite3_stmt *sq_prep_kept(struct mg_store *s, enum sq_kept which, const char *sql)
{
    sqlite3_stmt **st = &SQ(s)->kept[which];
    if (*st != NULL) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return *st;
    }
    if (sqlite3_prepare_v3(DB(s), sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        sq_fail(s, "prepare");
        *st = NULL;
        return NULL;
    }
    return *st;
}

void sq_kept_release(struct mg_store *s)
{
    for (size_t i = 0; i < SQ_KEPT__COUNT; i++) {
        if (SQ(s)->kept[i] != NULL) {
            sqlite3_reset(SQ(s)->kept[i]);
            sqlite3_clear_bindings(SQ(s)->kept[i]);
        }
    }
}

int sq_step_done(struct mg_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return MG_DECLINED;
    return rc == SQLITE_DONE ? MG_OK : sq_fail(s, what);
}

void sq_lower(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i < cap - 1; i++)
        dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[i] = '\0';
}

int sq_tx_begin(struct mg_store *s, enum sq_tx_kind kind)
{
    const char *sql = SQ(s)->depth > 0 ? "SAVEPOINT sq" : kind == SQ_WRITE ? "BEGIN IMMEDIATE" : "BEGIN";
    if (sq_exec(s, sql) != MG_OK)
        return MG_ERR;
    SQ(s)->depth++;
    return MG_OK;
}

/* Rolls the level back.  After some errors (a full disk, out of memory)
 * SQLite has already rolled the whole transaction back: nothing to undo. */
static void rollback(struct mg_store *s, int nested)
{
    if (sqlite3_get_autocommit(DB(s)))
        return;
    sq_exec(s, nested ? "ROLLBACK TO sq; RELEASE sq" : "ROLLBACK");
}

int sq_tx_end(struct mg_store *s, int rc)
{
    int nested = --SQ(s)->depth > 0;
    if (rc == MG_ERR) {
        rollback(s, nested);
        return MG_ERR;
    }
    if (sq_exec(s, nested ? "RELEASE sq" : "COMMIT") == MG_OK)
        return rc;
    rollback(s, nested); /* a COMMIT that failed busy leaves the transaction open */
    return MG_ERR;
}

int sq_soft(struct mg_store *s) { return SQ(s)->soft; }

int sq_run_tx(struct mg_store *s, const char *name, mg_store_tx_fn fn, void *arg)
{
    struct sq_store *q = SQ(s);
    int nested = q->depth > 0; /* inside another run_tx: the outer one retries */
    for (int run = 0; run <= MG_TX_MAX_RETRIES; run++) {
        q->soft = 0;
        if (sq_tx_begin(s, SQ_WRITE) != MG_OK) {
            if (q->soft && !nested)
                continue;
            goto hard;
        }
        enum mg_tx r = fn(s, arg);
        if (r == MG_TX_OK) {
            if (sq_tx_end(s, MG_OK) == MG_OK)
                return MG_OK;
            if (q->soft && !nested)
                continue;
            goto hard;
        }
        sq_tx_end(s, MG_ERR);
        if (r == MG_TX_NO)
            return MG_DECLINED;
        if (r != MG_TX_RETRY)
            goto hard; /* MG_TX_HARD, or a value fn must not return */
        if (nested) {
            q->soft = 1;
            return MG_AGAIN;
        }
    }
    q->soft = 1; /* still soft: a later call may well succeed */
    mg_log(MG_LOG_ERROR, "database: transaction %s: still busy after %d runs", name, MG_TX_MAX_RETRIES + 1);
    return MG_ERR;
hard:
    mg_log(MG_LOG_ERROR, "database: transaction %s failed", name);
    return MG_ERR;
}
