/*
 * h_me.c: the platform's public configuration, the signed-in account, logout,
 * and the test-only clock.
 */
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <string.h>

json_t *pf_account_json(const struct mg_account *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "email", json_string(a->email));
    json_object_set_new(o, "plan", json_string(a->plan[0] ? a->plan : "free"));
    json_object_set_new(o, "role", json_string(a->is_admin ? "admin" : "user"));
    json_object_set_new(o, "status", json_string(a->suspended                 ? "suspended"
                                                 : a->status == MG_ACCT_PENDING ? "pending"
                                                                                : "active"));
    json_object_set_new(o, "credit_micros", json_integer(a->credit_micros));
    json_object_set_new(o, "billing_mode", json_string(a->invoice_billing ? "invoice" : "prepaid"));
    json_object_set_new(o, "wallet_only", json_boolean(a->wallet_only));
    json_object_set_new(o, "currency", json_string("USD"));
    pf_set_time(o, "created_at", a->created_ms);
    pf_set_time(o, "last_login_at", a->last_login_ms);
    return o;
}

void pf_h_config(struct pf_call *c)
{
    const struct mg_platform_config *cfg = &c->pf->cfg;
    json_t *o = json_object();
    json_object_set_new(o, "signup_mode", json_string(cfg->signup_mode == MG_SIGNUP_OPEN ? "open" : "request"));
    json_object_set_new(o, "product", json_string("maxgate"));
    json_object_set_new(o, "public_base_url", json_string(cfg->public_base_url));
    json_object_set_new(o, "password_policy",
                        json_string(cfg->password_policy == MG_PW_NIST ? "nist" : "default"));
    json_object_set_new(o, "password_min", json_integer(MG_PW_MIN_LEN));
    json_object_set_new(o, "password_max", json_integer(MG_PW_MAX_LEN));
    pf_reply(c, 200, o);
}

void pf_h_me(struct pf_call *c)
{
    char csrf[MG_TOKEN_TEXT_LEN + 1];
    json_t *o = pf_account_json(&c->acct);
    json_object_set_new(o, "mfa", pf_mfa_json(c, c->acct.id));
    pf_session_csrf(c, csrf);
    json_object_set_new(o, "csrf_token", json_string(csrf));
    json_t *s = json_object();
    json_object_set_new(s, "id", json_integer(c->sess.id));
    pf_set_time(s, "expires_at", c->sess.expires_ms);
    pf_set_time(s, "idle_expires_at", c->sess.last_seen_ms + c->pf->cfg.session_idle_ms);
    json_object_set_new(o, "session", s);
    pf_reply(c, 200, o);
}

void pf_h_logout(struct pf_call *c)
{
    int rc = c->store->ops->session_delete(c->store, c->acct.id, c->sess.id);
    if (rc != MG_OK && rc != MG_DECLINED) {
        pf_store_failed(c, rc);
        return;
    }
    pf_audit(c, "logout", c->acct.id, NULL);
    if (c->by_cookie)
        pf_session_clear_cookie(c);
    pf_no_content(c);
}

void pf_h_test_clock(struct pf_call *c)
{
    if (!c->pf->cfg.test_clock) { /* the row exists only for tests */
        pf_fail(c, MG_E_PATH_UNKNOWN, NULL, NULL);
        return;
    }
    if (pf_has(c, "freeze")) /* a fixed clock makes "N requests in the window" exact on a slow machine */
        mg_clock_set(json_is_true(json_object_get(c->body, "freeze")) ? mg_now_ms() : 0);
    mg_clock_advance(pf_int(c, "advance_ms", 0));
    mg_log(MG_LOG_WARN, "test clock moved forward by %lld ms%s", (long long)pf_int(c, "advance_ms", 0),
           pf_has(c, "freeze") ? " and fixed or released" : "");
    pf_no_content(c);
}
