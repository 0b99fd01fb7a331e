/*
 * h_wallet.c: the wallet (issue 12, BL-7): the signed-in account's balance
 * and credit ledger, redeeming a code, and the admin's redeem codes and
 * top-ups.  Every credit movement is a ledger entry (store.h "The wallet")
 * with an audit event, and the key cache hears of it at once (a wallet_only
 * account's effective cap is its balance).
 *
 * A redeem code is "MGR-" and 4 groups of 4 Crockford base32 characters (80
 * random bits); it is shown once, at creation, and stored as the SHA-256 of
 * its 16 normalized characters.  Unknown, used and expired codes get one
 * answer (no oracle); failed attempts are limited per account and per IP.
 */
#include "core/log.h"
#include "core/mg.h"
#include "core/money.h"
#include "auth/keycache.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_CHARS 16
#define REDEEM_FAILS_PER_HOUR 10
#define LEDGER_DEFAULT 50
#define CODES_DEFAULT 100
#define CODE_VALUE_MAX 1000000000000LL /* micros: a million units per code */

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int pf_redeem_normalize(const char *in, char out[CODE_CHARS + 1])
{
    char t[64];
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        char ch = *p;
        if (ch == '-' || ch == ' ')
            continue;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        if (ch == 'O')
            ch = '0';
        else if (ch == 'I' || ch == 'L')
            ch = '1';
        if (n + 1 >= sizeof(t))
            return MG_DECLINED;
        t[n++] = ch;
    }
    t[n] = '\0';
    const char *c = t;
    if (n == CODE_CHARS + 3 && memcmp(t, "MGR", 3) == 0)
        c += 3;
    else if (n != CODE_CHARS)
        return MG_DECLINED;
    for (size_t i = 0; i < CODE_CHARS; i++)
        if (c[i] == '\0' || strchr(crockford, c[i]) == NULL)
            return MG_DECLINED;
    memcpy(out, c, CODE_CHARS);
    out[CODE_CHARS] = '\0';
    return MG_OK;
}

/* A new code: its text "MGR-XXXX-XXXX-XXXX-XXXX", hash and hint. */
static void code_new(char text[24], uint8_t hash[32], char hint[8])
{
    uint8_t r[10];
    char norm[CODE_CHARS + 1];
    mg_random(r, sizeof(r));
    for (int i = 0; i < CODE_CHARS; i++) { /* 5 bits each, most significant first */
        int bit = i * 5, v = 0;
        for (int b = 0; b < 5; b++, bit++)
            v = (v << 1) | ((r[bit / 8] >> (7 - bit % 8)) & 1);
        norm[i] = crockford[v];
    }
    norm[CODE_CHARS] = '\0';
    snprintf(text, 24, "MGR-%.4s-%.4s-%.4s-%.4s", norm, norm + 4, norm + 8, norm + 12);
    crypto_hash_sha256(hash, (const uint8_t *)norm, CODE_CHARS);
    memcpy(hint, norm, 4);
    hint[4] = '\0';
    sodium_memzero(norm, sizeof(norm));
    sodium_memzero(r, sizeof(r));
}

static void money_set(json_t *o, const char *key, int64_t micros)
{
    char m[32];
    mg_money_format(micros, m, sizeof(m));
    json_object_set_new(o, key, json_string(m));
}

static void sync_keys(struct pf_call *c, int64_t account_id)
{
    if (c->pf->keys != NULL && mg_keycache_sync(c->pf->keys, c->store) != MG_OK)
        mg_log(MG_LOG_WARN, "wallet: the key cache missed account %lld's new balance (the poller will see it)",
               (long long)account_id);
}

/* The audit event of a movement: "<kind> <amount> (reference), balance B". */
static void audit_entry(struct pf_call *c, const struct mg_ledger_entry *e, int64_t balance)
{
    char detail[320], amt[32], bal[32];
    mg_money_format(e->amount_micros, amt, sizeof(amt));
    mg_money_format(balance, bal, sizeof(bal));
    snprintf(detail, sizeof(detail), "%s %s%s%.200s%s, balance %s", e->kind, amt, e->reference[0] ? " (" : "",
             e->reference, e->reference[0] ? ")" : "", bal);
    pf_audit(c, "wallet.credit", e->account_id, detail);
}

int pf_wallet_add(struct pf_call *c, struct mg_ledger_entry *e, int64_t *balance)
{
    int64_t b = 0;
    int rc = c->store->ops->ledger_add(c->store, e, &b);
    if (rc != MG_OK)
        return rc;
    sync_keys(c, e->account_id);
    audit_entry(c, e, b);
    if (balance != NULL)
        *balance = b;
    return MG_OK;
}

struct wallet_set {
    struct mg_ledger_entry e;
    int64_t target, balance;
    int changed;
};

/* Inside one transaction: the balance read and the entry that moves it to the target. */
static enum mg_tx wallet_set_tx(struct mg_store *s, void *arg)
{
    struct wallet_set *w = arg;
    struct mg_account a;
    int rc = s->ops->account_get(s, w->e.account_id, &a);
    if (rc != MG_OK)
        return rc == MG_AGAIN ? MG_TX_RETRY : MG_TX_HARD;
    w->balance = a.credit_micros;
    w->changed = w->target != a.credit_micros;
    if (!w->changed)
        return MG_TX_OK;
    w->e.amount_micros = w->target - a.credit_micros;
    mg_strlcpy(w->e.kind, w->e.amount_micros > 0 ? "topup" : "adjustment", sizeof(w->e.kind));
    rc = s->ops->ledger_add(s, &w->e, &w->balance);
    return rc == MG_OK ? MG_TX_OK : rc == MG_AGAIN ? MG_TX_RETRY : MG_TX_HARD;
}

int pf_wallet_set(struct pf_call *c, int64_t account_id, int64_t target_micros, int64_t *balance)
{
    char money[32];
    struct wallet_set w = {.e = {.account_id = account_id, .actor_account_id = c->acct.id, .created_ms = c->now},
                           .target = target_micros};
    mg_money_format(target_micros, money, sizeof(money));
    snprintf(w.e.reference, sizeof(w.e.reference), "balance set to %s by an admin", money);
    if (c->store->ops->run_tx(c->store, "wallet set", wallet_set_tx, &w) != MG_OK) {
        pf_store_failed(c, MG_ERR);
        return MG_DECLINED;
    }
    if (w.changed) {
        sync_keys(c, account_id);
        audit_entry(c, &w.e, w.balance);
    }
    *balance = w.balance;
    return MG_OK;
}

static json_t *entry_json(const struct mg_ledger_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "amount_micros", json_integer(e->amount_micros));
    money_set(o, "amount", e->amount_micros);
    json_object_set_new(o, "kind", json_string(e->kind));
    json_object_set_new(o, "reference", json_string(e->reference));
    pf_set_time(o, "created_at", e->created_ms);
    return o;
}

static int add_entry(void *arg, const struct mg_ledger_entry *e)
{
    json_array_append_new(arg, entry_json(e));
    return MG_OK;
}

static void next_before(json_t *o, json_t *arr, size_t limit)
{
    size_t n = json_array_size(arr);
    json_object_set_new(o, "next_before",
                        n == limit ? json_integer(json_integer_value(json_object_get(json_array_get(arr, n - 1), "id")))
                                   : json_null());
}

void pf_h_wallet(struct pf_call *c)
{
    struct mg_account a;
    size_t limit;
    int64_t before;
    if (pf_query_page(c, LEDGER_DEFAULT, MG_LEDGER_PAGE_MAX, &limit, &before) != MG_OK)
        return;
    json_t *arr = json_array();
    int rc = c->store->ops->account_get(c->store, c->acct.id, &a);
    if (rc == MG_OK)
        rc = c->store->ops->ledger_list(c->store, a.id, before, limit, add_entry, arr);
    if (rc != MG_OK) {
        json_decref(arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "balance_micros", json_integer(a.credit_micros));
    money_set(o, "balance", a.credit_micros);
    json_object_set_new(o, "currency", json_string("USD"));
    json_object_set_new(o, "wallet_only", json_boolean(a.wallet_only));
    next_before(o, arr, limit);
    json_object_set_new(o, "ledger", arr);
    pf_reply(c, 200, o);
}

static void limit_keys(struct pf_call *c, char acct[32])
{
    snprintf(acct, 32, "%lld", (long long)c->acct.id);
}

/* Has the account or the IP used up its failed attempts this hour?  (Counts nothing.) */
static int redeem_blocked(struct pf_call *c)
{
    char acct[32];
    int ra = 0, ra2 = 0;
    limit_keys(c, acct);
    int a = pf_limit_over(c->pf->limits, "redeem-account", acct, REDEEM_FAILS_PER_HOUR, 3600LL * 1000, c->now, &ra);
    int i = pf_limit_over(c->pf->limits, "redeem-ip", c->ip, REDEEM_FAILS_PER_HOUR, 3600LL * 1000, c->now, &ra2);
    if (a == MG_OK && i == MG_OK)
        return MG_OK;
    pf_fail(c, MG_E_TOO_MANY_ATTEMPTS, NULL, "Too many invalid codes from this account or address: try again later.");
    c->retry_after = MG_MAX(ra, ra2);
    return MG_DECLINED;
}

/* Counts a failed attempt for the account and the IP. */
static void redeem_failed(struct pf_call *c)
{
    char acct[32];
    limit_keys(c, acct);
    pf_limit_hit(c->pf->limits, "redeem-account", acct, REDEEM_FAILS_PER_HOUR, 3600LL * 1000, c->now, NULL);
    pf_limit_hit(c->pf->limits, "redeem-ip", c->ip, REDEEM_FAILS_PER_HOUR, 3600LL * 1000, c->now, NULL);
}

void pf_h_redeem(struct pf_call *c)
{
    char norm[CODE_CHARS + 1];
    uint8_t hash[32];
    int64_t value = 0, balance = 0;
    if (redeem_blocked(c) != MG_OK)
        return;
    int rc = pf_redeem_normalize(pf_str(c, "code"), norm) == MG_OK ? MG_OK : MG_DECLINED;
    if (rc == MG_OK) {
        crypto_hash_sha256(hash, (const uint8_t *)norm, CODE_CHARS);
        sodium_memzero(norm, sizeof(norm));
        rc = c->store->ops->redeem(c->store, hash, c->acct.id, c->now, &value, &balance);
    }
    if (rc == MG_DECLINED) {
        redeem_failed(c);
        pf_audit(c, "wallet.redeem_failed", c->acct.id, NULL);
        pf_fail(c, MG_E_FIELD_INVALID, "code", "This code is not valid, already used or expired.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    sync_keys(c, c->acct.id);
    struct mg_ledger_entry e = {.account_id = c->acct.id, .amount_micros = value, .kind = "redeem"};
    audit_entry(c, &e, balance);
    json_t *o = json_object();
    json_object_set_new(o, "credited_micros", json_integer(value));
    money_set(o, "credited", value);
    json_object_set_new(o, "balance_micros", json_integer(balance));
    money_set(o, "balance", balance);
    pf_reply(c, 200, o);
}

/* ---- admin: redeem codes and top-ups -------------------------------------------------------- */

void pf_h_admin_redeem_create(struct pf_call *c)
{
    int64_t value = pf_int(c, "value_micros", 0), count = pf_int(c, "count", 0), expires = 0;
    const char *batch = pf_has(c, "batch") ? pf_str(c, "batch") : "";
    if (pf_has(c, "expires_at") && (pf_time_parse(pf_str(c, "expires_at"), &expires) != MG_OK || expires <= c->now)) {
        pf_fail(c, MG_E_FIELD_INVALID, "expires_at", "expires_at is a time in the future, RFC 3339 "
                                                     "(2027-01-31T23:59:59Z); leave it out for codes that never expire.");
        return;
    }
    struct mg_redeem_code *codes = mg_calloc((size_t)count, sizeof(*codes));
    char(*text)[24] = mg_calloc((size_t)count, sizeof(*text));
    for (int64_t i = 0; i < count; i++) {
        code_new(text[i], codes[i].code_hash, codes[i].hint);
        codes[i].value_micros = value;
        mg_strlcpy(codes[i].batch, batch, sizeof(codes[i].batch));
        codes[i].created_by = c->acct.id;
        codes[i].created_ms = c->now;
        codes[i].expires_ms = expires;
    }
    int rc = c->store->ops->redeem_codes_insert(c->store, codes, (size_t)count);
    if (rc == MG_OK) {
        char detail[200], v[32];
        mg_money_format(value, v, sizeof(v));
        snprintf(detail, sizeof(detail), "%lld codes of %s%s%.64s", (long long)count, v, batch[0] ? ", batch " : "",
                 batch);
        pf_audit(c, "wallet.codes_created", c->acct.id, detail);
        json_t *o = json_object(), *arr = json_array();
        for (int64_t i = 0; i < count; i++)
            json_array_append_new(arr, json_string(text[i]));
        json_object_set_new(o, "codes", arr);
        json_object_set_new(o, "value_micros", json_integer(value));
        money_set(o, "value", value);
        json_object_set_new(o, "batch", json_string(batch));
        pf_set_time(o, "expires_at", expires);
        pf_reply(c, 201, o);
    } else {
        pf_store_failed(c, rc == MG_DECLINED ? MG_ERR : rc); /* a hash collision of 80 random bits: not the caller's */
    }
    sodium_memzero(text, (size_t)count * sizeof(*text));
    free(text);
    free(codes);
}

static int add_code(void *arg, const struct mg_redeem_code *r)
{
    struct pf_call *c = ((void **)arg)[0];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "hint", json_string(r->hint));
    json_object_set_new(o, "value_micros", json_integer(r->value_micros));
    money_set(o, "value", r->value_micros);
    json_object_set_new(o, "batch", json_string(r->batch));
    json_object_set_new(o, "state", json_string(r->redeemed_by                               ? "redeemed"
                                                : r->expires_ms > 0 && r->expires_ms <= c->now ? "expired"
                                                                                              : "open"));
    json_object_set_new(o, "redeemed_by", r->redeemed_by ? json_integer(r->redeemed_by) : json_null());
    pf_set_time(o, "created_at", r->created_ms);
    pf_set_time(o, "expires_at", r->expires_ms);
    pf_set_time(o, "redeemed_at", r->redeemed_ms);
    json_array_append_new(((void **)arg)[1], o);
    return MG_OK;
}

void pf_h_admin_redeem_list(struct pf_call *c)
{
    char batch[MG_REDEEM_BATCH_MAX + 1];
    size_t limit;
    int64_t before;
    if (pf_query_page(c, CODES_DEFAULT, MG_REDEEM_LIST_MAX, &limit, &before) != MG_OK)
        return;
    pf_query(c, "batch", batch, sizeof(batch));
    json_t *arr = json_array();
    void *ctx[2] = {c, arr};
    int rc = c->store->ops->redeem_codes_list(c->store, batch, before, limit, add_code, ctx);
    if (rc != MG_OK) {
        json_decref(arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    next_before(o, arr, limit);
    json_object_set_new(o, "codes", arr);
    pf_reply(c, 200, o);
}

void pf_h_admin_credit(struct pf_call *c)
{
    struct mg_account a;
    int64_t id = pf_param_id(c, 0), amount = pf_int(c, "amount_micros", 0), balance = 0;
    if (amount == 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "amount_micros", "amount_micros is the credit to add (or, negative, to take "
                                                        "away); 0 changes nothing.");
        return;
    }
    int rc = id > 0 ? c->store->ops->account_get(c->store, id, &a) : MG_DECLINED;
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such account.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    struct mg_ledger_entry e = {.account_id = a.id, .amount_micros = amount, .actor_account_id = c->acct.id,
                                .created_ms = c->now};
    mg_strlcpy(e.kind, amount > 0 ? "topup" : "adjustment", sizeof(e.kind));
    mg_strlcpy(e.reference, pf_str(c, "reference"), sizeof(e.reference));
    rc = pf_wallet_add(c, &e, &balance);
    if (rc == MG_DECLINED) {
        char msg[160], b[32];
        mg_money_format(a.credit_micros, b, sizeof(b));
        snprintf(msg, sizeof(msg), "The balance is %s: an adjustment may take it to 0 but not below.", b);
        pf_fail(c, MG_E_CONFLICT, "amount_micros", msg);
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = entry_json(&e);
    json_object_set_new(o, "account_id", json_integer(a.id));
    json_object_set_new(o, "balance_micros", json_integer(balance));
    money_set(o, "balance", balance);
    pf_reply(c, 201, o);
}
