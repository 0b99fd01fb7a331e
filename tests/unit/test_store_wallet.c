/* Unit tests: the wallet in the store (store.h "The wallet"): a ledger entry
 * moves the balance in the same transaction, a debit below 0 is refused and
 * writes nothing, the ledger lists newest first with a cursor and a ceiling,
 * the opening entry of an account inserted with credit; redeem codes are
 * single use (also with 8 threads, each with its own store handle), expire,
 * never list their hash; a wallet_only account's keys carry the balance as
 * their effective cap and get a new seq when it moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"
#include "fixture_platform.h"

static int64_t balance_of(struct mg_store *s, int64_t id)
{
    struct mg_account a;
    assert_int_equal(s->ops->account_get(s, id, &a), MG_OK);
    return a.credit_micros;
}

static int add(struct mg_store *s, int64_t acct, int64_t amount, const char *kind)
{
    struct mg_ledger_entry e = {.account_id = acct, .amount_micros = amount, .created_ms = T0};
    mg_strlcpy(e.kind, kind, sizeof(e.kind));
    mg_strlcpy(e.reference, "test", sizeof(e.reference));
    return s->ops->ledger_add(s, &e, NULL);
}

static int collect(void *arg, const struct mg_ledger_entry *e)
{
    struct ids *x = arg;
    if (x->n < MG_ARRAY_SIZE(x->v))
        x->v[x->n++] = e->id;
    return MG_OK;
}

static void ledger_moves_the_balance(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "a@example.com"), bal = 0;
    struct mg_ledger_entry e = {.account_id = a, .amount_micros = 5000000, .kind = "topup", .actor_account_id = 7};
    assert_int_equal(s->ops->ledger_add(s, &e, &bal), MG_OK);
    assert_true(e.id > 0 && e.created_ms > 0);
    assert_int_equal(bal, 5000000);
    assert_int_equal(add(s, a, -5000001, "adjustment"), MG_DECLINED); /* below 0: refused, nothing written */
    assert_int_equal(balance_of(s, a), 5000000);
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger"), 1);
    assert_int_equal(add(s, a, -5000000, "adjustment"), MG_OK); /* to 0 exactly */
    assert_int_equal(balance_of(s, a), 0);
    assert_int_equal(add(s, a + 99, 1, "topup"), MG_DECLINED); /* no such account */
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger"), 2);
    assert_int_equal(raw("SELECT sum(amount_micros) FROM credit_ledger"), 0);

    /* an account inserted with credit starts with an opening entry */
    struct mg_account b;
    memset(&b, 0, sizeof(b));
    mg_strlcpy(b.email, "b@example.com", sizeof(b.email));
    b.credit_micros = 250;
    assert_int_equal(s->ops->account_insert(s, &b), MG_OK);
    assert_int_equal(balance_of(s, b.id), 250);
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger WHERE kind = 'opening' AND amount_micros = 250"), 1);
}

static void ledger_pages_newest_first(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "a@example.com"), other = new_account(s, "o@example.com");
    for (int i = 0; i < 250; i++)
        assert_int_equal(add(s, a, 1, "topup"), MG_OK);
    assert_int_equal(add(s, other, 1, "topup"), MG_OK);
    struct ids x = {.n = 0};
    assert_int_equal(s->ops->ledger_list(s, a, 0, 1000, collect, &x), MG_OK);
    assert_int_equal(x.n, MG_LEDGER_PAGE_MAX); /* the ceiling */
    for (size_t i = 1; i < x.n; i++)
        assert_true(x.v[i] < x.v[i - 1]);
    int64_t last = x.v[x.n - 1];
    x.n = 0;
    assert_int_equal(s->ops->ledger_list(s, a, last, 1000, collect, &x), MG_OK);
    assert_int_equal(x.n, 50); /* the rest, and not the other account's */
    assert_true(x.v[0] < last);
}

static void make_code(struct mg_redeem_code *r, const char *text, int64_t value, int64_t expires)
{
    memset(r, 0, sizeof(*r));
    crypto_hash_sha256(r->code_hash, (const uint8_t *)text, strlen(text));
    memcpy(r->hint, text, 4);
    r->value_micros = value;
    mg_strlcpy(r->batch, "resell-1", sizeof(r->batch));
    r->created_by = 1;
    r->created_ms = T0;
    r->expires_ms = expires;
}

static int collect_code(void *arg, const struct mg_redeem_code *r)
{
    static const uint8_t zero[32];
    struct ids *x = arg;
    assert_memory_equal(r->code_hash, zero, 32); /* a listing never carries the hash */
    x->v[x->n++] = r->redeemed_by;
    return MG_OK;
}

static void codes_single_use_and_expiry(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "a@example.com"), b = new_account(s, "b@example.com"), value = 0, bal = 0;
    struct mg_redeem_code c[2];
    make_code(&c[0], "AAAABBBBCCCCDDDD", 10000000, 0);
    make_code(&c[1], "EEEEFFFFGGGGHHHH", 2000000, T0 + HOUR);
    assert_int_equal(s->ops->redeem_codes_insert(s, c, 2), MG_OK);
    assert_true(c[0].id > 0 && c[1].id > c[0].id);
    assert_int_equal(s->ops->redeem_codes_insert(s, c, 1), MG_DECLINED); /* the hash exists: nothing added */
    assert_int_equal(s->ops->redeem_codes_insert(s, c, 0), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM redeem_codes"), 2);

    assert_int_equal(s->ops->redeem(s, c[0].code_hash, a, T0, &value, &bal), MG_OK);
    assert_int_equal(value, 10000000);
    assert_int_equal(bal, 10000000);
    assert_int_equal(s->ops->redeem(s, c[0].code_hash, b, T0, &value, &bal), MG_DECLINED); /* used */
    assert_int_equal(s->ops->redeem(s, c[0].code_hash, a, T0, &value, &bal), MG_DECLINED); /* used, by anyone */
    assert_int_equal(s->ops->redeem(s, c[1].code_hash, b, T0 + HOUR, &value, &bal), MG_DECLINED); /* expired */
    uint8_t unknown[32] = {1};
    assert_int_equal(s->ops->redeem(s, unknown, b, T0, &value, &bal), MG_DECLINED);
    assert_int_equal(balance_of(s, b), 0);
    assert_int_equal(s->ops->redeem(s, c[1].code_hash, b, T0 + HOUR - 1, NULL, NULL), MG_OK);
    assert_int_equal(balance_of(s, b), 2000000);
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger WHERE kind = 'redeem'"), 2);

    struct ids x = {.n = 0};
    assert_int_equal(s->ops->redeem_codes_list(s, "resell-1", 0, 10, collect_code, &x), MG_OK);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.v[0], b); /* newest first */
    assert_int_equal(x.v[1], a);
    x.n = 0;
    assert_int_equal(s->ops->redeem_codes_list(s, "other", 0, 10, collect_code, &x), MG_OK);
    assert_int_equal(x.n, 0);
}

static void codes_batch_ceiling(void **state)
{
    struct mg_store *s = *state;
    size_t n = MG_REDEEM_BATCH_CODES_MAX + 1;
    struct mg_redeem_code *c = calloc(n, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        char t[24];
        snprintf(t, sizeof(t), "%016zu", i);
        make_code(&c[i], t, 1, 0);
    }
    assert_int_equal(s->ops->redeem_codes_insert(s, c, n), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM redeem_codes"), 0);
    assert_int_equal(s->ops->redeem_codes_insert(s, c, n - 1), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM redeem_codes"), MG_REDEEM_BATCH_CODES_MAX);
    free(c);
}

#define RACERS 8

struct racer {
    int64_t account;
    const uint8_t *hash;
    pthread_barrier_t *go;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    char err[256];
    struct mg_store *s = mg_store_open(spec, err, sizeof(err)); /* its own handle: a real concurrent writer */
    if (s == NULL) {
        r->rc = -1;
        return NULL;
    }
    pthread_barrier_wait(r->go);
    r->rc = s->ops->redeem(s, r->hash, r->account, T0, NULL, NULL);
    s->ops->close(s);
    return NULL;
}

static void code_race_has_one_winner(void **state)
{
    struct mg_store *s = *state;
    struct mg_redeem_code c;
    make_code(&c, "RACERACERACERACE", 3000000, 0);
    assert_int_equal(s->ops->redeem_codes_insert(s, &c, 1), MG_OK);
    pthread_t t[RACERS];
    struct racer r[RACERS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        char email[32];
        snprintf(email, sizeof(email), "r%d@example.com", i);
        r[i] = (struct racer){.account = new_account(s, email), .hash = c.code_hash, .go = &go, .rc = 99};
    }
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    int won = 0, lost = 0;
    int64_t winner = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc == MG_OK) {
            won++;
            winner = r[i].account;
        } else if (r[i].rc == MG_DECLINED) {
            lost++;
        }
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(won, 1);
    assert_int_equal(lost, RACERS - 1);
    assert_int_equal(balance_of(s, winner), 3000000);
    assert_int_equal(raw("SELECT sum(credit_micros) FROM accounts"), 3000000);
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger"), 1);
}

static int64_t key_seq(struct mg_store *s, const char *pub, struct mg_key_record *k)
{
    assert_int_equal(s->ops->key_get(s, pub, k), MG_OK);
    return k->seq;
}

static void wallet_only_caps_keys_at_the_balance(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "w@example.com");
    struct mg_key_record k;
    memset(&k, 0, sizeof(k));
    k.account_id = a;
    mg_strlcpy(k.public_id, "walletkey001", sizeof(k.public_id));
    mg_strlcpy(k.name, "w", sizeof(k.name));
    assert_int_equal(s->ops->key_insert(s, &k), MG_OK);
    assert_int_equal(s->ops->account_set_cap(s, a, 7000000), MG_OK);
    int64_t seq = key_seq(s, "walletkey001", &k);
    assert_int_equal(k.account_cap_micros, 7000000); /* not wallet_only: the cap as set */
    assert_int_equal(k.account_wallet_only, 0);
    assert_int_equal(add(s, a, 1000, "topup"), MG_OK);
    assert_int_equal(key_seq(s, "walletkey001", &k), seq); /* no new seq: nothing the gateway enforces moved */

    assert_int_equal(s->ops->account_set_wallet_only(s, a, 1), MG_OK);
    assert_true(key_seq(s, "walletkey001", &k) > seq);
    seq = k.seq;
    assert_int_equal(k.account_wallet_only, 1);
    assert_int_equal(k.account_credit_micros, 1000);
    assert_int_equal(k.account_cap_micros, 1000); /* the balance binds */
    assert_int_equal(add(s, a, 9000000, "topup"), MG_OK);
    assert_true(key_seq(s, "walletkey001", &k) > seq);
    assert_int_equal(k.account_cap_micros, 7000000); /* the cap binds */
    assert_int_equal(add(s, a, -9001000, "adjustment"), MG_OK);
    key_seq(s, "walletkey001", &k);
    assert_int_equal(k.account_cap_micros, 1); /* a balance of 0 admits nothing billable */
    assert_int_equal(s->ops->account_set_cap(s, a, 0), MG_OK);
    assert_int_equal(add(s, a, 5, "topup"), MG_OK);
    key_seq(s, "walletkey001", &k);
    assert_int_equal(k.account_cap_micros, 5); /* no cap: the balance alone */
    assert_int_equal(s->ops->account_set_wallet_only(s, a + 99, 1), MG_DECLINED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ledger_moves_the_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(ledger_pages_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(codes_single_use_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(codes_batch_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(code_race_has_one_winner, setup, teardown),
        cmocka_unit_test_setup_teardown(wallet_only_caps_keys_at_the_balance, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
