/*
 * sq_sessions.c: the SQLite sessions operations.  A session row holds the
 * SHA-256 of its token, never the token.  An account keeps at most
 * MG_SESSIONS_PER_ACCOUNT sessions: an insert beyond that ends the oldest.
 */
#include "store/sq_impl.h"

#include <string.h>

#define SESSION_COLS \
    "id, account_id, token_hash, created_ms, last_seen_ms, expires_ms, reauth_ms, ip, user_agent FROM sessions "

static void session_row(sqlite3_stmt *st, struct mg_session *se)
{
    memset(se, 0, sizeof(*se));
    se->id = sqlite3_column_int64(st, 0);
    se->account_id = sqlite3_column_int64(st, 1);
    if (sqlite3_column_bytes(st, 2) == (int)sizeof(se->token_hash))
        memcpy(se->token_hash, sqlite3_column_blob(st, 2), sizeof(se->token_hash));
    se->created_ms = sqlite3_column_int64(st, 3);
    se->last_seen_ms = sqlite3_column_int64(st, 4);
    se->expires_ms = sqlite3_column_int64(st, 5);
    se->reauth_ms = sqlite3_column_int64(st, 6);
    mg_strlcpy(se->ip, sq_text(st, 7), sizeof(se->ip));
    mg_strlcpy(se->user_agent, sq_text(st, 8), sizeof(se->user_agent));
}

int sq_session_insert(struct mg_store *s, struct mg_session *se)
{
    int rc;
    sqlite3_stmt *st;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    st = sq_prep(s, "INSERT INTO sessions(account_id, token_hash, created_ms, last_seen_ms, expires_ms, reauth_ms,"
                    " ip, user_agent) VALUES (?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, se->account_id);
    sqlite3_bind_blob(st, 2, se->token_hash, sizeof(se->token_hash), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, se->created_ms);
    sqlite3_bind_int64(st, 4, se->last_seen_ms);
    sqlite3_bind_int64(st, 5, se->expires_ms);
    sqlite3_bind_int64(st, 6, se->reauth_ms);
    sqlite3_bind_text(st, 7, se->ip, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, se->user_agent, -1, SQLITE_TRANSIENT);
    rc = sq_pstep(s, st, 0, "session insert");
    if (rc == MG_OK) {
        se->id = sqlite3_last_insert_rowid(DB(s));
        /* ended ones first (a step-up's replaced session ends a minute on), so the ceiling takes live ones last */
        rc = sq_run2(s, "DELETE FROM sessions WHERE account_id = ?1 AND expires_ms <= ?2", se->account_id,
                     se->last_seen_ms, 0, "sessions ended");
        if (rc == MG_OK)
            rc = sq_run2(s, "DELETE FROM sessions WHERE account_id = ?1 AND id NOT IN"
                         " (SELECT id FROM sessions WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2)",
                         se->account_id, MG_SESSIONS_PER_ACCOUNT, 0, "session ceiling");
    }
    if (rc == MG_DECLINED) { /* the hash exists (or no such account): nothing written */
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_session_by_hash(struct mg_store *s, const uint8_t hash[32], struct mg_session *out)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " SESSION_COLS "WHERE token_hash = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        session_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "session lookup");
}

int sq_session_touch(struct mg_store *s, int64_t id, int64_t now_ms)
{
    return sq_run2(s, "UPDATE sessions SET last_seen_ms = ?2 WHERE id = ?1", id, now_ms, 1, "session touch");
}

int sq_session_set_reauth(struct mg_store *s, int64_t id, int64_t now_ms)
{
    return sq_run2(s, "UPDATE sessions SET reauth_ms = ?2 WHERE id = ?1", id, now_ms, 1, "session reauth");
}

int sq_session_end_by(struct mg_store *s, int64_t id, int64_t expires_ms)
{
    return sq_run2(s, "UPDATE sessions SET expires_ms = min(expires_ms, ?2) WHERE id = ?1", id, expires_ms, 1,
                   "session end by");
}

int sq_session_delete(struct mg_store *s, int64_t account_id, int64_t id)
{
    return sq_run2(s, "DELETE FROM sessions WHERE account_id = ?1 AND id = ?2", account_id, id, 1, "session delete");
}

int sq_sessions_delete_account(struct mg_store *s, int64_t account_id, int64_t except_id, size_t *n)
{
    int rc = sq_run2(s, "DELETE FROM sessions WHERE account_id = ?1 AND id != ?2", account_id, except_id, 0,
                  "sessions delete");
    if (n != NULL)
        *n = rc == MG_OK ? (size_t)sqlite3_changes(DB(s)) : 0;
    return rc;
}

int sq_sessions_list(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_session *se),
                     void *arg)
{
    int rc;
    struct mg_session se;
    sqlite3_stmt *st = sq_prep(s, "SELECT " SESSION_COLS "WHERE account_id = ? ORDER BY id");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        session_row(st, &se);
        if (cb(arg, &se) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "sessions list");
}

int sq_sessions_prune(struct mg_store *s, int64_t now_ms, int64_t idle_ms)
{
    return sq_run2(s, "DELETE FROM sessions WHERE expires_ms <= ?1 OR last_seen_ms <= ?2", now_ms, now_ms - idle_ms, 0,
                "sessions prune");
}
