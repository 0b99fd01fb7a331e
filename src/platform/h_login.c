/*
 * h_login.c: signing in and what a signed-in account does with its password
 * and sessions (AC-2, AC-3, AC-4, AC-5; SECURITY-REFERENCES §8 items 5-10, 25-28).
 *
 * One answer for every failed login (unknown email, wrong or missing
 * password, locked, not yet active), and the same work on each path: an
 * Argon2id verify (a dummy one when there is no hash to check) and one
 * committed write, so neither the body nor the time tells them apart.
 */
#include "auth/token.h"
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define HOUR_MS (3600LL * 1000)

/* ---- the failure bookkeeping (AC-3) ------------------------------------------------- */

struct failure {
    struct pf_call *c;
    int64_t account_id;
    const char *event;  /* "login.failure" / "reauth.failure" */
    const char *why;
    int locked;         /* set when this failure locked the account */
};

static enum mg_tx failure_tx(struct mg_store *s, void *arg)
{
    struct failure *f = arg;
    struct pf_call *c = f->c;
    const struct mg_platform_config *cfg = &c->pf->cfg;
    int consecutive = 0, last_hour = 0;
    f->locked = 0;
    if (f->account_id > 0) {
        if (s->ops->account_login_failed(s, f->account_id, c->now, &consecutive, &last_hour) != MG_OK)
            return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
        /* the lock starts at the failure that reaches the threshold; failures while locked never get here */
        int64_t until = 0;
        if (last_hour >= cfg->failures_per_hour)
            until = c->now + HOUR_MS; /* NIST 5.2.2: at most failures_per_hour in any hour */
        else if (consecutive >= cfg->lockout_threshold)
            until = c->now + cfg->lockout_ms;
        if (until > 0) {
            if (s->ops->account_set_lock(s, f->account_id, until) != MG_OK)
                return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
            f->locked = 1;
        }
    }
    pf_audit(c, f->locked ? "login.locked" : f->event, f->account_id, f->why);
    return MG_TX_OK;
}

/* Records a failed password check (counting it toward the lock unless account_id is 0). */
static void record_failure(struct pf_call *c, int64_t account_id, const char *event, const char *why,
                           const char *email)
{
    struct failure f = {c, account_id, event, why, 0};
    if (c->store->ops->run_tx(c->store, "login failure", failure_tx, &f) != MG_OK)
        mg_log(MG_LOG_ERROR, "login: could not record a failed attempt (request %s)", c->request_id);
    if (f.locked && email != NULL)
        pf_mail(c, MG_MAIL_ACCOUNT_LOCKED, email, NULL, (int)(c->pf->cfg.lockout_ms / 60000));
}

/* Checks pw against the account; on a mismatch records the failure.  MG_OK or MG_DECLINED. */
static int check_password(struct pf_call *c, const struct mg_account *a, const char *pw, const char *event)
{
    int rehash = 0;
    if (mg_pw_verify(a->password_phc, pw, strlen(pw), &rehash) != MG_OK) {
        record_failure(c, a->id, event, "wrong password", a->email);
        return MG_DECLINED;
    }
    if (rehash) { /* stored with older parameters: upgrade it now that we have the password */
        char phc[MG_PW_PHC_MAX];
        if (mg_pw_hash(pw, strlen(pw), phc) == MG_OK)
            c->store->ops->account_set_password(c->store, a->id, phc);
        sodium_memzero(phc, sizeof(phc));
    }
    return MG_OK;
}

/* ---- POST /login -------------------------------------------------------------------- */

#define LOGINS_PER_IP_HOUR 1000 /* one address trying many accounts (an office behind NAT stays far below) */

void pf_h_login(struct pf_call *c)
{
    const char *email = pf_str(c, "email"), *pw = pf_str(c, "password");
    struct mg_account a;
    if (pf_ip_limit(c, "login", LOGINS_PER_IP_HOUR) != MG_OK)
        return;
    int rc = c->store->ops->account_by_email(c->store, email, &a);
    if (rc != MG_OK && rc != MG_DECLINED) {
        pf_store_failed(c, rc);
        return;
    }
    if (rc == MG_DECLINED) {
        mg_pw_dummy_verify(pw, strlen(pw));
        record_failure(c, 0, "login.failure", "unknown email", NULL);
        pf_fail(c, MG_E_LOGIN_FAILED, NULL, NULL);
        return;
    }
    const char *why = NULL;
    if (a.locked_until_ms > c->now)
        why = "locked";
    else if (a.status != MG_ACCT_ACTIVE || a.password_phc[0] == '\0')
        why = "not active";
    if (why != NULL) { /* same work, no count: a lock is never extended by attempts during it */
        mg_pw_dummy_verify(pw, strlen(pw));
        record_failure(c, 0, "login.failure", why, NULL);
        pf_fail(c, MG_E_LOGIN_FAILED, NULL, NULL);
        return;
    }
    if (!pf_has(c, "password")) { /* §8 item 10: a missing password counts as a failure */
        mg_pw_dummy_verify(pw, 0);
        record_failure(c, a.id, "login.failure", "no password", a.email);
        pf_fail(c, MG_E_LOGIN_FAILED, NULL, NULL);
        return;
    }
    if (check_password(c, &a, pw, "login.failure") != MG_OK) {
        pf_fail(c, MG_E_LOGIN_FAILED, NULL, NULL);
        return;
    }
    if (a.suspended) { /* only someone who knows the password learns this */
        pf_audit(c, "login.failure", a.id, "suspended");
        pf_fail(c, MG_E_ACCOUNT_SUSPENDED, NULL, NULL);
        return;
    }
    json_t *o = json_object();
    int mfa = pf_mfa_begin(c, &a, o); /* the password was right: a second factor, if the account has one */
    if (mfa != 0) {
        if (mfa < 0) {
            json_decref(o);
            pf_fail(c, MG_E_INTERNAL, NULL, NULL);
            return;
        }
        pf_audit(c, "login.password_ok", a.id, "second factor asked");
        pf_reply(c, 200, o);
        return;
    }
    json_decref(o);
    pf_login_success(c, &a, "password");
}

void pf_login_failure(struct pf_call *c, const struct mg_account *a, const char *why)
{
    record_failure(c, a->id, "login.failure", why, a->email);
}

void pf_login_success(struct pf_call *c, struct mg_account *a, const char *method)
{
    if (c->store->ops->account_login_ok(c->store, a->id, c->now) != MG_OK) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    a->failed_logins = 0;
    a->locked_until_ms = 0;
    a->last_login_ms = c->now;
    json_t *o = json_object();
    if (pf_session_start(c, a, o) != MG_OK) {
        json_decref(o);
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    json_t *acct = pf_account_json(a);
    json_object_set_new(acct, "mfa", pf_mfa_json(c, a->id));
    json_object_set_new(o, "account", acct);
    pf_audit(c, "login.success", a->id, method);
    pf_reply(c, 200, o);
}

/* ---- POST /me/reauth ----------------------------------------------------------------- */

void pf_h_reauth(struct pf_call *c)
{
    int given = pf_has(c, "password") + pf_has(c, "totp_code") + pf_has(c, "recovery_code") + pf_has(c, "webauthn");
    if (given != 1) {
        pf_fail(c, given ? MG_E_FIELD_INVALID : MG_E_FIELD_MISSING, "password",
                "Send exactly one of password, totp_code, recovery_code or webauthn.");
        return;
    }
    if (!pf_has(c, "password")) {
        if (pf_mfa_reauth(c) != MG_OK) {
            pf_audit(c, "reauth.failure", c->acct.id, "second factor");
            return;
        }
    } else if (check_password(c, &c->acct, pf_str(c, "password"), "reauth.failure") != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "password", "The password is wrong.");
        return;
    }
    /* by cookie: a new token holds the fresh check (session.c); a Bearer session records it */
    if ((c->by_cookie ? pf_session_rotate(c) : c->store->ops->session_set_reauth(c->store, c->sess.id, c->now)) !=
        MG_OK) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    pf_audit(c, "reauth.success", c->acct.id, c->by_cookie ? "new session token" : NULL);
    pf_no_content(c);
}

/* ---- passwords ----------------------------------------------------------------------- */

int pf_password_allowed(struct pf_call *c, const char *field, const char *pw, const char *email)
{
    enum mg_pw_rule r = mg_pw_check(c->pf->pw_lists, c->pf->cfg.password_policy, pw, strlen(pw), email);
    if (r == MG_PW_OK)
        return MG_OK;
    pf_fail(c, MG_E_PASSWORD_POLICY, field, mg_pw_rule_message(r));
    return MG_DECLINED;
}

struct change {
    int64_t account_id, keep_session;
    const char *phc;
    size_t ended;
};

static enum mg_tx change_tx(struct mg_store *s, void *arg)
{
    struct change *ch = arg;
    if (s->ops->account_set_password(s, ch->account_id, ch->phc) != MG_OK ||
        s->ops->tokens_invalidate(s, ch->account_id, 0) != MG_OK ||
        s->ops->sessions_delete_account(s, ch->account_id, ch->keep_session, &ch->ended) != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    return MG_TX_OK;
}

/* POST /me/password: needs the current password; ends every other session and outstanding link. */
void pf_h_password_change(struct pf_call *c)
{
    const char *cur = pf_str(c, "current_password"), *nw = pf_str(c, "new_password");
    char phc[MG_PW_PHC_MAX];
    if (check_password(c, &c->acct, cur, "reauth.failure") != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "current_password", "The current password is wrong.");
        return;
    }
    if (pf_password_allowed(c, "new_password", nw, c->acct.email) != MG_OK)
        return;
    if (mg_pw_hash(nw, strlen(nw), phc) != MG_OK) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    struct change ch = {c->acct.id, c->sess.id, phc, 0};
    int rc = c->store->ops->run_tx(c->store, "password change", change_tx, &ch);
    sodium_memzero(phc, sizeof(phc));
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "other sessions ended: %zu", ch.ended);
    pf_audit(c, "password.changed", c->acct.id, detail);
    pf_mail(c, MG_MAIL_PASSWORD_CHANGED, c->acct.email, NULL, 0);
    pf_notify(c, c->acct.id, "security", "Your password was changed. Other sessions were signed out.");
    pf_no_content(c);
}

/* ---- sessions ------------------------------------------------------------------------ */

struct list_ctx {
    json_t *arr;
    int64_t current;
    const struct pf_call *c;
};

/* Is the session still usable (the check pf_session_check makes)? Ended ones are not shown. */
int pf_session_live(const struct pf_call *c, const struct mg_session *se)
{
    return c->now < se->expires_ms && c->now - se->last_seen_ms <= c->pf->cfg.session_idle_ms;
}

static int add_session(void *arg, const struct mg_session *se)
{
    struct list_ctx *l = arg;
    if (!pf_session_live(l->c, se))
        return MG_OK;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(se->id));
    json_object_set_new(o, "current", json_boolean(se->id == l->current));
    pf_set_time(o, "created_at", se->created_ms);
    pf_set_time(o, "last_seen_at", se->last_seen_ms);
    pf_set_time(o, "expires_at", se->expires_ms);
    json_object_set_new(o, "ip", json_string(se->ip));
    json_object_set_new(o, "user_agent", json_string(se->user_agent));
    json_array_append_new(l->arr, o);
    return MG_OK;
}

void pf_h_sessions_list(struct pf_call *c)
{
    struct list_ctx l = {json_array(), c->sess.id, c};
    int rc = c->store->ops->sessions_list(c->store, c->acct.id, add_session, &l);
    if (rc != MG_OK) {
        json_decref(l.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "sessions", l.arr);
    pf_reply(c, 200, o);
}

void pf_h_session_end(struct pf_call *c)
{
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->session_delete(c->store, c->acct.id, id) : MG_DECLINED;
    if (rc == MG_DECLINED) { /* another account's session looks exactly like none */
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such session.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    pf_audit(c, "session.revoked", c->acct.id, NULL);
    if (id == c->sess.id && c->by_cookie)
        pf_session_clear_cookie(c);
    pf_no_content(c);
}

void pf_h_sessions_end_others(struct pf_call *c)
{
    size_t n = 0;
    int rc = c->store->ops->sessions_delete_account(c->store, c->acct.id, c->sess.id, &n);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "sessions ended: %zu", n);
    pf_audit(c, "sessions.revoked_all", c->acct.id, detail);
    pf_no_content(c);
}
