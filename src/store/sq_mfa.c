/*
 * sq_mfa.c: the SQLite second factors, part 1: TOTP secrets, recovery codes
 * and clearing an account's factors (part 2, sq_mfa_webauthn.c: security
 * keys, challenges, second-step logins).
 *
 * Replay and single use hold under concurrent submissions because each is
 * one conditional UPDATE: SQLite lets one connection write at a time, and the
 * second finds the row already moved (last_step >= step, used_ms set) and
 * changes nothing.  The store never sees a TOTP secret in the clear, nor a
 * recovery code: only what the platform sealed, and SHA-256 of each code.
 */
#include "store/sq_impl.h"
#include "core/log.h"

#include <string.h>

/* ---- TOTP ---- */

int sq_totp_put_pending(struct mg_store *s, int64_t account_id, const uint8_t *sealed, size_t len, int64_t now_ms)
{
    sqlite3_stmt *st;
    if (len == 0 || len > sizeof(((struct mg_totp_record *)0)->sealed)) {
        mg_log(MG_LOG_ERROR, "database: totp put: a sealed secret of %zu bytes", len);
        return MG_ERR;
    }
    /* one statement: a pending row is replaced, a confirmed one is left alone (no row changed) */
    st = sq_prep(s, "INSERT INTO totp_secrets(account_id, sealed, confirmed, last_step, created_ms)"
                    " VALUES (?1, ?2, 0, 0, ?3) ON CONFLICT(account_id) DO UPDATE SET sealed = excluded.sealed,"
                    " last_step = 0, created_ms = excluded.created_ms WHERE totp_secrets.confirmed = 0");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_blob(st, 2, sealed, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms);
    return sq_pstep(s, st, 1, "totp put");
}

int sq_totp_get(struct mg_store *s, int64_t account_id, struct mg_totp_record *out)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT sealed, confirmed, last_step, created_ms FROM totp_secrets"
                                  " WHERE account_id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        memset(out, 0, sizeof(*out));
        out->account_id = account_id;
        if (n <= sizeof(out->sealed)) {
            if (n > 0)
                memcpy(out->sealed, sqlite3_column_blob(st, 0), n);
            out->sealed_len = n;
        }
        out->confirmed = sqlite3_column_int(st, 1);
        out->last_step = sqlite3_column_int64(st, 2);
        out->created_ms = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "totp get");
}

int sq_totp_confirm(struct mg_store *s, int64_t account_id, int64_t step)
{
    return sq_run2(s, "UPDATE totp_secrets SET confirmed = 1, last_step = ?2 WHERE account_id = ?1 AND confirmed = 0",
                account_id, step, 1, "totp confirm");
}

int sq_totp_use_step(struct mg_store *s, int64_t account_id, int64_t step)
{
    return sq_run2(s, "UPDATE totp_secrets SET last_step = ?2 WHERE account_id = ?1 AND confirmed = 1"
                   " AND last_step < ?2",
                account_id, step, 1, "totp use");
}

int sq_totp_delete(struct mg_store *s, int64_t account_id)
{
    return sq_run2(s, "DELETE FROM totp_secrets WHERE account_id = ?1", account_id, 0, 1, "totp delete");
}

/* ---- recovery codes ---- */

int sq_recovery_set(struct mg_store *s, int64_t account_id, const uint8_t (*hashes)[32], size_t n, int64_t now_ms)
{
    int rc;
    if (n > MG_RECOVERY_CODES_PER_ACCOUNT)
        return MG_DECLINED;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = sq_run2(s, "DELETE FROM recovery_codes WHERE account_id = ?1", account_id, 0, 0, "recovery delete");
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        sqlite3_stmt *st = sq_prep(s, "INSERT INTO recovery_codes(account_id, hash, created_ms) VALUES (?,?,?)");
        if (st == NULL) {
            rc = MG_ERR;
            break;
        }
        sqlite3_bind_int64(st, 1, account_id);
        sqlite3_bind_blob(st, 2, hashes[i], 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, now_ms);
        rc = sq_pstep(s, st, 0, "recovery insert");
    }
    if (rc == MG_DECLINED) { /* a repeated hash, or no such account: the old set stays */
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_recovery_use(struct mg_store *s, int64_t account_id, const uint8_t hash[32], int64_t now_ms)
{
    sqlite3_stmt *st = sq_prep(s, "UPDATE recovery_codes SET used_ms = ?3 WHERE account_id = ?1 AND hash = ?2"
                                  " AND used_ms = 0");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms > 0 ? now_ms : 1); /* used_ms 0 means unused */
    return sq_pstep(s, st, 1, "recovery use");
}

int sq_recovery_left(struct mg_store *s, int64_t account_id, int *left)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT count(*) FROM recovery_codes WHERE account_id = ? AND used_ms = 0");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    rc = sqlite3_step(st);
    *left = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_pfail(s, "recovery left");
}

/* ---- all of an account's factors ---- */

int sq_mfa_clear(struct mg_store *s, int64_t account_id)
{
    static const char *const sql[] = {
        "DELETE FROM totp_secrets WHERE account_id = ?1",
        "DELETE FROM recovery_codes WHERE account_id = ?1",
        "DELETE FROM webauthn_keys WHERE account_id = ?1",
        "DELETE FROM webauthn_challenges WHERE kind = ?2 AND owner IN (SELECT id FROM mfa_logins"
        " WHERE account_id = ?1)",
        "DELETE FROM mfa_logins WHERE account_id = ?1",
    };
    int rc = MG_OK;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    for (size_t i = 0; i < MG_ARRAY_SIZE(sql) && rc == MG_OK; i++)
        rc = sq_run2(s, sql[i], account_id, MG_CHALLENGE_LOGIN, 0, "mfa clear");
    return sq_level_end(s, rc == MG_DECLINED ? MG_ERR : rc);
}
