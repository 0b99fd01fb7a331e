/* Unit tests: the account platform's store operations on SQLite, part 1:
 * accounts (sign-in state, login failures and their ceiling, search),
 * sessions (ceiling, prune), one-time tokens (single use, also from two
 * handles racing), and the ops joining a run_tx transaction.  Part 2 is
 * test_store_platform_records.c. */
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

/* ---- accounts ---- */

static void accounts_insert_get_update(void **state)
{
    struct mg_store *s = *state;
    struct mg_account a, b;
    int64_t old;
    memset(&a, 0, sizeof(a));
    mg_strlcpy(a.email, "Ann@Example.COM", sizeof(a.email));
    mg_strlcpy(a.plan, "professional", sizeof(a.plan));
    mg_strlcpy(a.password_phc, "$argon2id$v=19$m=19456,t=2,p=1$x$y", sizeof(a.password_phc));
    a.status = MG_ACCT_PENDING;
    a.is_admin = 1;
    a.cap_micros = 5;
    a.created_ms = T0;
    a.credit_micros = 100;
    assert_int_equal(s->ops->account_insert(s, &a), MG_OK);
    assert_true(a.id > 0);
    assert_string_equal(a.email, "ann@example.com");
    assert_int_equal(s->ops->account_insert(s, &a), MG_DECLINED); /* the email exists */
    mg_strlcpy(a.email, "ANN@example.com", sizeof(a.email));
    assert_int_equal(s->ops->account_insert(s, &a), MG_DECLINED); /* case-insensitively */

    assert_int_equal(s->ops->account_get(s, a.id, &b), MG_OK);
    assert_string_equal(b.email, "ann@example.com");
    assert_string_equal(b.plan, "professional");
    assert_string_equal(b.password_phc, "$argon2id$v=19$m=19456,t=2,p=1$x$y");
    assert_int_equal(b.status, MG_ACCT_PENDING);
    assert_int_equal(b.is_admin, 1);
    assert_int_equal(b.cap_micros, 5);
    assert_int_equal(b.created_ms, T0);
    assert_int_equal(b.credit_micros, 100);
    assert_int_equal(b.failed_logins, 0);
    assert_int_equal(b.locked_until_ms, 0);
    assert_int_equal(b.last_login_ms, 0);
    assert_int_equal(s->ops->account_get(s, a.id + 100, &b), MG_DECLINED);

    assert_int_equal(s->ops->account_set_password(s, a.id, "$argon2id$new"), MG_OK);
    assert_int_equal(s->ops->account_set_plan_role(s, a.id, NULL, 0), MG_OK); /* plan kept */
    struct mg_ledger_entry up = {.account_id = a.id, .amount_micros = 23, .kind = "topup"};
    struct mg_ledger_entry down = {.account_id = a.id, .amount_micros = -3, .kind = "adjustment"};
    assert_int_equal(s->ops->ledger_add(s, &up, NULL), MG_OK);
    assert_int_equal(s->ops->ledger_add(s, &down, NULL), MG_OK);
    assert_int_equal(s->ops->account_set_lock(s, a.id, T0 + 900000), MG_OK);
    assert_int_equal(s->ops->account_by_email(s, "ann@EXAMPLE.com", &b), MG_OK); /* every field too */
    assert_string_equal(b.password_phc, "$argon2id$new");
    assert_int_equal(b.status, MG_ACCT_ACTIVE);
    assert_string_equal(b.plan, "professional");
    assert_int_equal(b.is_admin, 0);
    assert_int_equal(b.credit_micros, 120);
    assert_int_equal(b.locked_until_ms, T0 + 900000);

    assert_int_equal(s->ops->account_set_plan_role(s, a.id, "enterprise", -1), MG_OK); /* role kept */
    assert_int_equal(s->ops->account_set_status(s, a.id, MG_ACCT_PENDING), MG_OK);
    assert_int_equal(s->ops->account_login_ok(s, a.id, T0 + 5), MG_OK);
    assert_int_equal(s->ops->account_get(s, a.id, &b), MG_OK);
    assert_string_equal(b.plan, "enterprise");
    assert_int_equal(b.is_admin, 0);
    assert_int_equal(b.status, MG_ACCT_PENDING);
    assert_int_equal(b.last_login_ms, T0 + 5);
    assert_int_equal(b.locked_until_ms, 0);

    /* accounts made the old way (operator commands) read with the defaults */
    assert_int_equal(s->ops->account_create(s, "op@example.com", NULL, 1, &old), MG_OK);
    assert_int_equal(s->ops->account_get(s, old, &b), MG_OK);
    assert_string_equal(b.plan, "free");
    assert_string_equal(b.password_phc, "");
    assert_int_equal(b.status, MG_ACCT_ACTIVE);

    /* every update answers DECLINED for an unknown id */
    int64_t no = a.id + 1000;
    assert_int_equal(s->ops->account_set_password(s, no, "x"), MG_DECLINED);
    assert_int_equal(s->ops->account_set_status(s, no, MG_ACCT_ACTIVE), MG_DECLINED);
    assert_int_equal(s->ops->account_set_plan_role(s, no, "free", 1), MG_DECLINED);
    assert_int_equal(s->ops->account_set_lock(s, no, 1), MG_DECLINED);
    assert_int_equal(s->ops->account_login_ok(s, no, 1), MG_DECLINED);
    assert_int_equal(s->ops->account_unlock(s, no), MG_DECLINED);
    struct mg_ledger_entry none = {.account_id = no, .amount_micros = 1, .kind = "topup"};
    assert_int_equal(s->ops->ledger_add(s, &none, NULL), MG_DECLINED);
}

static void login_failures_count_window_and_ceiling(void **state)
{
    struct mg_store *s = *state;
    struct mg_account a;
    int64_t id = new_account(s, "lock@example.com"), other = new_account(s, "other@example.com");
    int c = -1, h = -1;
    char sql[256];

    assert_int_equal(s->ops->account_login_failed(s, id, T0, &c, &h), MG_OK);
    assert_int_equal(c, 1);
    assert_int_equal(h, 1);
    assert_int_equal(s->ops->account_login_failed(s, id, T0 + HOUR / 2, &c, &h), MG_OK);
    assert_int_equal(c, 2);
    assert_int_equal(h, 2);
    assert_int_equal(s->ops->account_login_failed(s, other, T0 + HOUR / 2, &c, &h), MG_OK); /* per account */
    assert_int_equal(c, 1);
    assert_int_equal(h, 1);
    /* exactly one hour after the first: the window is (now - 1 h, now], so the first is out, and deleted */
    assert_int_equal(s->ops->account_login_failed(s, id, T0 + HOUR, &c, &h), MG_OK);
    assert_int_equal(c, 3);
    assert_int_equal(h, 2);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM login_failures WHERE account_id = %lld", (long long)id);
    assert_int_equal(raw(sql), 2);
    assert_int_equal(s->ops->account_get(s, id, &a), MG_OK);
    assert_int_equal(a.failed_logins, 3);

    /* a success resets the consecutive count, not the hour's */
    assert_int_equal(s->ops->account_login_ok(s, id, T0 + HOUR + 1), MG_OK);
    assert_int_equal(s->ops->account_login_failed(s, id, T0 + HOUR + 2, &c, &h), MG_OK);
    assert_int_equal(c, 1);
    assert_int_equal(h, 3);

    /* the ceiling: however many rows an hour holds, an account keeps MG_LOGIN_FAILURES_KEPT */
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)"
             " INSERT INTO login_failures(account_id, ts_ms) SELECT %lld, %lld + i FROM n",
             (long long)id, (long long)(T0 + HOUR + 10));
    raw(sql);
    assert_int_equal(s->ops->account_login_failed(s, id, T0 + HOUR + 2000, &c, &h), MG_OK);
    assert_int_equal(c, 2);
    assert_int_equal(h, MG_LOGIN_FAILURES_KEPT);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM login_failures WHERE account_id = %lld", (long long)id);
    assert_int_equal(raw(sql), MG_LOGIN_FAILURES_KEPT);

    /* unlock: counters and rows gone; the other account untouched */
    assert_int_equal(s->ops->account_set_lock(s, id, T0 + 2 * HOUR), MG_OK);
    assert_int_equal(s->ops->account_unlock(s, id), MG_OK);
    assert_int_equal(s->ops->account_get(s, id, &a), MG_OK);
    assert_int_equal(a.failed_logins, 0);
    assert_int_equal(a.locked_until_ms, 0);
    assert_int_equal(raw(sql), 0);
    assert_int_equal(raw("SELECT count(*) FROM login_failures"), 1);
    assert_int_equal(s->ops->account_login_failed(s, id + 1000, T0, &c, &h), MG_DECLINED);
}

static int account_cb(void *arg, const struct mg_account *a)
{
    struct ids *ids = arg;
    ids->v[ids->n++] = a->id;
    return MG_OK;
}

static void accounts_search_substring_and_paging(void **state)
{
    struct mg_store *s = *state;
    struct ids r = {0};
    int64_t a = new_account(s, "alice@example.com"), b = new_account(s, "bob@example.com");
    int64_t c = new_account(s, "carol@other.org"), d = new_account(s, "dave@EXAMPLE.net");

    assert_int_equal(s->ops->accounts_search(s, "Example", 0, 10, account_cb, &r), MG_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[0], a);
    assert_int_equal(r.v[1], b);
    assert_int_equal(r.v[2], d);
    r.n = 0; /* paging: two at a time, after the last id seen */
    assert_int_equal(s->ops->accounts_search(s, "example", 0, 2, account_cb, &r), MG_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(s->ops->accounts_search(s, "example", r.v[1], 2, account_cb, &r), MG_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[2], d);
    r.n = 0;
    assert_int_equal(s->ops->accounts_search(s, "", 0, 10, account_cb, &r), MG_OK);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.v[2], c);
    r.n = 0;
    assert_int_equal(s->ops->accounts_search(s, "%", 0, 10, account_cb, &r), MG_OK); /* no wildcards */
    assert_int_equal(r.n, 0);
    assert_int_equal(s->ops->accounts_search(s, "OTHER.org", 0, 10, account_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0], c);
}

/* ---- sessions ---- */

static struct mg_session session_of(int64_t account, uint8_t fill, int64_t now)
{
    struct mg_session se;
    memset(&se, 0, sizeof(se));
    se.account_id = account;
    memset(se.token_hash, fill, sizeof(se.token_hash));
    se.created_ms = se.last_seen_ms = now;
    se.expires_ms = now + 30 * 24 * HOUR;
    mg_strlcpy(se.ip, "127.0.0.1", sizeof(se.ip));
    mg_strlcpy(se.user_agent, "test/1", sizeof(se.user_agent));
    return se;
}

static int session_cb(void *arg, const struct mg_session *se)
{
    struct ids *ids = arg;
    ids->v[ids->n++] = se->id;
    return MG_OK;
}

static void sessions_ops(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "s@example.com"), b = new_account(s, "t@example.com");
    struct mg_session s1 = session_of(a, 1, T0), s2 = session_of(a, 2, T0 + 1), s3 = session_of(b, 3, T0 + 2), got;
    struct ids r = {0};
    uint8_t h[32];
    size_t n = 99;

    assert_int_equal(s->ops->session_insert(s, &s1), MG_OK);
    assert_int_equal(s->ops->session_insert(s, &s2), MG_OK);
    assert_int_equal(s->ops->session_insert(s, &s3), MG_OK);
    assert_true(s1.id > 0 && s2.id > s1.id);
    assert_int_equal(s->ops->session_insert(s, &s1), MG_DECLINED); /* the same token hash */
    memset(h, 2, sizeof(h));
    assert_int_equal(s->ops->session_by_hash(s, h, &got), MG_OK);
    assert_int_equal(got.id, s2.id);
    assert_int_equal(got.account_id, a);
    assert_int_equal(got.expires_ms, T0 + 1 + 30 * 24 * HOUR);
    assert_string_equal(got.ip, "127.0.0.1");
    assert_string_equal(got.user_agent, "test/1");
    assert_memory_equal(got.token_hash, h, 32);
    memset(h, 9, sizeof(h));
    assert_int_equal(s->ops->session_by_hash(s, h, &got), MG_DECLINED);

    assert_int_equal(s->ops->session_touch(s, s2.id, T0 + 100), MG_OK);
    assert_int_equal(s->ops->session_set_reauth(s, s2.id, T0 + 101), MG_OK);
    memset(h, 2, sizeof(h));
    assert_int_equal(s->ops->session_by_hash(s, h, &got), MG_OK);
    assert_int_equal(got.last_seen_ms, T0 + 100);
    assert_int_equal(got.reauth_ms, T0 + 101);
    assert_int_equal(s->ops->session_touch(s, 999999, T0), MG_DECLINED);

    assert_int_equal(s->ops->sessions_list(s, a, session_cb, &r), MG_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.v[0], s1.id);
    assert_int_equal(s->ops->session_delete(s, b, s1.id), MG_DECLINED); /* not b's */
    assert_int_equal(s->ops->session_delete(s, a, s1.id), MG_OK);
    assert_int_equal(s->ops->session_delete(s, a, s1.id), MG_DECLINED);

    /* sign out everywhere else: all but except_id, and only this account's */
    struct mg_session s4 = session_of(a, 4, T0 + 3), s5 = session_of(a, 5, T0 + 4);
    assert_int_equal(s->ops->session_insert(s, &s4), MG_OK);
    assert_int_equal(s->ops->session_insert(s, &s5), MG_OK);
    assert_int_equal(s->ops->sessions_delete_account(s, a, s4.id, &n), MG_OK);
    assert_int_equal(n, 2);
    r.n = 0;
    assert_int_equal(s->ops->sessions_list(s, a, session_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0], s4.id);
    assert_int_equal(s->ops->sessions_delete_account(s, a, 0, &n), MG_OK);
    assert_int_equal(n, 1);
    r.n = 0;
    assert_int_equal(s->ops->sessions_list(s, b, session_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
}

static void sessions_prune_expired_and_idle(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "p@example.com");
    struct mg_session old = session_of(a, 1, T0), idle = session_of(a, 2, T0), live = session_of(a, 3, T0);
    struct ids r = {0};
    old.expires_ms = T0 + 10 * HOUR;
    assert_int_equal(s->ops->session_insert(s, &old), MG_OK);
    assert_int_equal(s->ops->session_insert(s, &idle), MG_OK);
    assert_int_equal(s->ops->session_insert(s, &live), MG_OK);
    assert_int_equal(s->ops->session_touch(s, old.id, T0 + 10 * HOUR - 1), MG_OK);
    assert_int_equal(s->ops->session_touch(s, live.id, T0 + 9 * HOUR), MG_OK);
    /* at T0 + 10 h with a 2 h idle limit: old has reached its end, idle is idle, live is neither */
    assert_int_equal(s->ops->sessions_prune(s, T0 + 10 * HOUR, 2 * HOUR), MG_OK);
    assert_int_equal(s->ops->sessions_list(s, a, session_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0], live.id);
}

static void sessions_ceiling_per_account(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "many@example.com"), b = new_account(s, "few@example.com");
    struct mg_session first = session_of(a, 0, T0), se, mine = session_of(b, 0xfe, T0);
    struct ids r = {0};
    assert_int_equal(s->ops->session_insert(s, &mine), MG_OK);
    assert_int_equal(s->ops->session_insert(s, &first), MG_OK);
    for (int i = 1; i <= MG_SESSIONS_PER_ACCOUNT; i++) { /* the 101st insert in all */
        se = session_of(a, 0, T0 + i);
        se.token_hash[0] = (uint8_t)i;
        se.token_hash[1] = 0xaa;
        assert_int_equal(s->ops->session_insert(s, &se), MG_OK);
    }
    assert_int_equal(s->ops->sessions_list(s, a, session_cb, &r), MG_OK);
    assert_int_equal(r.n, MG_SESSIONS_PER_ACCOUNT);
    assert_true(r.v[0] > first.id); /* the oldest is gone */
    assert_int_equal(r.v[r.n - 1], se.id);
    r.n = 0;
    assert_int_equal(s->ops->sessions_list(s, b, session_cb, &r), MG_OK);
    assert_int_equal(r.n, 1); /* another account's session is not counted against it */
}

/* ---- one-time tokens ---- */

static void tokens_single_use_expiry_and_newer(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "tok@example.com"), got = 0;
    uint8_t h1[32], h2[32], h3[32];
    memset(h1, 1, 32);
    memset(h2, 2, 32);
    memset(h3, 3, 32);

    assert_int_equal(s->ops->token_put(s, MG_TOKEN_RESET, h1, a, T0, T0 + 15 * 60000), MG_OK);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_VERIFY, h1, T0 + 1, &got), MG_DECLINED); /* wrong kind */
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h1, T0 + 1, &got), MG_OK);
    assert_int_equal(got, a);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h1, T0 + 2, &got), MG_DECLINED); /* single use */
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h2, T0 + 2, &got), MG_DECLINED); /* unknown */

    /* expired: now == expires_ms is too late */
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_RESET, h2, a, T0, T0 + 1000), MG_OK);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h2, T0 + 1000, &got), MG_DECLINED);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h2, T0 + 999, &got), MG_OK);

    /* a newer link invalidates the older of the same kind only */
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_RESET, h1, a, T0 + 10, T0 + HOUR), MG_OK);
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_VERIFY, h3, a, T0 + 10, T0 + HOUR), MG_OK);
    memset(h2, 0x22, 32);
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_RESET, h2, a, T0 + 20, T0 + HOUR), MG_OK);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h1, T0 + 30, &got), MG_DECLINED);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_VERIFY, h3, T0 + 30, &got), MG_OK);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h2, T0 + 30, &got), MG_OK);

    /* the ceiling: a put deletes every expired token, any account's */
    int64_t b = new_account(s, "tok2@example.com");
    memset(h3, 0x33, 32);
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_VERIFY, h3, b, T0, T0 + 100), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM tokens"), 3); /* a's two used ones live until T0 + 1 h */
    memset(h1, 0x11, 32);
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_RESET, h1, a, T0 + 2 * HOUR, T0 + 3 * HOUR), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM tokens"), 1); /* every expired one went (b's too), a's older reset */

    /* invalidate: one kind, or every kind */
    assert_int_equal(s->ops->token_put(s, MG_TOKEN_SET_PASSWORD, h3, a, T0 + 2 * HOUR, T0 + 3 * HOUR), MG_OK);
    assert_int_equal(s->ops->tokens_invalidate(s, a, MG_TOKEN_RESET), MG_OK);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_RESET, h1, T0 + 2 * HOUR, &got), MG_DECLINED);
    assert_int_equal(s->ops->tokens_invalidate(s, a, 0), MG_OK);
    assert_int_equal(s->ops->token_consume(s, MG_TOKEN_SET_PASSWORD, h3, T0 + 2 * HOUR, &got), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM tokens"), 0);
}

struct racer {
    struct mg_store *s;
    const uint8_t *hash;
    pthread_barrier_t *go;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    int64_t id = 0;
    pthread_barrier_wait(r->go);
    r->rc = r->s->ops->token_consume(r->s, MG_TOKEN_RESET, r->hash, T0 + 1, &id);
    return NULL;
}

static void tokens_consumed_once_by_two_handles(void **state)
{
    struct mg_store *s = *state, *s2;
    char err[256];
    int64_t a = new_account(s, "race@example.com");
    uint8_t h[32];
    pthread_barrier_t go;
    assert_non_null(s2 = mg_store_open(spec, err, sizeof(err)));
    assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
    for (int i = 0; i < 50; i++) {
        struct racer r1 = {s, h, &go, 99}, r2 = {s2, h, &go, 99};
        pthread_t t1, t2;
        memset(h, i + 1, sizeof(h));
        assert_int_equal(s->ops->token_put(s, MG_TOKEN_RESET, h, a, T0, T0 + HOUR), MG_OK);
        assert_int_equal(pthread_create(&t1, NULL, race, &r1), 0);
        assert_int_equal(pthread_create(&t2, NULL, race, &r2), 0);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        assert_true((r1.rc == MG_OK && r2.rc == MG_DECLINED) || (r1.rc == MG_DECLINED && r2.rc == MG_OK));
    }
    pthread_barrier_destroy(&go);
    s2->ops->close(s2);
}

/* ---- inside run_tx ---- */

struct tx_job {
    int64_t account;
    enum mg_tx answer;
};

static enum mg_tx platform_tx(struct mg_store *s, void *arg)
{
    struct tx_job *j = arg;
    struct mg_session se = session_of(j->account, 0x77, T0);
    struct mg_audit_event e;
    int c, h;
    uint8_t th[32];
    memset(th, 0x78, sizeof(th));
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.type, "password.reset", sizeof(e.type));
    e.account_id = j->account;
    if (s->ops->session_insert(s, &se) != MG_OK ||
        s->ops->token_put(s, MG_TOKEN_RESET, th, j->account, T0, T0 + HOUR) != MG_OK ||
        s->ops->account_login_failed(s, j->account, T0, &c, &h) != MG_OK || s->ops->audit_append(s, &e) != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    return j->answer;
}

static void ops_join_run_tx(void **state)
{
    struct mg_store *s = *state;
    struct tx_job no = {new_account(s, "tx@example.com"), MG_TX_NO}, ok = {no.account, MG_TX_OK};
    struct mg_account a;
    assert_int_equal(s->ops->run_tx(s, "platform no", platform_tx, &no), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM sessions"), 0); /* every op's part rolled back */
    assert_int_equal(raw("SELECT count(*) FROM tokens"), 0);
    assert_int_equal(raw("SELECT count(*) FROM audit_events"), 0);
    assert_int_equal(raw("SELECT count(*) FROM login_failures"), 0);
    assert_int_equal(s->ops->account_get(s, no.account, &a), MG_OK);
    assert_int_equal(a.failed_logins, 0);
    assert_int_equal(s->ops->run_tx(s, "platform ok", platform_tx, &ok), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM sessions"), 1);
    assert_int_equal(raw("SELECT count(*) FROM tokens"), 1);
    assert_int_equal(raw("SELECT count(*) FROM audit_events"), 1);
    assert_int_equal(s->ops->account_get(s, no.account, &a), MG_OK);
    assert_int_equal(a.failed_logins, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(accounts_insert_get_update, setup, teardown),
        cmocka_unit_test_setup_teardown(login_failures_count_window_and_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(accounts_search_substring_and_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(sessions_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(sessions_prune_expired_and_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(sessions_ceiling_per_account, setup, teardown),
        cmocka_unit_test_setup_teardown(tokens_single_use_expiry_and_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(tokens_consumed_once_by_two_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(ops_join_run_tx, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
