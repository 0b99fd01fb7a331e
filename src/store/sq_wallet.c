/*
 * sq_wallet.c: the SQLite wallet (store.h "The wallet"): the append-only
 * credit ledger beside accounts.credit_micros (the balance) and the redeem
 * codes, stored by the SHA-256 of the normalized code.
 *
 * Single use: a redemption is one conditional UPDATE (unredeemed, not
 * expired) and the ledger entry in one write transaction; SQLite runs write
 * transactions one at a time, so of N concurrent redemptions of one code the
 * first UPDATE changes the row and every later one changes nothing.
 */
#include "store/sq_impl.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

/* Moves the balance and appends the entry, inside the caller's open level. */
static int apply(struct mg_store *s, struct mg_ledger_entry *e, int64_t *balance)
{
    sqlite3_stmt *st;
    int rc, wallet_only = 0;
    if (e->created_ms == 0)
        e->created_ms = mg_now_ms();
    /* a debit never takes the balance below 0; a credit always applies */
    st = sq_prep(s, "UPDATE accounts SET credit_micros = credit_micros + ?1 WHERE id = ?2"
                    " AND (?1 >= 0 OR credit_micros + ?1 >= 0)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, e->amount_micros);
    sqlite3_bind_int64(st, 2, e->account_id);
    if ((rc = sq_pstep(s, st, 1, "ledger balance")) != MG_OK)
        return rc;
    st = sq_prep(s, "INSERT INTO credit_ledger(account_id, amount_micros, kind, reference, actor_account_id,"
                    " created_ms) VALUES (?,?,?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, e->account_id);
    sqlite3_bind_int64(st, 2, e->amount_micros);
    sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, e->reference, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, e->actor_account_id);
    sqlite3_bind_int64(st, 6, e->created_ms);
    if ((rc = sq_pstep(s, st, 0, "ledger insert")) != MG_OK)
        return rc == MG_DECLINED ? MG_ERR : rc; /* a kind the table refuses is the caller's bug */
    e->id = sqlite3_last_insert_rowid(DB(s));
    if ((st = sq_prep(s, "SELECT credit_micros, wallet_only FROM accounts WHERE id = ?")) == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, e->account_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (balance != NULL)
            *balance = sqlite3_column_int64(st, 0);
        wallet_only = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sq_pfail(s, "ledger balance read");
    return wallet_only ? sq_keys_bump_account(s, e->account_id) : MG_OK;
}

/* Closes an op's level: MG_DECLINED rolls back and stays MG_DECLINED. */
static int level_end(struct mg_store *s, int rc)
{
    if (rc == MG_DECLINED) {
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

static int level_begin(struct mg_store *s)
{
    if (sq_tx_begin(s, SQ_WRITE) == MG_OK)
        return MG_OK;
    return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
}

int sq_ledger_add(struct mg_store *s, struct mg_ledger_entry *e, int64_t *balance)
{
    int rc = level_begin(s);
    if (rc != MG_OK)
        return rc;
    return level_end(s, apply(s, e, balance));
}

int sq_ledger_list(struct mg_store *s, int64_t account_id, int64_t before_id, size_t limit,
                   int (*cb)(void *arg, const struct mg_ledger_entry *e), void *arg)
{
    int rc;
    struct mg_ledger_entry e;
    sqlite3_stmt *st = sq_prep(s, "SELECT id, account_id, amount_micros, kind, reference, actor_account_id,"
                                  " created_ms FROM credit_ledger WHERE account_id = ?1 AND (?2 = 0 OR id < ?2)"
                                  " ORDER BY id DESC LIMIT ?3");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int64(st, 3, (int64_t)MG_MIN(limit, (size_t)MG_LEDGER_PAGE_MAX));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&e, 0, sizeof(e));
        e.id = sqlite3_column_int64(st, 0);
        e.account_id = sqlite3_column_int64(st, 1);
        e.amount_micros = sqlite3_column_int64(st, 2);
        mg_strlcpy(e.kind, sq_text(st, 3), sizeof(e.kind));
        mg_strlcpy(e.reference, sq_text(st, 4), sizeof(e.reference));
        e.actor_account_id = sqlite3_column_int64(st, 5);
        e.created_ms = sqlite3_column_int64(st, 6);
        if (cb(arg, &e) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "ledger list");
}

int sq_account_set_wallet_only(struct mg_store *s, int64_t account_id, int on)
{
    return sq_update_bumping(s, "UPDATE accounts SET wallet_only = ? WHERE id = ?", on != 0, account_id, NULL);
}

int sq_redeem_codes_insert(struct mg_store *s, struct mg_redeem_code *codes, size_t n)
{
    int rc;
    if (n == 0 || n > MG_REDEEM_BATCH_CODES_MAX)
        return MG_DECLINED;
    if ((rc = level_begin(s)) != MG_OK)
        return rc;
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        struct mg_redeem_code *r = &codes[i];
        sqlite3_stmt *st = sq_prep(s, "INSERT INTO redeem_codes(code_hash, hint, value_micros, batch, created_by,"
                                      " created_ms, expires_ms) VALUES (?,?,?,?,?,?,?)");
        if (st == NULL) {
            rc = MG_ERR;
            break;
        }
        sqlite3_bind_blob(st, 1, r->code_hash, sizeof(r->code_hash), SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, r->hint, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, r->value_micros);
        sqlite3_bind_text(st, 4, r->batch, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, r->created_by);
        sqlite3_bind_int64(st, 6, r->created_ms);
        sqlite3_bind_int64(st, 7, r->expires_ms);
        if ((rc = sq_pstep(s, st, 0, "redeem code insert")) == MG_OK)
            r->id = sqlite3_last_insert_rowid(DB(s));
    }
    return level_end(s, rc);
}

int sq_redeem_codes_list(struct mg_store *s, const char *batch, int64_t before_id, size_t limit,
                         int (*cb)(void *arg, const struct mg_redeem_code *r), void *arg)
{
    int rc;
    struct mg_redeem_code r;
    sqlite3_stmt *st = sq_prep(s, "SELECT id, hint, value_micros, batch, created_by, created_ms, expires_ms,"
                                  " redeemed_by, redeemed_ms FROM redeem_codes WHERE (?1 = '' OR batch = ?1)"
                                  " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, batch ? batch : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, before_id);
    sqlite3_bind_int64(st, 3, (int64_t)MG_MIN(limit, (size_t)MG_REDEEM_LIST_MAX));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof(r)); /* the hash stays zero: a listing never carries it */
        r.id = sqlite3_column_int64(st, 0);
        mg_strlcpy(r.hint, sq_text(st, 1), sizeof(r.hint));
        r.value_micros = sqlite3_column_int64(st, 2);
        mg_strlcpy(r.batch, sq_text(st, 3), sizeof(r.batch));
        r.created_by = sqlite3_column_int64(st, 4);
        r.created_ms = sqlite3_column_int64(st, 5);
        r.expires_ms = sqlite3_column_int64(st, 6);
        r.redeemed_by = sqlite3_column_int64(st, 7);
        r.redeemed_ms = sqlite3_column_int64(st, 8);
        if (cb(arg, &r) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "redeem codes list");
}

/* Inside the level: claims the code, then credits it. */
static int claim(struct mg_store *s, const uint8_t hash[32], int64_t account_id, int64_t now_ms, int64_t *value,
                 int64_t *balance)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "UPDATE redeem_codes SET redeemed_by = ?1, redeemed_ms = ?2 WHERE code_hash = ?3"
                                  " AND redeemed_by = 0 AND (expires_ms = 0 OR expires_ms > ?2)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_blob(st, 3, hash, 32, SQLITE_TRANSIENT);
    if ((rc = sq_pstep(s, st, 1, "redeem")) != MG_OK)
        return rc; /* MG_DECLINED: unknown, used or expired */
    if ((st = sq_prep(s, "SELECT id, hint, value_micros, batch FROM redeem_codes WHERE code_hash = ?")) == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    struct mg_ledger_entry e = {.account_id = account_id, .kind = "redeem", .actor_account_id = account_id,
                                .created_ms = now_ms};
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        e.amount_micros = sqlite3_column_int64(st, 2);
        snprintf(e.reference, sizeof(e.reference), "code #%lld (%s...)%s%s", (long long)sqlite3_column_int64(st, 0),
                 sq_text(st, 1), sqlite3_column_bytes(st, 3) > 0 ? ", batch " : "", sq_text(st, 3));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sq_pfail(s, "redeem value");
    if (value != NULL)
        *value = e.amount_micros;
    rc = apply(s, &e, balance);
    return rc == MG_DECLINED ? MG_ERR : rc; /* the account went away under a credit: not a clean no */
}

int sq_redeem(struct mg_store *s, const uint8_t hash[32], int64_t account_id, int64_t now_ms, int64_t *value,
              int64_t *balance)
{
    int rc = level_begin(s);
    if (rc != MG_OK)
        return rc;
    return level_end(s, claim(s, hash, account_id, now_ms, value, balance));
}
