/*
 * sq_keys.c: the API keys domain of the SQLite backend (store.h "API keys").
 *
 * Change sequence: every change to a key (or to its account) gives the key a
 * new seq from the one-row table key_seq, so pollers ask "what changed since
 * seq N" and see revocations from any process.
 */
#include "store/sq_impl.h"
#include "core/clock.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

/* Gives every key of the account (or the one key) a fresh seq. */
static int bump_seq(struct mg_store *s, const char *where, int64_t id, const char *text)
{
    char sql[256];
    sqlite3_stmt *st;
    if (sq_exec(s, "UPDATE key_seq SET seq = seq + 1") != MG_OK)
        return MG_ERR;
    snprintf(sql, sizeof(sql), "UPDATE api_keys SET seq = (SELECT seq FROM key_seq) WHERE %s", where);
    if ((st = sq_prep(s, sql)) == NULL)
        return MG_ERR;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 1, id);
    return sq_step_done(s, st, "seq bump");
}

int sq_keys_bump_account(struct mg_store *s, int64_t account_id)
{
    return bump_seq(s, "account_id = ?", account_id, NULL);
}

int sq_update_bumping(struct mg_store *s, const char *sql, int64_t v, int64_t id, const char *public_id)
{
    sqlite3_stmt *st;
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    if ((st = sq_prep(s, sql)) == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, v);
    if (public_id != NULL)
        sqlite3_bind_text(st, 2, public_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 2, id);
    rc = sq_step_done(s, st, "update");
    if (rc == MG_OK && sqlite3_changes(DB(s)) == 0) {
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    if (rc == MG_OK)
        rc = bump_seq(s, public_id ? "public_id = ?" : "account_id = ?", id, public_id);
    return sq_tx_end(s, rc);
}

/* The account's cap as the gateway enforces it: a wallet_only account may spend
 * at most its balance (a balance of 0 admits nothing billable: a cap of 1
 * micro), and its own cap if it has one. */
#define EFFECTIVE_CAP                                                                                         \
    "CASE WHEN a.wallet_only = 0 THEN a.cap_micros WHEN a.cap_micros > 0 THEN "                                 \
    "min(a.cap_micros, max(a.credit_micros, 1)) ELSE max(a.credit_micros, 1) END"

#define KEY_COLS                                                                                              \
    "k.id, k.account_id, k.public_id, k.name, k.region, k.scopes, k.status, k.expires_ms, k.created_ms, "       \
    "k.last_used_ms, k.digest, k.models, a.suspended, " EFFECTIVE_CAP ", k.seq, k.rpm, k.tpm, k.cap_micros, "    \
    "COALESCE((SELECT ratio_ppm FROM price_ratios WHERE scope = 'account:' || a.id), "                            \
    "(SELECT ratio_ppm FROM price_ratios WHERE scope = 'plan:' || a.plan), -1), a.credit_micros, a.wallet_only, "  \
    "COALESCE((SELECT max(period) FROM invoices WHERE account_id = a.id), -1) "                                  \
    "FROM api_keys k JOIN accounts a ON a.id = k.account_id "

static void key_row(sqlite3_stmt *st, struct mg_key_record *k)
{
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(st, 0);
    k->account_id = sqlite3_column_int64(st, 1);
    mg_strlcpy(k->public_id, (const char *)sqlite3_column_text(st, 2), sizeof(k->public_id));
    mg_strlcpy(k->name, (const char *)sqlite3_column_text(st, 3), sizeof(k->name));
    k->region = (enum mg_region)sqlite3_column_int(st, 4);
    k->scopes = (uint32_t)sqlite3_column_int64(st, 5);
    k->status = (enum mg_key_status)sqlite3_column_int(st, 6);
    k->expires_ms = sqlite3_column_int64(st, 7);
    k->created_ms = sqlite3_column_int64(st, 8);
    k->last_used_ms = sqlite3_column_int64(st, 9);
    if (sqlite3_column_bytes(st, 10) == MG_KEY_DIGEST_LEN)
        memcpy(k->digest, sqlite3_column_blob(st, 10), MG_KEY_DIGEST_LEN);
    mg_strlcpy(k->models, (const char *)sqlite3_column_text(st, 11), sizeof(k->models));
    k->account_suspended = sqlite3_column_int(st, 12);
    k->account_cap_micros = sqlite3_column_int64(st, 13);
    k->seq = sqlite3_column_int64(st, 14);
    k->rpm = sqlite3_column_int64(st, 15);
    k->tpm = sqlite3_column_int64(st, 16);
    k->cap_micros = sqlite3_column_int64(st, 17);
    k->account_ratio_ppm = sqlite3_column_int64(st, 18);
    k->account_credit_micros = sqlite3_column_int64(st, 19);
    k->account_wallet_only = sqlite3_column_int(st, 20);
    k->account_closed_month = sqlite3_column_int64(st, 21);
}

int sq_key_insert(struct mg_store *s, struct mg_key_record *k)
{
    sqlite3_stmt *st;
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    if (sq_exec(s, "UPDATE key_seq SET seq = seq + 1") != MG_OK)
        return sq_tx_end(s, MG_ERR);
    st = sq_prep(s, "INSERT INTO api_keys(account_id, public_id, name, region, scopes, status, expires_ms, created_ms,"
                 " digest, models, rpm, tpm, cap_micros, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,(SELECT seq FROM key_seq))");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    if (k->created_ms == 0)
        k->created_ms = mg_now_ms();
    sqlite3_bind_int64(st, 1, k->account_id);
    sqlite3_bind_text(st, 2, k->public_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, k->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, (int)k->region);
    sqlite3_bind_int64(st, 5, k->scopes);
    sqlite3_bind_int(st, 6, (int)k->status);
    sqlite3_bind_int64(st, 7, k->expires_ms);
    sqlite3_bind_int64(st, 8, k->created_ms);
    sqlite3_bind_blob(st, 9, k->digest, MG_KEY_DIGEST_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, k->models, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, k->rpm);
    sqlite3_bind_int64(st, 12, k->tpm);
    sqlite3_bind_int64(st, 13, k->cap_micros);
    rc = sq_step_done(s, st, "key insert");
    if (rc == MG_OK) {
        k->id = sqlite3_last_insert_rowid(DB(s));
        if ((st = sq_prep(s, "SELECT seq FROM key_seq")) == NULL)
            return sq_tx_end(s, MG_ERR);
        if (sqlite3_step(st) == SQLITE_ROW)
            k->seq = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return sq_tx_end(s, rc == MG_DECLINED ? MG_ERR : rc);
}

int sq_key_by_digest(struct mg_store *s, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " KEY_COLS "WHERE k.digest = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, digest, MG_KEY_DIGEST_LEN, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        key_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_fail(s, "key lookup");
}

int sq_key_set_status(struct mg_store *s, const char *public_id, enum mg_key_status stt)
{
    return sq_update_bumping(s, "UPDATE api_keys SET status = ? WHERE public_id = ?", stt, 0, public_id);
}

int sq_key_set_expiry(struct mg_store *s, const char *public_id, int64_t expires_ms)
{
    return sq_update_bumping(s, "UPDATE api_keys SET expires_ms = ? WHERE public_id = ?", expires_ms, 0, public_id);
}

int sq_keys_since(struct mg_store *s, int64_t since, mg_store_key_cb cb, void *arg, int64_t *max_seq)
{
    int rc;
    struct mg_key_record k;
    sqlite3_stmt *st = sq_prep(s, "SELECT " KEY_COLS "WHERE k.seq > ? ORDER BY k.seq");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, since);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        key_row(st, &k);
        if (k.seq > *max_seq)
            *max_seq = k.seq;
        if (cb(arg, &k) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "keys since");
}

int sq_keys_touch(struct mg_store *s, const int64_t *ids, const int64_t *used_ms, size_t n)
{
    int rc = MG_OK;
    sqlite3_stmt *st;
    if (n == 0)
        return MG_OK;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    /* last-used is informational: it does not bump seq, and never moves back */
    if ((st = sq_prep(s, "UPDATE api_keys SET last_used_ms = max(last_used_ms, ?) WHERE id = ?")) == NULL)
        return sq_tx_end(s, MG_ERR);
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        sqlite3_bind_int64(st, 1, used_ms[i]);
        sqlite3_bind_int64(st, 2, ids[i]);
        rc = sqlite3_step(st) == SQLITE_DONE ? MG_OK : sq_fail(s, "key touch");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return sq_tx_end(s, rc);
}

/* ---- the platform's key ops (the account's own list, one key, edits) ---- */

int sq_keys_list(struct mg_store *s, int64_t account_id, mg_store_key_cb cb, void *arg)
{
    int rc;
    struct mg_key_record k;
    sqlite3_stmt *st = sq_prep(s, "SELECT " KEY_COLS "WHERE k.account_id = ? ORDER BY k.created_ms DESC, k.id DESC");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        key_row(st, &k);
        if (cb(arg, &k) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "keys list");
}

int sq_key_get(struct mg_store *s, const char *public_id, struct mg_key_record *out)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " KEY_COLS "WHERE k.public_id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, public_id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        key_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_fail(s, "key get");
}

int sq_key_update(struct mg_store *s, const char *public_id, const struct mg_key_change *ch)
{
    sqlite3_stmt *st;
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    /* a NULL parameter keeps the column */
    st = sq_prep(s, "UPDATE api_keys SET name = COALESCE(?1, name), scopes = COALESCE(?2, scopes), "
                    "models = COALESCE(?3, models), rpm = COALESCE(?4, rpm), tpm = COALESCE(?5, tpm), "
                    "cap_micros = COALESCE(?6, cap_micros) WHERE public_id = ?7");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    if (ch->name)
        sqlite3_bind_text(st, 1, ch->name, -1, SQLITE_TRANSIENT);
    if (ch->scopes)
        sqlite3_bind_int64(st, 2, *ch->scopes);
    if (ch->models)
        sqlite3_bind_text(st, 3, ch->models, -1, SQLITE_TRANSIENT);
    if (ch->rpm)
        sqlite3_bind_int64(st, 4, *ch->rpm);
    if (ch->tpm)
        sqlite3_bind_int64(st, 5, *ch->tpm);
    if (ch->cap_micros)
        sqlite3_bind_int64(st, 6, *ch->cap_micros);
    sqlite3_bind_text(st, 7, public_id, -1, SQLITE_TRANSIENT);
    rc = sq_step_done(s, st, "key update");
    if (rc == MG_OK && sqlite3_changes(DB(s)) == 0) {
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    if (rc == MG_OK)
        rc = bump_seq(s, "public_id = ?", 0, public_id);
    return sq_tx_end(s, rc);
}

int sq_keys_count_active(struct mg_store *s, int64_t account_id, int64_t now_ms, int *n)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT COUNT(*) FROM api_keys WHERE account_id = ? AND status = ? AND "
                                  "(expires_ms = 0 OR expires_ms > ?)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int(st, 2, MG_KEY_ACTIVE);
    sqlite3_bind_int64(st, 3, now_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_fail(s, "keys count");
}
