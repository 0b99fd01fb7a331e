/*
 * h_mfa_enrol.c: adding and removing second factors on the Security page
 * (PLATFORM-API.md "Second factors").  Every change here needs a fresh check
 * (step-up), is audit-logged and mailed.  Recovery codes are made when the
 * account gets its first factor and shown once; only their hashes are kept.
 */
#include "auth/base32.h"
#include "auth/qrsvg.h"
#include "auth/recovery.h"
#include "auth/totp.h"
#include "auth/webauthn.h"
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define CHALLENGE_MS (5 * 60 * 1000)

const int pf_webauthn_algs[3] = {-7, -8, -257}; /* ES256, EdDSA, RS256 */

/* A security-relevant change: audit, mail, in-app notice. */
static void changed(struct pf_call *c, const char *event, const char *text)
{
    pf_audit(c, event, c->acct.id, NULL);
    pf_mail(c, MG_MAIL_MFA_CHANGED, c->acct.email, NULL, 0);
    pf_notify(c, c->acct.id, "security", text);
}

/* A fresh set of recovery codes into obj["recovery_codes"] (the old set stops working). */
static int new_codes(struct pf_call *c, json_t *obj)
{
    uint8_t hashes[MG_RECOVERY_CODES][32];
    char code[MG_RECOVERY_CODE_TEXT + 1];
    json_t *arr = json_array();
    for (int i = 0; i < MG_RECOVERY_CODES; i++) {
        mg_recovery_code_new(code, hashes[i]);
        json_array_append_new(arr, json_string(code));
    }
    sodium_memzero(code, sizeof(code));
    int rc = c->store->ops->recovery_set(c->store, c->acct.id, (const uint8_t(*)[32])hashes, MG_RECOVERY_CODES, c->now);
    if (rc != MG_OK) {
        json_decref(arr);
        return rc;
    }
    json_object_set_new(obj, "recovery_codes", arr);
    return MG_OK;
}

static int codes_left(struct pf_call *c)
{
    int left = 0;
    c->store->ops->recovery_left(c->store, c->acct.id, &left);
    return left;
}

/* ---- the authenticator app ----------------------------------------------------------------- */

void pf_h_totp_start(struct pf_call *c)
{
    struct mg_totp_record t;
    uint8_t secret[MG_TOTP_SECRET_LEN], sealed[128];
    char b32[64], uri[512];
    if (c->store->ops->totp_get(c->store, c->acct.id, &t) == MG_OK && t.confirmed) {
        pf_fail(c, MG_E_CONFLICT, NULL, "An authenticator app is set up already: remove it first to set up another.");
        return;
    }
    mg_totp_secret_new(secret);
    size_t n = mg_totp_seal(c->pf->totp_key, c->acct.id, secret, sealed, sizeof(sealed));
    int rc = n ? c->store->ops->totp_put_pending(c->store, c->acct.id, sealed, n, c->now) : MG_ERR;
    if (rc != MG_OK) {
        sodium_memzero(secret, sizeof(secret));
        pf_fail(c, rc == MG_DECLINED ? MG_E_CONFLICT : MG_E_INTERNAL, NULL, NULL);
        return;
    }
    mg_base32_encode(secret, sizeof(secret), b32, sizeof(b32));
    mg_totp_uri("maxgate", c->acct.email, secret, sizeof(secret), uri, sizeof(uri));
    sodium_memzero(secret, sizeof(secret));
    char *svg = mg_qr_svg(uri);
    json_t *o = json_object();
    json_object_set_new(o, "secret_base32", json_string(b32));
    json_object_set_new(o, "otpauth_uri", json_string(uri));
    json_object_set_new(o, "qr_svg", svg ? json_string(svg) : json_null());
    free(svg);
    sodium_memzero(b32, sizeof(b32));
    sodium_memzero(uri, sizeof(uri));
    pf_reply(c, 200, o);
}

void pf_h_totp_confirm(struct pf_call *c)
{
    struct mg_totp_record t;
    uint8_t secret[MG_TOTP_SECRET_LEN];
    int64_t step = 0;
    const char *code = pf_str(c, "code");
    if (c->store->ops->totp_get(c->store, c->acct.id, &t) != MG_OK || t.confirmed) {
        pf_fail(c, MG_E_CONFLICT, NULL, "Start the set-up first (POST /platform/v1/me/mfa/totp).");
        return;
    }
    int ok = mg_totp_open(c->pf->totp_key, c->acct.id, t.sealed, t.sealed_len, secret) == MG_OK &&
             mg_totp_verify(secret, sizeof(secret), code, strlen(code), c->now, -1, &step) == MG_OK;
    sodium_memzero(secret, sizeof(secret));
    if (!ok) { /* enrolment completes only on a first valid code */
        pf_fail(c, MG_E_MFA_FAILED, "code", "Enter the 6-digit code your app shows now.");
        return;
    }
    if (c->store->ops->totp_confirm(c->store, c->acct.id, step) != MG_OK) {
        pf_fail(c, MG_E_CONFLICT, NULL, NULL);
        return;
    }
    json_t *o = json_object();
    if (codes_left(c) == 0 && new_codes(c, o) != MG_OK) {
        json_decref(o);
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    if (json_object_get(o, "recovery_codes") == NULL)
        json_object_set_new(o, "recovery_codes", json_array());
    changed(c, "mfa.totp_enabled", "An authenticator app was set up for two-step verification.");
    pf_reply(c, 200, o);
}

/* Does the account have a second factor (an authenticator app or a security key)? */
static int has_factor(struct pf_call *c)
{
    json_t *mfa = pf_mfa_json(c, c->acct.id);
    int enabled = json_is_true(json_object_get(mfa, "enabled"));
    json_decref(mfa);
    return enabled;
}

/* After a factor goes: with none left, the recovery codes go too (they are a way around a factor). */
static void after_removal(struct pf_call *c)
{
    if (!has_factor(c))
        c->store->ops->recovery_set(c->store, c->acct.id, NULL, 0, c->now);
}

void pf_h_totp_delete(struct pf_call *c)
{
    int rc = c->store->ops->totp_delete(c->store, c->acct.id);
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No authenticator app is set up.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    after_removal(c);
    changed(c, "mfa.totp_removed", "The authenticator app was removed from two-step verification.");
    pf_no_content(c);
}

void pf_h_recovery_regenerate(struct pf_call *c)
{
    if (!has_factor(c)) {
        pf_fail(c, MG_E_CONFLICT, NULL, "Set up an authenticator app or a security key first.");
        return;
    }
    json_t *o = json_object();
    if (new_codes(c, o) != MG_OK) {
        json_decref(o);
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    changed(c, "mfa.recovery_regenerated", "New recovery codes were made; the old ones stopped working.");
    pf_reply(c, 200, o);
}

/* ---- security keys ---------------------------------------------------------------------------- */

void pf_h_webauthn_register_options(struct pf_call *c)
{
    uint8_t challenge[32], uid[8];
    mg_random(challenge, sizeof(challenge));
    if (c->store->ops->challenge_put(c->store, MG_CHALLENGE_REGISTER, c->sess.id, challenge, c->now,
                                     c->now + CHALLENGE_MS) != MG_OK) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    for (int i = 0; i < 8; i++) /* the user handle: the account id, no personal data */
        uid[i] = (uint8_t)((uint64_t)c->acct.id >> (56 - 8 * i));
    json_t *pk = json_object(), *rp = json_object(), *user = json_object(), *params = json_array(),
           *sel = json_object();
    json_object_set_new(pk, "challenge", pf_b64url(challenge, sizeof(challenge)));
    json_object_set_new(rp, "id", json_string(c->pf->cfg.webauthn_rp_id));
    json_object_set_new(rp, "name", json_string("maxgate"));
    json_object_set_new(pk, "rp", rp);
    json_object_set_new(user, "id", pf_b64url(uid, sizeof(uid)));
    json_object_set_new(user, "name", json_string(c->acct.email));
    json_object_set_new(user, "displayName", json_string(c->acct.email));
    json_object_set_new(pk, "user", user);
    for (size_t i = 0; i < MG_ARRAY_SIZE(pf_webauthn_algs); i++) {
        json_t *p = json_object();
        json_object_set_new(p, "type", json_string("public-key"));
        json_object_set_new(p, "alg", json_integer(pf_webauthn_algs[i]));
        json_array_append_new(params, p);
    }
    json_object_set_new(pk, "pubKeyCredParams", params);
    json_object_set_new(pk, "excludeCredentials", pf_webauthn_descriptors(c, c->acct.id));
    json_object_set_new(sel, "userVerification", json_string(c->pf->cfg.webauthn_require_uv ? "required" : "preferred"));
    json_object_set_new(sel, "residentKey", json_string("discouraged"));
    json_object_set_new(pk, "authenticatorSelection", sel);
    json_object_set_new(pk, "attestation", json_string("none"));
    json_object_set_new(pk, "timeout", json_integer(CHALLENGE_MS));
    json_t *o = json_object();
    json_object_set_new(o, "publicKey", pk);
    pf_reply(c, 200, o);
}

void pf_h_webauthn_register(struct pf_call *c)
{
    uint8_t challenge[32];
    struct mg_webauthn_cred wc;
    struct mg_webauthn_rp rp = {c->pf->cfg.webauthn_rp_id, c->pf->cfg.webauthn_origin, c->pf->cfg.webauthn_require_uv};
    char *text = json_dumps(json_object_get(c->body, "credential"), JSON_COMPACT);
    if (c->store->ops->challenge_take(c->store, MG_CHALLENGE_REGISTER, c->sess.id, c->now, challenge) != MG_OK) {
        free(text);
        pf_fail(c, MG_E_WEBAUTHN_INVALID, "credential", "The registration took too long or was started elsewhere: "
                                                        "add the key again.");
        return;
    }
    enum mg_webauthn_fail f = mg_webauthn_register(&rp, challenge, pf_webauthn_algs, MG_ARRAY_SIZE(pf_webauthn_algs), text, strlen(text), &wc);
    free(text);
    if (f != MG_WA_OK) {
        char detail[96];
        snprintf(detail, sizeof(detail), "Check failed: %s.", mg_webauthn_fail_name(f));
        pf_fail(c, MG_E_WEBAUTHN_INVALID, "credential", detail);
        return;
    }
    struct mg_webauthn_record r;
    memset(&r, 0, sizeof(r));
    r.account_id = c->acct.id;
    memcpy(r.cred_id, wc.id, wc.id_len);
    r.cred_id_len = wc.id_len;
    mg_strlcpy(r.name, pf_str(c, "name"), sizeof(r.name));
    r.alg = wc.alg;
    memcpy(r.pubkey, wc.pubkey, wc.pubkey_len);
    r.pubkey_len = wc.pubkey_len;
    r.sign_count = wc.sign_count;
    r.be = wc.be;
    r.bs = wc.bs;
    r.created_ms = c->now;
    int rc = c->store->ops->webauthn_add(c->store, &r);
    if (rc == MG_DECLINED) { /* §8 item 21: a credential bound to any account, or the per-account ceiling */
        pf_fail(c, MG_E_CONFLICT, "credential", "This security key is registered already, or the account has 20.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r.id));
    json_object_set_new(o, "name", json_string(r.name));
    pf_set_time(o, "created_at", r.created_ms);
    if (codes_left(c) == 0 && new_codes(c, o) != MG_OK)
        mg_log(MG_LOG_ERROR, "mfa: no recovery codes made for account %lld", (long long)c->acct.id);
    changed(c, "mfa.webauthn_added", "A security key was added for two-step verification.");
    pf_reply(c, 201, o);
}

static int list_key(void *arg, const struct mg_webauthn_record *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "name", json_string(r->name));
    pf_set_time(o, "created_at", r->created_ms);
    pf_set_time(o, "last_used_at", r->last_used_ms);
    json_array_append_new(arg, o);
    return MG_OK;
}

void pf_h_webauthn_list(struct pf_call *c)
{
    json_t *arr = json_array();
    int rc = c->store->ops->webauthn_list(c->store, c->acct.id, list_key, arr);
    if (rc != MG_OK) {
        json_decref(arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "keys", arr);
    pf_reply(c, 200, o);
}

void pf_h_webauthn_delete(struct pf_call *c)
{
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->webauthn_delete(c->store, c->acct.id, id) : MG_DECLINED;
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such security key.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    after_removal(c);
    changed(c, "mfa.webauthn_removed", "A security key was removed from two-step verification.");
    pf_no_content(c);
}
