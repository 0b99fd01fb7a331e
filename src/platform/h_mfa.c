/*
 * h_mfa.c: second factors (AC-7, AC-8; SECURITY-REFERENCES §8 items 11-24):
 * the authenticator app (TOTP), recovery codes, security keys (WebAuthn), and
 * the login's second step.
 *
 * Replays are refused by the store, atomically: a TOTP step is accepted only
 * if it is above the last one used (totp_use_step), a recovery code and a
 * WebAuthn challenge are used by one conditional write each, and the second
 * step's mfa_token by one delete; so two concurrent submissions of one code
 * give exactly one success.
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

#define MFA_TOKEN_PREFIX "mfl_"
#define MFA_LOGIN_MS (5 * 60 * 1000)
#define CHALLENGE_MS (5 * 60 * 1000)

static void rp_of(const struct pf_call *c, struct mg_webauthn_rp *rp)
{
    rp->rp_id = c->pf->cfg.webauthn_rp_id;
    rp->origin = c->pf->cfg.webauthn_origin;
    rp->require_uv = c->pf->cfg.webauthn_require_uv;
}

/* ---- what the account has --------------------------------------------------------- */

struct factors {
    int totp;        /* a confirmed authenticator */
    int keys;        /* security keys */
    int codes_left;  /* unused recovery codes */
};

static int count_key(void *arg, const struct mg_webauthn_record *r)
{
    (*(int *)arg)++;
    return MG_OK;
}

static void factors_of(struct pf_call *c, int64_t account_id, struct factors *f)
{
    struct mg_totp_record t;
    memset(f, 0, sizeof(*f));
    f->totp = c->store->ops->totp_get(c->store, account_id, &t) == MG_OK && t.confirmed;
    c->store->ops->webauthn_list(c->store, account_id, count_key, &f->keys);
    c->store->ops->recovery_left(c->store, account_id, &f->codes_left);
    sodium_memzero(&t, sizeof(t));
}

json_t *pf_mfa_json(struct pf_call *c, int64_t account_id)
{
    struct factors f;
    factors_of(c, account_id, &f);
    json_t *o = json_object(), *m = json_array();
    if (f.totp)
        json_array_append_new(m, json_string("totp"));
    if (f.keys)
        json_array_append_new(m, json_string("webauthn"));
    json_object_set_new(o, "enabled", json_boolean(f.totp || f.keys));
    json_object_set_new(o, "methods", m);
    json_object_set_new(o, "recovery_codes_left", json_integer(f.codes_left));
    json_object_set_new(o, "security_keys", json_integer(f.keys));
    return o;
}

/* ---- checking one factor ------------------------------------------------------------ */

enum factor_rc { FA_OK, FA_WRONG, FA_ERROR };

static enum factor_rc check_totp(struct pf_call *c, int64_t account_id, const char *code)
{
    struct mg_totp_record t;
    uint8_t secret[MG_TOTP_SECRET_LEN];
    int64_t step = 0;
    if (c->store->ops->totp_get(c->store, account_id, &t) != MG_OK || !t.confirmed)
        return FA_WRONG;
    if (mg_totp_open(c->pf->totp_key, account_id, t.sealed, t.sealed_len, secret) != MG_OK) {
        mg_log(MG_LOG_ERROR, "mfa: the authenticator secret of account %lld cannot be opened with this secrets file",
               (long long)account_id);
        return FA_ERROR;
    }
    int ok = mg_totp_verify(secret, sizeof(secret), code, strlen(code), c->now, t.last_step, &step) == MG_OK &&
             c->store->ops->totp_use_step(c->store, account_id, step) == MG_OK; /* once per step, also when racing */
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(&t, sizeof(t));
    return ok ? FA_OK : FA_WRONG;
}

static enum factor_rc check_recovery(struct pf_call *c, const struct mg_account *a, const char *code)
{
    uint8_t hash[32];
    if (mg_recovery_code_hash(code, strlen(code), hash) != MG_OK ||
        c->store->ops->recovery_use(c->store, a->id, hash, c->now) != MG_OK)
        return FA_WRONG;
    pf_audit(c, "mfa.recovery_used", a->id, NULL);
    pf_mail(c, MG_MAIL_RECOVERY_CODE_USED, a->email, NULL, 0);
    pf_notify(c, a->id, "security", "A recovery code was used to sign in. Each code works once.");
    return FA_OK;
}

/* An assertion against the account's key named in it, with the challenge of (kind, owner). */
static enum factor_rc check_webauthn(struct pf_call *c, int64_t account_id, enum mg_challenge_kind kind, int64_t owner,
                                     json_t *cred)
{
    uint8_t challenge[32], id[1023];
    size_t idlen = 0;
    struct mg_webauthn_record r;
    struct mg_webauthn_rp rp;
    char *text = cred ? json_dumps(cred, JSON_COMPACT) : NULL;
    enum factor_rc rc = FA_WRONG;
    if (text == NULL || c->store->ops->challenge_take(c->store, kind, owner, c->now, challenge) != MG_OK ||
        mg_webauthn_assertion_id(text, strlen(text), id, sizeof(id), &idlen) != MG_OK ||
        c->store->ops->webauthn_by_cred_id(c->store, id, idlen, &r) != MG_OK || r.account_id != account_id)
        goto out;
    struct mg_webauthn_cred wc;
    memset(&wc, 0, sizeof(wc));
    memcpy(wc.id, r.cred_id, r.cred_id_len);
    wc.id_len = r.cred_id_len;
    wc.alg = r.alg;
    memcpy(wc.pubkey, r.pubkey, r.pubkey_len);
    wc.pubkey_len = r.pubkey_len;
    wc.sign_count = r.sign_count;
    wc.be = r.be;
    wc.bs = r.bs;
    rp_of(c, &rp);
    enum mg_webauthn_fail f = mg_webauthn_assert(&rp, challenge, &wc, text, strlen(text));
    if (f == MG_WA_OK) {
        c->store->ops->webauthn_update_use(c->store, r.id, wc.sign_count, wc.bs, c->now);
        rc = FA_OK;
    } else {
        char detail[96];
        snprintf(detail, sizeof(detail), "security key %lld: %s", (long long)r.id, mg_webauthn_fail_name(f));
        pf_audit(c, f == MG_WA_SIGN_COUNT ? "mfa.sign_count_regressed" : "login.mfa_failure", account_id, detail);
    }
out:
    free(text);
    return rc;
}

/* The body field a factor came in (for the error's field); NULL when none was sent. */
static const char *factor_field(const char *used)
{
    return strcmp(used, "totp") == 0 ? "totp_code" : strcmp(used, "none") == 0 ? NULL : used;
}

/* The one factor in the body (totp_code, recovery_code or webauthn); FA_WRONG when none or wrong. */
static enum factor_rc check_any(struct pf_call *c, const struct mg_account *a, enum mg_challenge_kind kind,
                                int64_t owner, const char **used)
{
    if (pf_has(c, "totp_code")) {
        *used = "totp";
        return check_totp(c, a->id, pf_str(c, "totp_code"));
    }
    if (pf_has(c, "recovery_code")) {
        *used = "recovery_code";
        return check_recovery(c, a, pf_str(c, "recovery_code"));
    }
    if (pf_has(c, "webauthn")) {
        *used = "webauthn";
        return check_webauthn(c, a->id, kind, owner, json_object_get(c->body, "webauthn"));
    }
    *used = "none";
    return FA_WRONG;
}

/* ---- the login's second step ---------------------------------------------------------- */

int pf_mfa_begin(struct pf_call *c, const struct mg_account *a, json_t *obj)
{
    struct factors f;
    factors_of(c, a->id, &f);
    if (!f.totp && !f.keys)
        return 0;
    char token[MG_TOKEN_TEXT_LEN + 8];
    struct mg_mfa_login m;
    int64_t row;
    memset(&m, 0, sizeof(m));
    mg_token_new_prefixed(MFA_TOKEN_PREFIX, token, sizeof(token), m.hash);
    m.account_id = a->id;
    m.created_ms = c->now;
    m.expires_ms = c->now + MFA_LOGIN_MS;
    if (c->store->ops->mfa_login_put(c->store, &m, &row) != MG_OK) {
        sodium_memzero(token, sizeof(token));
        return -1;
    }
    json_t *methods = json_array();
    if (f.totp)
        json_array_append_new(methods, json_string("totp"));
    if (f.codes_left > 0)
        json_array_append_new(methods, json_string("recovery_code"));
    if (f.keys)
        json_array_append_new(methods, json_string("webauthn"));
    json_object_set_new(obj, "mfa_required", json_true());
    json_object_set_new(obj, "mfa_token", json_string(token));
    json_object_set_new(obj, "methods", methods);
    sodium_memzero(token, sizeof(token));
    return 1;
}

/* The second step named by the body's mfa_token, or an answer (401 mfa_failed). */
static int mfa_login_of(struct pf_call *c, struct mg_mfa_login *m, int64_t *row)
{
    const char *t = pf_str(c, "mfa_token");
    uint8_t hash[32];
    if (mg_token_parse(t, strlen(t), MFA_TOKEN_PREFIX, hash) != MG_OK ||
        c->store->ops->mfa_login_get(c->store, hash, m, row) != MG_OK || m->expires_ms <= c->now) {
        pf_fail(c, MG_E_MFA_FAILED, "mfa_token", "This sign-in has ended: sign in again with your password.");
        return MG_DECLINED;
    }
    return MG_OK;
}

void pf_h_login_mfa(struct pf_call *c)
{
    struct mg_mfa_login m;
    struct mg_account a;
    int64_t row;
    const char *used;
    if (mfa_login_of(c, &m, &row) != MG_OK)
        return;
    if (c->store->ops->account_get(c->store, m.account_id, &a) != MG_OK) {
        pf_fail(c, MG_E_MFA_FAILED, "mfa_token", "This sign-in has ended: sign in again with your password.");
        return;
    }
    enum factor_rc rc = check_any(c, &a, MG_CHALLENGE_LOGIN, row, &used);
    if (rc == FA_ERROR) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    if (rc == FA_WRONG) {
        int failures = 0;
        c->store->ops->mfa_login_failed(c->store, row, &failures);
        pf_audit(c, "login.mfa_failure", a.id, used);
        if (failures >= c->pf->cfg.mfa_max_failures) { /* §8 item 17: back to the password, and it counts */
            c->store->ops->mfa_login_delete(c->store, row);
            pf_login_failure(c, &a, "too many wrong second-factor codes");
            pf_fail(c, MG_E_MFA_FAILED, "mfa_token", "Too many wrong codes: sign in again with your password.");
            return;
        }
        pf_fail(c, MG_E_MFA_FAILED, factor_field(used), NULL);
        return;
    }
    if (c->store->ops->mfa_login_delete(c->store, row) != MG_OK) { /* used by a concurrent submission */
        pf_fail(c, MG_E_MFA_FAILED, "mfa_token", "This sign-in has ended: sign in again with your password.");
        return;
    }
    pf_login_success(c, &a, used);
}

void pf_h_login_webauthn_options(struct pf_call *c)
{
    struct mg_mfa_login m;
    int64_t row;
    if (mfa_login_of(c, &m, &row) != MG_OK)
        return;
    pf_webauthn_get_options(c, m.account_id, MG_CHALLENGE_LOGIN, row);
}

/* ---- WebAuthn options ------------------------------------------------------------------ */

static int add_descriptor(void *arg, const struct mg_webauthn_record *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("public-key"));
    json_object_set_new(o, "id", pf_b64url(r->cred_id, r->cred_id_len));
    json_array_append_new(arg, o);
    return MG_OK;
}

json_t *pf_webauthn_descriptors(struct pf_call *c, int64_t account_id)
{
    json_t *arr = json_array();
    c->store->ops->webauthn_list(c->store, account_id, add_descriptor, arr);
    return arr;
}

void pf_webauthn_get_options(struct pf_call *c, int64_t account_id, enum mg_challenge_kind kind, int64_t owner)
{
    uint8_t challenge[32];
    json_t *allow = pf_webauthn_descriptors(c, account_id);
    mg_random(challenge, sizeof(challenge));
    if (json_array_size(allow) == 0) {
        json_decref(allow);
        pf_fail(c, MG_E_CONFLICT, NULL, "This account has no security key.");
        return;
    }
    if (c->store->ops->challenge_put(c->store, kind, owner, challenge, c->now, c->now + CHALLENGE_MS) != MG_OK) {
        json_decref(allow);
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    json_t *pk = json_object();
    json_object_set_new(pk, "challenge", pf_b64url(challenge, sizeof(challenge)));
    json_object_set_new(pk, "rpId", json_string(c->pf->cfg.webauthn_rp_id));
    json_object_set_new(pk, "allowCredentials", allow);
    json_object_set_new(pk, "userVerification", json_string(c->pf->cfg.webauthn_require_uv ? "required" : "preferred"));
    json_object_set_new(pk, "timeout", json_integer(CHALLENGE_MS));
    json_t *o = json_object();
    json_object_set_new(o, "publicKey", pk);
    pf_reply(c, 200, o);
}

/* ---- step-up with a second factor ------------------------------------------------------ */

int pf_mfa_reauth(struct pf_call *c)
{
    const char *used;
    enum factor_rc rc = check_any(c, &c->acct, MG_CHALLENGE_REAUTH, c->sess.id, &used);
    if (rc == FA_OK)
        return MG_OK;
    pf_fail(c, rc == FA_ERROR ? MG_E_INTERNAL : MG_E_MFA_FAILED, factor_field(used), NULL);
    return MG_DECLINED;
}

void pf_h_reauth_webauthn_options(struct pf_call *c)
{
    pf_webauthn_get_options(c, c->acct.id, MG_CHALLENGE_REAUTH, c->sess.id);
}
