/*
 * session.c: platform sessions (AC-4, SECURITY-REFERENCES §8 items 25-28).
 *
 * A session token is "mgs_" + 32 random bytes (base64url); the database keeps
 * only its SHA-256, so a dump holds no usable session.  The console carries it
 * in an HttpOnly cookie, the CLI as a Bearer token; each request checks it in
 * the database (so an ended session ends on every node at once), slides the
 * 24 h idle window and enforces the absolute lifetime.  A cookie-authenticated
 * change must carry X-CSRF-Token: an HMAC of the session's hash under a key
 * derived from the server secret, so it needs no storage of its own.
 *
 * A step-up by cookie (§8 item 26) issues a new token (pf_session_rotate):
 * the fresh check belongs to the new session only, so a token someone else
 * planted or read before it gains nothing.  The old one keeps its rights
 * without the step-up for ROTATE_GRACE_MS, so the page's requests already on
 * their way still land, and then ends.  A Bearer client got its token from
 * its own login, so nobody could have planted it: its step-up is recorded on
 * that session.
 */
#include "auth/token.h"
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SESSION_PREFIX "mgs_"
#define ROTATE_GRACE_MS 60000 /* the replaced session's rest: requests sent before the new cookie came */

static int is_write(const struct pf_call *c)
{
    return strcmp(c->route->method, "GET") != 0 && strcmp(c->route->method, "HEAD") != 0;
}

static const char *cookie_name(const struct pf_call *c)
{
    return c->pf->cfg.secure_cookies ? "__Host-mg_session" : "mg_session";
}

void pf_session_csrf(const struct pf_call *c, char *out)
{
    mg_token_csrf(c->pf->csrf_key, c->sess.token_hash, out);
}

/* The session is gone or over: 401 session_expired.  The cookie is left alone: its token opens
 * nothing, the next sign-in replaces it, and clearing it here would make a page's other requests,
 * already on their way, arrive without it and read as "never signed in" (session_required). */
static int ended(struct pf_call *c)
{
    pf_fail(c, MG_E_SESSION_EXPIRED, NULL, NULL);
    return MG_DECLINED;
}

int pf_step_up(struct pf_call *c)
{
    if (c->sess.reauth_ms != 0 && c->now - c->sess.reauth_ms <= c->pf->cfg.reauth_ms)
        return MG_OK;
    pf_fail(c, MG_E_REAUTH_REQUIRED, NULL, NULL);
    return MG_DECLINED;
}

int pf_session_check(struct pf_call *c)
{
    const char *text = c->bearer[0] ? c->bearer : c->cookie;
    uint8_t hash[32];
    int rc;

    c->by_cookie = c->bearer[0] == '\0' && c->cookie[0] != '\0';
    if (text[0] == '\0') {
        pf_fail(c, MG_E_SESSION_REQUIRED, NULL, NULL);
        return MG_DECLINED;
    }
    if (strncmp(text, "mgk_", 4) == 0) {
        pf_fail(c, MG_E_SESSION_REQUIRED, NULL, "This is an API key: it calls the model APIs, not this one.");
        return MG_DECLINED;
    }
    /* a token of the wrong shape is answered like an unknown one, without a query */
    if (mg_token_parse(text, strlen(text), SESSION_PREFIX, hash) != MG_OK ||
        (rc = c->store->ops->session_by_hash(c->store, hash, &c->sess)) == MG_DECLINED)
        return ended(c);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return MG_DECLINED;
    }
    if (!pf_session_live(c, &c->sess) ||
        (rc = c->store->ops->account_get(c->store, c->sess.account_id, &c->acct)) == MG_DECLINED) {
        c->store->ops->session_delete(c->store, c->sess.account_id, c->sess.id);
        return ended(c);
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return MG_DECLINED;
    }
    if (c->acct.suspended) {
        pf_fail(c, MG_E_ACCOUNT_SUSPENDED, NULL, NULL);
        return MG_DECLINED;
    }
    if (c->route->auth == PF_ADMIN && !c->acct.is_admin) {
        pf_fail(c, MG_E_FORBIDDEN, NULL, NULL);
        return MG_DECLINED;
    }
    if (c->by_cookie && is_write(c) &&
        mg_token_csrf_check(c->pf->csrf_key, c->sess.token_hash, c->csrf, strlen(c->csrf)) != MG_OK) {
        pf_fail(c, MG_E_CSRF, NULL, NULL);
        return MG_DECLINED;
    }
    if ((c->route->flags & PF_STEP_UP) && pf_step_up(c) != MG_OK)
        return MG_DECLINED;
    if (c->store->ops->session_touch(c->store, c->sess.id, c->now) == MG_OK)
        c->sess.last_seen_ms = c->now;
    c->authed = 1;
    return MG_OK;
}

/* A new session row like se (its times set by the caller) with a new token: c's session from now on, its
 * cookie set.  token receives the token.  MG_OK or MG_ERR. */
static int issue(struct pf_call *c, struct mg_session *se, char token[MG_TOKEN_TEXT_LEN + 8])
{
    const struct mg_platform_config *cfg = &c->pf->cfg;
    mg_token_new_prefixed(SESSION_PREFIX, token, MG_TOKEN_TEXT_LEN + 8, se->token_hash);
    mg_strlcpy(se->ip, c->ip, sizeof(se->ip));
    mg_strlcpy(se->user_agent, c->user_agent, sizeof(se->user_agent));
    if (c->store->ops->session_insert(c->store, se) != MG_OK) {
        sodium_memzero(token, MG_TOKEN_TEXT_LEN + 8);
        return MG_ERR;
    }
    c->sess = *se;
    c->authed = 1;
    snprintf(c->set_cookie, sizeof(c->set_cookie), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
             cookie_name(c), token, (long long)((se->expires_ms - c->now + 999) / 1000),
             cfg->secure_cookies ? "; Secure" : "");
    return MG_OK;
}

int pf_session_rotate(struct pf_call *c)
{
    char token[MG_TOKEN_TEXT_LEN + 8];
    struct mg_session se = c->sess, old = c->sess;
    se.id = 0;
    se.last_seen_ms = se.reauth_ms = c->now;
    if (issue(c, &se, token) != MG_OK)
        return MG_ERR;
    sodium_memzero(token, sizeof(token));
    pf_session_csrf(c, c->csrf_out);
    /* the old token keeps only what it had, and only for a moment */
    if (c->store->ops->session_end_by(c->store, old.id, c->now + ROTATE_GRACE_MS) == MG_ERR)
        mg_log(MG_LOG_WARN, "sessions: the replaced session %lld of account %lld ends at its own time",
               (long long)old.id, (long long)old.account_id);
    return MG_OK;
}

int pf_session_start(struct pf_call *c, const struct mg_account *acct, json_t *obj)
{
    const struct mg_platform_config *cfg = &c->pf->cfg;
    char token[MG_TOKEN_TEXT_LEN + 8], csrf[MG_TOKEN_TEXT_LEN + 1];
    struct mg_session se;

    memset(&se, 0, sizeof(se));
    se.account_id = acct->id;
    se.created_ms = se.last_seen_ms = se.reauth_ms = c->now; /* signing in is a fresh password check */
    se.expires_ms = c->now + cfg->session_max_ms;
    if (issue(c, &se, token) != MG_OK)
        return MG_ERR;
    c->acct = *acct;
    pf_session_csrf(c, csrf);
    json_t *s = json_object();
    json_object_set_new(s, "token", json_string(token));
    pf_set_time(s, "expires_at", se.expires_ms);
    pf_set_time(s, "idle_expires_at", c->now + cfg->session_idle_ms);
    json_object_set_new(s, "csrf_token", json_string(csrf));
    json_object_set_new(obj, "session", s);
    sodium_memzero(token, sizeof(token));
    return MG_OK;
}

void pf_session_clear_cookie(struct pf_call *c)
{
    snprintf(c->set_cookie, sizeof(c->set_cookie), "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s", cookie_name(c),
             c->pf->cfg.secure_cookies ? "; Secure" : "");
}
