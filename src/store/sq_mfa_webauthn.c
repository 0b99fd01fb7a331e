/*
 * sq_mfa_webauthn.c: the SQLite second factors, part 2: security keys
 * (WebAuthn credentials), WebAuthn challenges and second-step logins (part 1
 * is sq_mfa.c).
 *
 * Single use under concurrency: taking a challenge and ending an mfa login
 * are one DELETE each; of two racing connections SQLite lets one write at a
 * time and the second deletes nothing.  A credential id is UNIQUE in the
 * table, so a key registered to one account cannot be added to another.
 */
#include "store/sq_impl.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* Copies a blob column into dst of cap bytes: its length, or 0 (dst
 * untouched) when it is empty or does not fit. */
static size_t blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t cap)
{
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (n == 0 || n > cap)
        return 0;
    memcpy(dst, sqlite3_column_blob(st, col), n);
    return n;
}

/* ---- security keys ---- */

#define KEY_COLS \
    "id, account_id, cred_id, name, alg, pubkey, sign_count, be, bs, created_ms, last_used_ms FROM webauthn_keys "

static void key_row(sqlite3_stmt *st, struct mg_webauthn_record *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    r->account_id = sqlite3_column_int64(st, 1);
    r->cred_id_len = blob(st, 2, r->cred_id, sizeof(r->cred_id));
    mg_strlcpy(r->name, sq_text(st, 3), sizeof(r->name));
    r->alg = sqlite3_column_int(st, 4);
    r->pubkey_len = blob(st, 5, r->pubkey, sizeof(r->pubkey));
    r->sign_count = (uint32_t)sqlite3_column_int64(st, 6);
    r->be = sqlite3_column_int(st, 7);
    r->bs = sqlite3_column_int(st, 8);
    r->created_ms = sqlite3_column_int64(st, 9);
    r->last_used_ms = sqlite3_column_int64(st, 10);
}

/* The account's key count: MG_OK with *n, or the failure. */
static int key_count(struct mg_store *s, int64_t account_id, int64_t *n)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT count(*) FROM webauthn_keys WHERE account_id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_pfail(s, "webauthn count");
}

int sq_webauthn_add(struct mg_store *s, struct mg_webauthn_record *r)
{
    int rc;
    int64_t n = 0;
    sqlite3_stmt *st;
    if (r->cred_id_len == 0 || r->cred_id_len > sizeof(r->cred_id) || r->pubkey_len == 0 ||
        r->pubkey_len > sizeof(r->pubkey)) {
        mg_log(MG_LOG_ERROR, "database: webauthn add: a credential id of %zu or a key of %zu bytes", r->cred_id_len,
               r->pubkey_len);
        return MG_ERR;
    }
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    if ((rc = key_count(s, r->account_id, &n)) == MG_OK && n >= MG_WEBAUTHN_KEYS_PER_ACCOUNT)
        rc = MG_DECLINED;
    if (rc == MG_OK && (st = sq_prep(s, "INSERT INTO webauthn_keys(account_id, cred_id, name, alg, pubkey,"
                                        " sign_count, be, bs, created_ms, last_used_ms)"
                                        " VALUES (?,?,?,?,?,?,?,?,?,?)")) == NULL)
        rc = MG_ERR;
    if (rc == MG_OK) {
        sqlite3_bind_int64(st, 1, r->account_id);
        sqlite3_bind_blob(st, 2, r->cred_id, (int)r->cred_id_len, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, r->name, (int)strnlen(r->name, sizeof(r->name)), SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 4, r->alg);
        sqlite3_bind_blob(st, 5, r->pubkey, (int)r->pubkey_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, r->sign_count);
        sqlite3_bind_int(st, 7, r->be);
        sqlite3_bind_int(st, 8, r->bs);
        sqlite3_bind_int64(st, 9, r->created_ms);
        sqlite3_bind_int64(st, 10, r->last_used_ms);
        if ((rc = sq_pstep(s, st, 0, "webauthn add")) == MG_OK)
            r->id = sqlite3_last_insert_rowid(DB(s));
    }
    if (rc == MG_DECLINED) { /* the ceiling, a cred_id taken, or no such account: nothing written */
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_webauthn_list(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_webauthn_record *r),
                     void *arg)
{
    int rc;
    struct mg_webauthn_record *r = mg_calloc(1, sizeof(*r)); /* 1.8 KB: not on a worker's stack */
    sqlite3_stmt *st = sq_prep(s, "SELECT " KEY_COLS "WHERE account_id = ? ORDER BY id");
    if (st == NULL) {
        free(r);
        return MG_ERR;
    }
    sqlite3_bind_int64(st, 1, account_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        key_row(st, r);
        if (cb(arg, r) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    free(r);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "webauthn list");
}

int sq_webauthn_by_cred_id(struct mg_store *s, const uint8_t *cred_id, size_t len, struct mg_webauthn_record *out)
{
    int rc;
    sqlite3_stmt *st;
    if (len == 0 || len > sizeof(out->cred_id))
        return MG_DECLINED; /* no stored key has such an id */
    if ((st = sq_prep(s, "SELECT " KEY_COLS "WHERE cred_id = ?")) == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, cred_id, (int)len, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        key_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "webauthn lookup");
}

int sq_webauthn_update_use(struct mg_store *s, int64_t id, uint32_t sign_count, int bs, int64_t now_ms)
{
    sqlite3_stmt *st = sq_prep(s, "UPDATE webauthn_keys SET sign_count = ?2, bs = ?3, last_used_ms = ?4 WHERE id = ?1");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, sign_count);
    sqlite3_bind_int(st, 3, bs);
    sqlite3_bind_int64(st, 4, now_ms);
    return sq_pstep(s, st, 1, "webauthn use");
}

int sq_webauthn_delete(struct mg_store *s, int64_t account_id, int64_t id)
{
    return sq_run2(s, "DELETE FROM webauthn_keys WHERE account_id = ?1 AND id = ?2", account_id, id, 1,
                "webauthn delete");
}

/* ---- challenges ---- */

int sq_challenge_put(struct mg_store *s, enum mg_challenge_kind kind, int64_t owner, const uint8_t challenge[32],
                     int64_t now_ms, int64_t expires_ms)
{
    int rc;
    sqlite3_stmt *st;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = sq_run2(s, "DELETE FROM webauthn_challenges WHERE expires_ms <= ?1", now_ms, 0, 0, "challenge prune");
    if (rc == MG_OK && (st = sq_prep(s, "INSERT OR REPLACE INTO webauthn_challenges(kind, owner, challenge,"
                                        " created_ms, expires_ms) VALUES (?,?,?,?,?)")) == NULL)
        rc = MG_ERR;
    if (rc == MG_OK) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqlite3_bind_int64(st, 2, owner);
        sqlite3_bind_blob(st, 3, challenge, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, now_ms);
        sqlite3_bind_int64(st, 5, expires_ms);
        rc = sq_pstep(s, st, 0, "challenge put");
    }
    return sq_level_end(s, rc == MG_DECLINED ? MG_ERR : rc);
}

int sq_challenge_take(struct mg_store *s, enum mg_challenge_kind kind, int64_t owner, int64_t now_ms,
                      uint8_t challenge[32])
{
    int rc, fresh = 0;
    /* an expired challenge is deleted as well: it is of no use to anyone */
    sqlite3_stmt *st = sq_prep(s, "DELETE FROM webauthn_challenges WHERE kind = ?1 AND owner = ?2"
                                  " RETURNING challenge, expires_ms");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_int64(st, 2, owner);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        fresh = sqlite3_column_int64(st, 1) > now_ms && sqlite3_column_bytes(st, 0) == 32;
        if (fresh)
            memcpy(challenge, sqlite3_column_blob(st, 0), 32);
        rc = sqlite3_step(st); /* completes the DELETE: SQLITE_DONE */
        rc = rc == SQLITE_DONE ? SQLITE_ROW : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_pfail(s, "challenge take");
    return rc == SQLITE_ROW && fresh ? MG_OK : MG_DECLINED;
}

/* ---- second-step logins ---- */

int sq_mfa_login_put(struct mg_store *s, struct mg_mfa_login *m, int64_t *row_id)
{
    int rc;
    sqlite3_stmt *st;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = sq_run2(s, "DELETE FROM mfa_logins WHERE expires_ms <= ?1", m->created_ms, 0, 0, "mfa login prune");
    if (rc == MG_OK && (st = sq_prep(s, "INSERT INTO mfa_logins(hash, account_id, created_ms, expires_ms, failures)"
                                        " VALUES (?,?,?,?,?)")) == NULL)
        rc = MG_ERR;
    if (rc == MG_OK) {
        sqlite3_bind_blob(st, 1, m->hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, m->account_id);
        sqlite3_bind_int64(st, 3, m->created_ms);
        sqlite3_bind_int64(st, 4, m->expires_ms);
        sqlite3_bind_int(st, 5, m->failures);
        rc = sq_pstep(s, st, 0, "mfa login put");
    }
    if (rc == MG_OK) {
        *row_id = sqlite3_last_insert_rowid(DB(s));
        rc = sq_run2(s, "DELETE FROM mfa_logins WHERE account_id = ?1 AND id NOT IN"
                     " (SELECT id FROM mfa_logins WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2)",
                  m->account_id, MG_MFA_LOGINS_PER_ACCOUNT, 0, "mfa login ceiling");
    }
    if (rc == MG_DECLINED) { /* the hash exists, or no such account: nothing written */
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_mfa_login_get(struct mg_store *s, const uint8_t hash[32], struct mg_mfa_login *out, int64_t *row_id)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT id, account_id, created_ms, expires_ms, failures FROM mfa_logins"
                                  " WHERE hash = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        memcpy(out->hash, hash, 32);
        *row_id = sqlite3_column_int64(st, 0);
        out->account_id = sqlite3_column_int64(st, 1);
        out->created_ms = sqlite3_column_int64(st, 2);
        out->expires_ms = sqlite3_column_int64(st, 3);
        out->failures = sqlite3_column_int(st, 4);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "mfa login get");
}

int sq_mfa_login_failed(struct mg_store *s, int64_t row_id, int *failures)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "UPDATE mfa_logins SET failures = failures + 1 WHERE id = ? RETURNING failures");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, row_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *failures = sqlite3_column_int(st, 0);
        rc = sqlite3_step(st); /* completes the UPDATE: SQLITE_DONE */
        rc = rc == SQLITE_DONE ? SQLITE_ROW : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "mfa login failed");
}

int sq_mfa_login_delete(struct mg_store *s, int64_t row_id)
{
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = sq_run2(s, "DELETE FROM mfa_logins WHERE id = ?1", row_id, 0, 1, "mfa login delete");
    if (rc == MG_OK)
        rc = sq_run2(s, "DELETE FROM webauthn_challenges WHERE kind = ?2 AND owner = ?1", row_id, MG_CHALLENGE_LOGIN, 0,
                  "mfa login challenge");
    if (rc == MG_DECLINED) { /* already gone */
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}
