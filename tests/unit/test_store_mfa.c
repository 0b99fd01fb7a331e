/* Unit tests: the second factors' store operations on SQLite: TOTP (pending,
 * confirm, the replay guard, also from two handles racing), recovery codes
 * (replace, single use, also racing), security keys (cred_id unique across
 * accounts, the per-account ceiling), challenges (single use, expiry), mfa
 * logins (ceiling, expiry, single use) and mfa_clear; every op inside
 * run_tx too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"
#include "fixture_platform.h"

#define MIN5 300000LL

/* ---- TOTP ---- */

static void totp_enrol_confirm_delete(void **state)
{
    struct mg_store *s = *state;
    struct mg_totp_record t;
    int64_t a = new_account(s, "totp@example.com");
    uint8_t sealed[128], other[40];
    memset(sealed, 0xA5, sizeof(sealed));
    memset(other, 0x11, sizeof(other));

    assert_int_equal(s->ops->totp_get(s, a, &t), MG_DECLINED);
    assert_int_equal(s->ops->totp_confirm(s, a, 5), MG_DECLINED); /* nothing pending */
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, sizeof(sealed), T0), MG_OK);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_int_equal(t.account_id, a);
    assert_int_equal(t.sealed_len, sizeof(sealed));
    assert_memory_equal(t.sealed, sealed, sizeof(sealed));
    assert_int_equal(t.confirmed, 0);
    assert_int_equal(t.created_ms, T0);
    assert_int_equal(s->ops->totp_use_step(s, a, 10), MG_DECLINED); /* pending: no code counts yet */

    /* a second enrolment replaces the unconfirmed secret */
    assert_int_equal(s->ops->totp_put_pending(s, a, other, sizeof(other), T0 + 1), MG_OK);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_int_equal(t.sealed_len, sizeof(other));
    assert_memory_equal(t.sealed, other, sizeof(other));
    assert_int_equal(t.created_ms, T0 + 1);

    assert_int_equal(s->ops->totp_confirm(s, a, 100), MG_OK);
    assert_int_equal(s->ops->totp_confirm(s, a, 101), MG_DECLINED); /* not pending any more */
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_int_equal(t.confirmed, 1);
    assert_int_equal(t.last_step, 100);
    /* a confirmed secret is not replaced by a new enrolment */
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, sizeof(sealed), T0 + 2), MG_DECLINED);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_memory_equal(t.sealed, other, sizeof(other));
    /* no such account; an empty or oversized secret is our bug */
    assert_int_equal(s->ops->totp_put_pending(s, a + 100, sealed, 20, T0), MG_DECLINED);
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, 0, T0), MG_ERR);
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, 129, T0), MG_ERR);

    assert_int_equal(s->ops->totp_delete(s, a), MG_OK);
    assert_int_equal(s->ops->totp_delete(s, a), MG_DECLINED);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_DECLINED);
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, 20, T0 + 3), MG_OK); /* enrol again after removal */
}

static void totp_use_step_refuses_replays(void **state)
{
    struct mg_store *s = *state;
    struct mg_totp_record t;
    int64_t a = new_account(s, "replay@example.com"), b = new_account(s, "other@example.com");
    uint8_t sealed[20] = {1};
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, sizeof(sealed), T0), MG_OK);
    assert_int_equal(s->ops->totp_confirm(s, a, 1000), MG_OK);
    assert_int_equal(s->ops->totp_use_step(s, a, 1000), MG_DECLINED); /* the enrolment's code is used */
    assert_int_equal(s->ops->totp_use_step(s, a, 1001), MG_OK);
    assert_int_equal(s->ops->totp_use_step(s, a, 1001), MG_DECLINED); /* the same step twice */
    assert_int_equal(s->ops->totp_use_step(s, a, 1003), MG_OK);
    assert_int_equal(s->ops->totp_use_step(s, a, 1002), MG_DECLINED); /* a lower step after a higher one */
    assert_int_equal(s->ops->totp_use_step(s, b, 5000), MG_DECLINED); /* no secret */
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_int_equal(t.last_step, 1003);
}

/* Two handles on one file, two threads, each submitting the same op at once. */
struct racer {
    struct mg_store *s;
    pthread_barrier_t *go;
    int64_t account, step;
    const uint8_t *hash;
    int rc;
};

static void *race_step(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = r->s->ops->totp_use_step(r->s, r->account, r->step);
    return NULL;
}

static void *race_code(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = r->s->ops->recovery_use(r->s, r->account, r->hash, T0 + 1);
    return NULL;
}

static void *race_login_delete(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = r->s->ops->mfa_login_delete(r->s, r->step);
    return NULL;
}

/* Runs fn in two threads on two handles, round times; set(round) prepares
 * each round on s.  Asserts exactly one MG_OK (the other MG_DECLINED) each round. */
static void race_rounds(struct mg_store *s, int64_t account, void *(*fn)(void *),
                        void (*set)(struct mg_store *s, int64_t account, int round, struct racer *r))
{
    char err[256];
    struct mg_store *s2;
    pthread_barrier_t go;
    assert_non_null(s2 = mg_store_open(spec, err, sizeof(err)));
    assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
    for (int i = 0; i < 50; i++) {
        struct racer r1 = {s, &go, account, 0, NULL, 99}, r2;
        pthread_t t1, t2;
        set(s, account, i, &r1);
        r2 = r1;
        r2.s = s2;
        assert_int_equal(pthread_create(&t1, NULL, fn, &r1), 0);
        assert_int_equal(pthread_create(&t2, NULL, fn, &r2), 0);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        assert_true((r1.rc == MG_OK && r2.rc == MG_DECLINED) || (r1.rc == MG_DECLINED && r2.rc == MG_OK));
    }
    pthread_barrier_destroy(&go);
    s2->ops->close(s2);
}

static void set_step(struct mg_store *s, int64_t account, int round, struct racer *r)
{
    (void)s;
    (void)account;
    r->step = 2000 + round; /* the next step: both submit the same code */
}

static void totp_one_step_two_submissions(void **state)
{
    struct mg_store *s = *state;
    struct mg_totp_record t;
    int64_t a = new_account(s, "race-totp@example.com");
    uint8_t sealed[20] = {2};
    assert_int_equal(s->ops->totp_put_pending(s, a, sealed, sizeof(sealed), T0), MG_OK);
    assert_int_equal(s->ops->totp_confirm(s, a, 1999), MG_OK);
    race_rounds(s, a, race_step, set_step);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_int_equal(t.last_step, 2049);
}

/* ---- recovery codes ---- */

static uint8_t round_hash[32];

static void set_code(struct mg_store *s, int64_t account, int round, struct racer *r)
{
    memset(round_hash, round + 1, sizeof(round_hash));
    assert_int_equal(s->ops->recovery_set(s, account, (const uint8_t(*)[32])round_hash, 1, T0), MG_OK);
    r->hash = round_hash;
}

static void recovery_codes_single_use_and_replaced(void **state)
{
    struct mg_store *s = *state;
    uint8_t h[MG_RECOVERY_CODES_PER_ACCOUNT + 1][32], n[3][32];
    int64_t a = new_account(s, "codes@example.com"), b = new_account(s, "codes2@example.com");
    int left = -1;
    for (size_t i = 0; i < MG_ARRAY_SIZE(h); i++)
        memset(h[i], (int)i + 1, 32);
    for (size_t i = 0; i < MG_ARRAY_SIZE(n); i++)
        memset(n[i], (int)i + 100, 32);

    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 0);
    assert_int_equal(s->ops->recovery_set(s, a, (const uint8_t(*)[32])h, MG_RECOVERY_CODES_PER_ACCOUNT, T0), MG_OK);
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 10);
    assert_int_equal(s->ops->recovery_use(s, a, h[3], T0 + 1), MG_OK);
    assert_int_equal(s->ops->recovery_use(s, a, h[3], T0 + 2), MG_DECLINED); /* single use */
    assert_int_equal(s->ops->recovery_use(s, b, h[4], T0 + 2), MG_DECLINED); /* another account's code */
    assert_int_equal(s->ops->recovery_use(s, a, n[0], T0 + 2), MG_DECLINED); /* unknown */
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 9);

    /* the ceiling: an eleventh code is refused and the set stays */
    assert_int_equal(s->ops->recovery_set(s, a, (const uint8_t(*)[32])h, MG_RECOVERY_CODES_PER_ACCOUNT + 1, T0),
                     MG_DECLINED);
    /* a repeated hash or an unknown account: refused, nothing changed */
    memcpy(n[2], n[0], 32);
    assert_int_equal(s->ops->recovery_set(s, a, (const uint8_t(*)[32])n, 3, T0), MG_DECLINED);
    assert_int_equal(s->ops->recovery_set(s, a + 100, (const uint8_t(*)[32])n, 2, T0), MG_DECLINED);
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 9);
    assert_int_equal(raw("SELECT count(*) FROM recovery_codes"), 10);

    /* regenerate: the old set stops working */
    assert_int_equal(s->ops->recovery_set(s, a, (const uint8_t(*)[32])n, 2, T0 + 5), MG_OK);
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 2);
    assert_int_equal(s->ops->recovery_use(s, a, h[5], T0 + 6), MG_DECLINED);
    assert_int_equal(s->ops->recovery_use(s, a, n[1], T0 + 6), MG_OK);
    assert_int_equal(s->ops->recovery_set(s, a, NULL, 0, T0 + 7), MG_OK); /* none */
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 0);
}

static void recovery_one_code_two_submissions(void **state)
{
    struct mg_store *s = *state;
    int left = -1;
    int64_t a = new_account(s, "race-code@example.com");
    race_rounds(s, a, race_code, set_code);
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 0);
}

/* ---- security keys ---- */

static void key(struct mg_webauthn_record *r, int64_t account, uint8_t tag, const char *name)
{
    memset(r, 0, sizeof(*r));
    r->account_id = account;
    memset(r->cred_id, tag, 64);
    r->cred_id[0] = (uint8_t)(account & 0xff);
    r->cred_id_len = 64;
    mg_strlcpy(r->name, name, sizeof(r->name));
    r->alg = -7;
    memset(r->pubkey, 0x04, 77);
    r->pubkey_len = 77;
    r->sign_count = 3;
    r->be = 1;
    r->bs = 0;
    r->created_ms = T0;
}

static int collect_keys(void *arg, const struct mg_webauthn_record *r)
{
    struct ids *ids = arg;
    ids->v[ids->n++] = r->id;
    return ids->n == 2 ? MG_DECLINED : MG_OK; /* stop after two: cb != MG_OK ends the listing */
}

static void webauthn_keys(void **state)
{
    struct mg_store *s = *state;
    struct mg_webauthn_record r, got;
    struct ids ids = {.n = 0};
    int64_t a = new_account(s, "keys@example.com"), b = new_account(s, "keys2@example.com");

    key(&r, a, 0x10, "YubiKey");
    r.cred_id_len = sizeof(r.cred_id); /* the W3C's longest id */
    memset(r.cred_id + 64, 0x77, sizeof(r.cred_id) - 64);
    r.pubkey_len = sizeof(r.pubkey);
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_OK);
    assert_true(r.id > 0);
    assert_int_equal(s->ops->webauthn_by_cred_id(s, r.cred_id, r.cred_id_len, &got), MG_OK);
    assert_int_equal(got.id, r.id);
    assert_int_equal(got.account_id, a);
    assert_int_equal(got.cred_id_len, sizeof(got.cred_id));
    assert_memory_equal(got.cred_id, r.cred_id, sizeof(r.cred_id));
    assert_string_equal(got.name, "YubiKey");
    assert_int_equal(got.alg, -7);
    assert_int_equal(got.pubkey_len, sizeof(got.pubkey));
    assert_memory_equal(got.pubkey, r.pubkey, sizeof(r.pubkey));
    assert_int_equal(got.sign_count, 3);
    assert_int_equal(got.be, 1);
    assert_int_equal(got.bs, 0);
    assert_int_equal(got.created_ms, T0);
    assert_int_equal(got.last_used_ms, 0);

    /* the same credential id: refused for the same and for another account */
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_DECLINED);
    r.account_id = b;
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_keys"), 1);
    key(&r, a + 100, 0x11, "nobody");
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_DECLINED); /* no such account */
    r.cred_id_len = 0;
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_ERR); /* our bug: no id */

    /* use: counter, backup state and last use */
    assert_int_equal(s->ops->webauthn_update_use(s, got.id, 4000000000u, 1, T0 + 9), MG_OK);
    assert_int_equal(s->ops->webauthn_by_cred_id(s, got.cred_id, got.cred_id_len, &got), MG_OK);
    assert_int_equal(got.sign_count, 4000000000u); /* a full uint32 survives */
    assert_int_equal(got.bs, 1);
    assert_int_equal(got.last_used_ms, T0 + 9);
    assert_int_equal(s->ops->webauthn_update_use(s, got.id + 100, 1, 0, T0), MG_DECLINED);
    assert_int_equal(s->ops->webauthn_by_cred_id(s, got.cred_id, 10, &got), MG_DECLINED);
    assert_int_equal(s->ops->webauthn_by_cred_id(s, got.cred_id, 0, &got), MG_DECLINED);

    /* the ceiling: 20 per account, the 21st refused; another account is not affected */
    for (int i = 1; i < MG_WEBAUTHN_KEYS_PER_ACCOUNT; i++) {
        key(&r, a, (uint8_t)(0x20 + i), "spare");
        assert_int_equal(s->ops->webauthn_add(s, &r), MG_OK);
    }
    key(&r, a, 0x60, "one too many");
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_keys WHERE account_id = 1"), MG_WEBAUTHN_KEYS_PER_ACCOUNT);
    key(&r, b, 0x60, "b's");
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_OK);

    /* list: the account's keys, oldest first; the callback stops it */
    assert_int_equal(s->ops->webauthn_list(s, a, collect_keys, &ids), MG_OK);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.v[0], got.id);
    assert_true(ids.v[1] > ids.v[0]);

    /* delete: only the account's own key */
    assert_int_equal(s->ops->webauthn_delete(s, b, got.id), MG_DECLINED);
    assert_int_equal(s->ops->webauthn_delete(s, a, got.id), MG_OK);
    assert_int_equal(s->ops->webauthn_delete(s, a, got.id), MG_DECLINED);
    assert_int_equal(s->ops->webauthn_by_cred_id(s, got.cred_id, got.cred_id_len, &got), MG_DECLINED);
    key(&r, a, 0x61, "room again");
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_OK);
}

/* ---- challenges ---- */

static void challenges_single_use_and_expiry(void **state)
{
    struct mg_store *s = *state;
    uint8_t c1[32], c2[32], out[32];
    memset(c1, 0xC1, sizeof(c1));
    memset(c2, 0xC2, sizeof(c2));

    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_LOGIN, 7, T0, out), MG_DECLINED); /* none */
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_LOGIN, 7, c1, T0, T0 + MIN5), MG_OK);
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_REGISTER, 7, T0, out), MG_DECLINED); /* other kind */
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_LOGIN, 8, T0, out), MG_DECLINED);    /* other owner */
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_LOGIN, 7, T0 + MIN5 - 1, out), MG_OK);
    assert_memory_equal(out, c1, 32);
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_LOGIN, 7, T0 + 1, out), MG_DECLINED); /* single use */

    /* put replaces the owner's previous challenge of the kind; other kinds stay */
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_REAUTH, 7, c1, T0, T0 + MIN5), MG_OK);
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_REGISTER, 7, c1, T0, T0 + MIN5), MG_OK);
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_REGISTER, 7, c2, T0 + 1, T0 + MIN5), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_challenges"), 2);
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_REGISTER, 7, T0 + 2, out), MG_OK);
    assert_memory_equal(out, c2, 32);

    /* expiry: now == expires_ms is too late (and the row goes) */
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_REAUTH, 7, T0 + MIN5, out), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_challenges"), 0);
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_REAUTH, 7, T0, out), MG_DECLINED);

    /* the ceiling: a put deletes every expired challenge */
    for (int64_t owner = 100; owner < 150; owner++)
        assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_LOGIN, owner, c1, T0, T0 + MIN5), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_challenges"), 50);
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_LOGIN, 1, c2, T0 + MIN5, T0 + 2 * MIN5), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_challenges"), 1);
}

/* ---- second-step logins ---- */

static void login(struct mg_mfa_login *m, int64_t account, uint8_t tag, int64_t now)
{
    memset(m, 0, sizeof(*m));
    memset(m->hash, tag, sizeof(m->hash));
    m->account_id = account;
    m->created_ms = now;
    m->expires_ms = now + MIN5;
}

static void mfa_logins(void **state)
{
    struct mg_store *s = *state;
    struct mg_mfa_login m, got;
    int64_t a = new_account(s, "mfl@example.com"), b = new_account(s, "mfl2@example.com"), row = 0, row2 = 0, r;
    int failures = 0;
    uint8_t c[32] = {9}, out[32];

    login(&m, a, 0x01, T0);
    assert_int_equal(s->ops->mfa_login_get(s, m.hash, &got, &r), MG_DECLINED);
    assert_int_equal(s->ops->mfa_login_put(s, &m, &row), MG_OK);
    assert_true(row > 0);
    assert_int_equal(s->ops->mfa_login_put(s, &m, &row2), MG_DECLINED); /* the same hash */
    login(&m, a + 100, 0x02, T0);
    assert_int_equal(s->ops->mfa_login_put(s, &m, &row2), MG_DECLINED); /* no such account */
    memset(m.hash, 0x01, sizeof(m.hash));
    assert_int_equal(s->ops->mfa_login_get(s, m.hash, &got, &r), MG_OK);
    assert_int_equal(r, row);
    assert_memory_equal(got.hash, m.hash, 32);
    assert_int_equal(got.account_id, a);
    assert_int_equal(got.created_ms, T0);
    assert_int_equal(got.expires_ms, T0 + MIN5);
    assert_int_equal(got.failures, 0);

    assert_int_equal(s->ops->mfa_login_failed(s, row, &failures), MG_OK);
    assert_int_equal(failures, 1);
    assert_int_equal(s->ops->mfa_login_failed(s, row, &failures), MG_OK);
    assert_int_equal(failures, 2);
    assert_int_equal(s->ops->mfa_login_get(s, m.hash, &got, &r), MG_OK);
    assert_int_equal(got.failures, 2);
    assert_int_equal(s->ops->mfa_login_failed(s, row + 100, &failures), MG_DECLINED);

    /* delete is single use and takes the login's challenge with it */
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_LOGIN, row, c, T0, T0 + MIN5), MG_OK);
    assert_int_equal(s->ops->mfa_login_delete(s, row), MG_OK);
    assert_int_equal(s->ops->mfa_login_delete(s, row), MG_DECLINED);
    assert_int_equal(s->ops->mfa_login_get(s, m.hash, &got, &r), MG_DECLINED);
    assert_int_equal(s->ops->challenge_take(s, MG_CHALLENGE_LOGIN, row, T0 + 1, out), MG_DECLINED);
    assert_int_equal(s->ops->mfa_login_failed(s, row, &failures), MG_DECLINED);

    /* the ceilings: a put deletes the expired ones, and an account's oldest beyond 20 */
    for (int i = 0; i < 30; i++) {
        login(&m, b, (uint8_t)(0x40 + i), T0);
        assert_int_equal(s->ops->mfa_login_put(s, &m, &row2), MG_OK);
    }
    login(&m, a, 0x03, T0);
    assert_int_equal(s->ops->mfa_login_put(s, &m, &row), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM mfa_logins WHERE account_id = 2"), MG_MFA_LOGINS_PER_ACCOUNT);
    memset(m.hash, 0x40, sizeof(m.hash)); /* b's oldest went */
    assert_int_equal(s->ops->mfa_login_get(s, m.hash, &got, &r), MG_DECLINED);
    memset(m.hash, 0x40 + 29, sizeof(m.hash));
    assert_int_equal(s->ops->mfa_login_get(s, m.hash, &got, &r), MG_OK);
    login(&m, a, 0x04, T0 + MIN5); /* now every earlier one has expired (expires == now) */
    assert_int_equal(s->ops->mfa_login_put(s, &m, &row), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM mfa_logins"), 1);
}

static void set_login(struct mg_store *s, int64_t account, int round, struct racer *r)
{
    struct mg_mfa_login m;
    login(&m, account, (uint8_t)(round + 1), T0);
    assert_int_equal(s->ops->mfa_login_put(s, &m, &r->step), MG_OK);
}

static void mfa_login_delete_two_submissions(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "race-mfl@example.com");
    race_rounds(s, a, race_login_delete, set_login);
    assert_int_equal(raw("SELECT count(*) FROM mfa_logins"), 0);
}

/* ---- mfa_clear ---- */

/* Gives the account one of everything. */
static void every_factor(struct mg_store *s, int64_t account, uint8_t tag)
{
    struct mg_webauthn_record r;
    struct mg_mfa_login m;
    uint8_t h[2][32], c[32] = {tag};
    int64_t row;
    memset(h, tag, sizeof(h));
    h[1][0] = 0;
    assert_int_equal(s->ops->totp_put_pending(s, account, h[0], 20, T0), MG_OK);
    assert_int_equal(s->ops->totp_confirm(s, account, 10), MG_OK);
    assert_int_equal(s->ops->recovery_set(s, account, (const uint8_t(*)[32])h, 2, T0), MG_OK);
    key(&r, account, tag, "key");
    assert_int_equal(s->ops->webauthn_add(s, &r), MG_OK);
    login(&m, account, tag, T0);
    assert_int_equal(s->ops->mfa_login_put(s, &m, &row), MG_OK);
    assert_int_equal(s->ops->challenge_put(s, MG_CHALLENGE_LOGIN, row, c, T0, T0 + MIN5), MG_OK);
}

static void mfa_clear_removes_one_account(void **state)
{
    struct mg_store *s = *state;
    struct mg_totp_record t;
    int64_t a = new_account(s, "clear@example.com"), b = new_account(s, "keep@example.com");
    int left = -1;
    every_factor(s, a, 0x0A);
    every_factor(s, b, 0x0B);
    assert_int_equal(s->ops->mfa_clear(s, a), MG_OK);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_DECLINED);
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 0);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_keys WHERE account_id = 1"), 0);
    assert_int_equal(raw("SELECT count(*) FROM mfa_logins WHERE account_id = 1"), 0);
    /* b keeps all of its own */
    assert_int_equal(s->ops->totp_get(s, b, &t), MG_OK);
    assert_int_equal(s->ops->recovery_left(s, b, &left), MG_OK);
    assert_int_equal(left, 2);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_keys WHERE account_id = 2"), 1);
    assert_int_equal(raw("SELECT count(*) FROM mfa_logins WHERE account_id = 2"), 1);
    assert_int_equal(raw("SELECT count(*) FROM webauthn_challenges"), 1);
    assert_int_equal(s->ops->mfa_clear(s, a), MG_OK); /* nothing left: still fine */
}

/* ---- inside run_tx ---- */

struct tx_arg {
    int64_t account;
    int step_rc, code_rc;
};

static enum mg_tx tx_body(struct mg_store *s, void *arg)
{
    struct tx_arg *x = arg;
    uint8_t h[1][32];
    memset(h, 0x5C, sizeof(h));
    if (s->ops->totp_use_step(s, x->account, 11) != MG_OK)
        return MG_TX_HARD;
    if (s->ops->recovery_set(s, x->account, (const uint8_t(*)[32])h, 1, T0) != MG_OK)
        return MG_TX_HARD;
    x->step_rc = s->ops->totp_use_step(s, x->account, 11); /* the replay guard sees this transaction's write */
    x->code_rc = s->ops->recovery_use(s, x->account, h[0], T0);
    return MG_TX_NO; /* roll all of it back */
}

static void ops_join_run_tx(void **state)
{
    struct mg_store *s = *state;
    struct mg_totp_record t;
    int64_t a = new_account(s, "tx@example.com");
    struct tx_arg x = {a, 99, 99};
    int left = -1;
    every_factor(s, a, 0x0C);
    assert_int_equal(s->ops->run_tx(s, "mfa test", tx_body, &x), MG_DECLINED);
    assert_int_equal(x.step_rc, MG_DECLINED);
    assert_int_equal(x.code_rc, MG_OK);
    assert_int_equal(s->ops->totp_get(s, a, &t), MG_OK);
    assert_int_equal(t.last_step, 10); /* rolled back */
    assert_int_equal(s->ops->recovery_left(s, a, &left), MG_OK);
    assert_int_equal(left, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(totp_enrol_confirm_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(totp_use_step_refuses_replays, setup, teardown),
        cmocka_unit_test_setup_teardown(totp_one_step_two_submissions, setup, teardown),
        cmocka_unit_test_setup_teardown(recovery_codes_single_use_and_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(recovery_one_code_two_submissions, setup, teardown),
        cmocka_unit_test_setup_teardown(webauthn_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(challenges_single_use_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(mfa_logins, setup, teardown),
        cmocka_unit_test_setup_teardown(mfa_login_delete_two_submissions, setup, teardown),
        cmocka_unit_test_setup_teardown(mfa_clear_removes_one_account, setup, teardown),
        cmocka_unit_test_setup_teardown(ops_join_run_tx, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
