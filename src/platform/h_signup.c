/*
 * h_signup.c: getting an account (AC-1): open sign-up with a verification
 * link, or the reseller's "leave your email" request that an admin approves,
 * after which a set-password link arrives.  No answer here says whether an
 * email already has an account.
 */
#include "auth/token.h"
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MINUTE_MS (60LL * 1000)
#define VERIFY_MINUTES (24 * 60)
#define SET_PASSWORD_MINUTES (72 * 60)
#define IP_MAILS_PER_HOUR 20 /* mails one IP can cause through the public endpoints */

static void accepted(struct pf_call *c, const char *status)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(status));
    pf_reply(c, 202, o);
}

int pf_ip_limit(struct pf_call *c, const char *bucket, int per_hour)
{
    int ra = 0;
    if (pf_limit_hit(c->pf->limits, bucket, c->ip, per_hour, 3600LL * 1000, c->now, &ra) == MG_OK)
        return MG_OK;
    pf_fail(c, MG_E_TOO_MANY_ATTEMPTS, NULL, NULL);
    c->retry_after = ra;
    return MG_DECLINED;
}

/* A new one-time link of kind for the account, mailed as mail.  MG_OK or the store's code. */
int pf_link_send(struct pf_call *c, enum mg_token_kind kind, int64_t account_id, const char *email,
                 enum mg_mail_kind mail, int minutes)
{
    char token[MG_TOKEN_TEXT_LEN + 1];
    uint8_t hash[32];
    mg_token_new(token, hash);
    int rc = c->store->ops->token_put(c->store, kind, hash, account_id, c->now, c->now + minutes * MINUTE_MS);
    if (rc == MG_OK)
        pf_mail(c, mail, email, token, minutes);
    sodium_memzero(token, sizeof(token));
    return rc;
}

/* Activation: the account's free credit (config), once, as it becomes active. */
static void give_free_credit(struct pf_call *c, int64_t account_id)
{
    struct mg_ledger_entry e = {.account_id = account_id, .amount_micros = c->pf->cfg.free_credit_micros,
                                .kind = "free_credit", .reference = "free credit at activation", .created_ms = c->now};
    if (e.amount_micros > 0 && pf_wallet_add(c, &e, NULL) != MG_OK)
        mg_log(MG_LOG_ERROR, "signup: could not give account %lld its free credit", (long long)account_id);
}

/* ---- open sign-up ------------------------------------------------------------------- */

/* Every path of a sign-up is one transaction with one write, so an address that has an account
 * takes the time of one that has none (§8 item 9); the mail goes out after the commit. */
struct signup {
    struct pf_call *c;
    const char *email, *phc;
    uint8_t hash[32]; /* of the verification token */
    int send;
};

static enum mg_tx signup_tx(struct mg_store *s, void *arg)
{
    struct signup *su = arg;
    struct pf_call *c = su->c;
    struct mg_account a;
    int64_t expires = c->now + VERIFY_MINUTES * MINUTE_MS;
    int rc = s->ops->account_by_email(s, su->email, &a);
    su->send = 0;
    if (rc == MG_DECLINED) {
        memset(&a, 0, sizeof(a));
        mg_strlcpy(a.email, su->email, sizeof(a.email));
        mg_strlcpy(a.password_phc, su->phc, sizeof(a.password_phc));
        mg_strlcpy(a.plan, "free", sizeof(a.plan));
        a.status = MG_ACCT_PENDING;
        a.created_ms = c->now;
        if ((rc = s->ops->account_insert(s, &a)) == MG_OK)
            rc = s->ops->token_put(s, MG_TOKEN_VERIFY, su->hash, a.id, c->now, expires);
        if (rc == MG_DECLINED) /* the address was taken meanwhile: the next run sees it */
            return MG_TX_RETRY;
        pf_audit(c, "signup", a.id, NULL);
        su->send = rc == MG_OK;
    } else if (rc == MG_OK && a.status == MG_ACCT_PENDING && a.password_phc[0]) {
        /* signed up before and never verified: a fresh link (the first password stays) */
        rc = s->ops->token_put(s, MG_TOKEN_VERIFY, su->hash, a.id, c->now, expires);
        pf_audit(c, "signup", a.id, "not verified yet: a new verification link");
        su->send = rc == MG_OK;
    } else if (rc == MG_OK) {
        pf_audit(c, "signup", a.id, "the address already has an account: nothing changed");
    }
    if (rc != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    return MG_TX_OK;
}

void pf_h_signup(struct pf_call *c)
{
    const char *email = pf_str(c, "email"), *pw = pf_str(c, "password");
    char phc[MG_PW_PHC_MAX], token[MG_TOKEN_TEXT_LEN + 1];
    if (c->pf->cfg.signup_mode != MG_SIGNUP_OPEN) {
        pf_fail(c, MG_E_SIGNUP_CLOSED, NULL, "Request access instead (POST /platform/v1/access-requests).");
        return;
    }
    if (pf_password_allowed(c, "password", pw, email) != MG_OK || pf_ip_limit(c, "signup", IP_MAILS_PER_HOUR) != MG_OK)
        return;
    /* hash first, on every path: an existing address costs the same time as a new one */
    if (mg_pw_hash(pw, strlen(pw), phc) != MG_OK) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    struct signup su = {c, email, phc, {0}, 0};
    mg_token_new(token, su.hash);
    int rc = c->store->ops->run_tx(c->store, "signup", signup_tx, &su);
    sodium_memzero(phc, sizeof(phc));
    if (rc == MG_OK && su.send)
        pf_mail(c, MG_MAIL_VERIFY, email, token, VERIFY_MINUTES);
    sodium_memzero(token, sizeof(token));
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    accepted(c, "check_your_email");
}

void pf_h_signup_verify(struct pf_call *c)
{
    const char *t = pf_str(c, "token");
    uint8_t hash[32];
    int64_t id = 0;
    int rc = mg_token_parse(t, strlen(t), NULL, hash) == MG_OK
                 ? c->store->ops->token_consume(c->store, MG_TOKEN_VERIFY, hash, c->now, &id)
                 : MG_DECLINED;
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_TOKEN_INVALID, "token", NULL);
        return;
    }
    if (rc != MG_OK || (rc = c->store->ops->account_set_status(c->store, id, MG_ACCT_ACTIVE)) != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    give_free_credit(c, id);
    pf_audit(c, "signup.verified", id, NULL);
    pf_notify(c, id, "welcome", "Welcome to maxgate. Your email address is verified.");
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("verified"));
    pf_reply(c, 200, o);
}

/* ---- "leave your email" ------------------------------------------------------------ */

void pf_h_access_request(struct pf_call *c)
{
    const char *email = pf_str(c, "email");
    struct mg_account a;
    struct mg_request r;
    if (c->pf->cfg.signup_mode != MG_SIGNUP_REQUEST) {
        pf_fail(c, MG_E_SIGNUP_CLOSED, NULL, "Sign up instead (POST /platform/v1/signup).");
        return;
    }
    if (pf_ip_limit(c, "access", IP_MAILS_PER_HOUR) != MG_OK)
        return;
    int rc = c->store->ops->account_by_email(c->store, email, &a);
    if (rc == MG_DECLINED) {
        memset(&r, 0, sizeof(r));
        r.kind = MG_REQ_ACCESS;
        mg_strlcpy(r.email, email, sizeof(r.email));
        mg_strlcpy(r.text, pf_str(c, "note"), sizeof(r.text));
        r.created_ms = c->now;
        rc = c->store->ops->request_insert(c->store, &r);
        if (rc == MG_OK) {
            pf_audit(c, "access.requested", 0, email);
            pf_mail(c, MG_MAIL_ACCESS_RECEIVED, email, NULL, 0);
        }
    }
    if (rc != MG_OK && rc != MG_DECLINED) {
        pf_store_failed(c, rc);
        return;
    }
    accepted(c, "received");
}

/* ---- set a password from a link (set-password and reset share this) ---------------- */

struct set_pw {
    enum mg_token_kind kind;
    const uint8_t *hash;
    const char *pw;
    const char *phc;
    struct pf_call *c;
    int64_t account_id;
    enum mg_pw_rule rule;
    char email[256];
    size_t ended;
};

/* In one transaction: consume the token, check the email rule, set the
 * password, end every session and every other link.  A policy failure rolls
 * back, so the link still works for a better password. */
static enum mg_tx set_pw_tx(struct mg_store *s, void *arg)
{
    struct set_pw *sp = arg;
    struct mg_account a;
    int rc = s->ops->token_consume(s, sp->kind, sp->hash, sp->c->now, &sp->account_id);
    if (rc == MG_DECLINED)
        return MG_TX_NO;
    if (rc != MG_OK || (rc = s->ops->account_get(s, sp->account_id, &a)) != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    sp->rule = mg_pw_check(sp->c->pf->pw_lists, sp->c->pf->cfg.password_policy, sp->pw, strlen(sp->pw), a.email);
    if (sp->rule != MG_PW_OK)
        return MG_TX_NO;
    mg_strlcpy(sp->email, a.email, sizeof(sp->email));
    if (s->ops->account_set_password(s, a.id, sp->phc) != MG_OK || s->ops->tokens_invalidate(s, a.id, 0) != MG_OK ||
        s->ops->sessions_delete_account(s, a.id, 0, &sp->ended) != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    return MG_TX_OK;
}

/* MG_OK with sp filled, or MG_DECLINED with the call's error set. */
int pf_set_password_from_link(struct pf_call *c, enum mg_token_kind kind, struct set_pw *sp);

int pf_set_password_from_link(struct pf_call *c, enum mg_token_kind kind, struct set_pw *sp)
{
    const char *t = pf_str(c, "token"), *pw = pf_str(c, "new_password");
    uint8_t hash[32];
    char phc[MG_PW_PHC_MAX];
    memset(sp, 0, sizeof(*sp));
    if (pf_ip_limit(c, "link", 60) != MG_OK) /* guessing 256-bit tokens is hopeless; this keeps it quiet */
        return MG_DECLINED;
    if (mg_token_parse(t, strlen(t), NULL, hash) != MG_OK) {
        pf_fail(c, MG_E_TOKEN_INVALID, "token", NULL);
        return MG_DECLINED;
    }
    if (pf_password_allowed(c, "new_password", pw, NULL) != MG_OK)
        return MG_DECLINED;
    if (mg_pw_hash(pw, strlen(pw), phc) != MG_OK) { /* outside the transaction: it takes tens of ms */
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return MG_DECLINED;
    }
    sp->kind = kind;
    sp->hash = hash;
    sp->pw = pw;
    sp->phc = phc;
    sp->c = c;
    int rc = c->store->ops->run_tx(c->store, "password from link", set_pw_tx, sp);
    sodium_memzero(phc, sizeof(phc));
    sp->phc = NULL;
    sp->hash = NULL;
    if (rc == MG_DECLINED && sp->rule != MG_PW_OK) {
        pf_fail(c, MG_E_PASSWORD_POLICY, "new_password", mg_pw_rule_message(sp->rule));
        return MG_DECLINED;
    }
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_TOKEN_INVALID, "token", NULL);
        return MG_DECLINED;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return MG_DECLINED;
    }
    return MG_OK;
}

/* POST /password/set: the link of an approved access request. */
void pf_h_password_set(struct pf_call *c)
{
    struct set_pw sp;
    if (pf_set_password_from_link(c, MG_TOKEN_SET_PASSWORD, &sp) != MG_OK)
        return;
    give_free_credit(c, sp.account_id);
    pf_audit(c, "password.reset", sp.account_id, "first password set from the access link");
    pf_notify(c, sp.account_id, "welcome", "Welcome to maxgate. Your password is set.");
    pf_no_content(c);
}

/* POST /password/reset: the forgot-password link (AC-6): ends every session, does not sign in. */
void pf_h_password_reset(struct pf_call *c)
{
    struct set_pw sp;
    if (pf_set_password_from_link(c, MG_TOKEN_RESET, &sp) != MG_OK)
        return;
    /* a reset also clears a lock: the owner proved control of the mailbox (§8 item 10) */
    c->store->ops->account_unlock(c->store, sp.account_id);
    char detail[64];
    snprintf(detail, sizeof(detail), "sessions ended: %zu", sp.ended);
    pf_audit(c, "password.reset", sp.account_id, detail);
    pf_mail(c, MG_MAIL_RESET_DONE, sp.email, NULL, 0);
    pf_notify(c, sp.account_id, "security", "Your password was reset. Every session was signed out.");
    pf_no_content(c);
}

/* POST /password/forgot: 202 whatever the address; a link only for an active account.  As for
 * sign-up, every path is one transaction with one write. */
struct forgot {
    struct pf_call *c;
    const char *email;
    uint8_t hash[32];
    int send;
};

static enum mg_tx forgot_tx(struct mg_store *s, void *arg)
{
    struct forgot *f = arg;
    struct pf_call *c = f->c;
    struct mg_account a;
    int ra, rc = s->ops->account_by_email(s, f->email, &a);
    f->send = 0;
    if (rc == MG_OK && a.status == MG_ACCT_ACTIVE && !a.suspended &&
        pf_limit_hit(c->pf->limits, "forgot-account", a.email, 5, 3600LL * 1000, c->now, &ra) == MG_OK) {
        if ((rc = s->ops->token_put(s, MG_TOKEN_RESET, f->hash, a.id, c->now, c->now + 15 * MINUTE_MS)) == MG_OK)
            f->send = 1;
        pf_audit(c, "password.reset_requested", a.id, NULL);
    } else if (rc == MG_OK || rc == MG_DECLINED) {
        pf_audit(c, "password.reset_requested", rc == MG_OK ? a.id : 0, "no link sent");
        rc = MG_OK;
    }
    if (rc != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    return MG_TX_OK;
}

void pf_h_password_forgot(struct pf_call *c)
{
    char token[MG_TOKEN_TEXT_LEN + 1];
    struct forgot f = {c, pf_str(c, "email"), {0}, 0};
    if (pf_ip_limit(c, "forgot", IP_MAILS_PER_HOUR) != MG_OK)
        return;
    mg_token_new(token, f.hash);
    int rc = c->store->ops->run_tx(c->store, "forgot password", forgot_tx, &f);
    if (rc == MG_OK && f.send)
        pf_mail(c, MG_MAIL_RESET, f.email, token, 15);
    sodium_memzero(token, sizeof(token));
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    accepted(c, "check_your_email");
}
