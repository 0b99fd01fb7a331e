/*
 * sq_tokens.c: the SQLite one-time tokens (verify, reset, set-password).
 * Only the SHA-256 of a token's text is stored.  Single use holds under
 * concurrent submissions because consuming is one conditional UPDATE: of two
 * racing connections SQLite lets one write at a time, and the second finds
 * used_ms already set.  A wrong, used and expired token get one answer.
 */
#include "store/sq_impl.h"

#include <string.h>

static int del(struct mg_store *s, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st = sq_prep(s, sql);
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, b);
    return sq_pstep(s, st, 0, "token delete");
}

int sq_token_put(struct mg_store *s, enum mg_token_kind kind, const uint8_t hash[32], int64_t account_id,
                 int64_t now_ms, int64_t expires_ms)
{
    int rc;
    sqlite3_stmt *st;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = del(s, "DELETE FROM tokens WHERE account_id = ?1 AND kind = ?2", account_id, (int64_t)kind);
    if (rc == MG_OK)
        rc = del(s, "DELETE FROM tokens WHERE expires_ms <= ?1", now_ms, 0);
    if (rc == MG_OK && (st = sq_prep(s, "INSERT INTO tokens(hash, kind, account_id, created_ms, expires_ms)"
                                        " VALUES (?,?,?,?,?)")) == NULL)
        rc = MG_ERR;
    if (rc == MG_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, (int)kind);
        sqlite3_bind_int64(st, 3, account_id);
        sqlite3_bind_int64(st, 4, now_ms);
        sqlite3_bind_int64(st, 5, expires_ms);
        rc = sq_pstep(s, st, 0, "token insert");
    }
    if (rc == MG_DECLINED) { /* the same hash again (or no such account): keep nothing of this call */
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_token_consume(struct mg_store *s, enum mg_token_kind kind, const uint8_t hash[32], int64_t now_ms,
                     int64_t *account_id)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "UPDATE tokens SET used_ms = ?3 WHERE hash = ?1 AND kind = ?2 AND used_ms = 0"
                                  " AND expires_ms > ?3 RETURNING account_id");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, (int)kind);
    sqlite3_bind_int64(st, 3, now_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *account_id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st); /* completes the UPDATE: SQLITE_DONE */
        rc = rc == SQLITE_DONE ? SQLITE_ROW : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "token consume");
}

int sq_tokens_invalidate(struct mg_store *s, int64_t account_id, enum mg_token_kind kind)
{
    if (kind == 0)
        return del(s, "DELETE FROM tokens WHERE account_id = ?1", account_id, 0);
    return del(s, "DELETE FROM tokens WHERE account_id = ?1 AND kind = ?2", account_id, (int64_t)kind);
}
