/*
 * pf.h: the platform API's insides (PLATFORM-API.md), shared by its files.
 *
 * A request is matched against the route table on the loop thread (a miss is
 * answered there), then copied into a struct pf_call and run whole on the
 * platform's own worker pool: body parsing and validation against the row's
 * spec, the session, CSRF, step-up, then the row's handler, which may block
 * (database, Argon2id).  The handler fills the response part of the call; the
 * loop thread only sends it.  Nothing here runs on the gateway's path.
 */
#ifndef MG_PLATFORM_PF_H
#define MG_PLATFORM_PF_H

#include <jansson.h>
#include <stdint.h>
#include "auth/password.h"
#include "auth/keycache.h"
#include "auth/token.h"
#include "core/account.h"
#include "core/err.h"
#include "core/mfa_records.h"
#include "core/platform_records.h"
#include "mail/mail.h"
#include "platform/platform.h"
#include "store/store.h"

#define PF_MAX_PARAMS 3
#define PF_PARAM_MAX 64
#define PF_MAX_FIELDS 8

/* ---- the route table (router.c) ------------------------------------------------ */

enum pf_auth {
    PF_PUBLIC,  /* anyone */
    PF_SESSION, /* a signed-in account */
    PF_ADMIN,   /* a signed-in admin */
};

enum pf_type {
    PF_STR,   /* a string of min..max bytes */
    PF_EMAIL, /* an email address (syntax checked; at most 254 bytes) */
    PF_SECRET, /* a password or token: a string of at most max bytes, checked by the handler (never echoed) */
    PF_INT,   /* an integer in min..max */
    PF_BOOL,
    PF_OBJ,   /* a JSON object, read by the handler (a WebAuthn credential) */
    PF_LIST,  /* a JSON array of at most max strings, each checked by the handler */
    PF_OBJS,  /* a JSON array of at most max objects, each read by the handler (a price row's videos) */
};

struct pf_field {
    const char *name;
    enum pf_type type;
    int required;
    int64_t min, max;
};

enum {
    PF_STEP_UP = 1 << 0, /* needs a password check within [accounts] reauth_minutes */
    PF_NO_TOUCH = 1 << 1, /* does not slide the session's idle window (none yet) */
};

struct pf_call;

struct pf_route {
    const char *method;
    const char *path;  /* below /platform/v1; "{id}" segments are parameters */
    enum pf_auth auth;
    const struct pf_field *body; /* NULL: no body accepted; else a NULL-name-terminated spec */
    void (*handler)(struct pf_call *c);
    unsigned flags;
};

/* The row for method + path (below /platform/v1), with its parameters copied
 * into params; NULL if none, with *path_known set when the path exists for
 * another method (405 rather than 404). */
const struct pf_route *pf_route_find(const char *method, size_t mlen, const char *path, size_t plen,
                                     char params[PF_MAX_PARAMS][PF_PARAM_MAX], int *path_known);

/* Checks body (a parsed JSON value, NULL if the request had none) against
 * spec: an object with only declared fields of the declared types and bounds.
 * MG_OK, or MG_DECLINED with the error filled in c. */
int pf_body_check(struct pf_call *c, const struct pf_field *spec, json_t *body);
/* A price row as PUT /admin/prices takes each: {model} and PUT /admin/prices/{model}'s fields (router.c). */
extern const struct pf_field pf_price_row_fields[];

/* ---- one call ------------------------------------------------------------------ */

struct pf_call {
    /* the request */
    const struct pf_route *route;
    char params[PF_MAX_PARAMS][PF_PARAM_MAX];
    char *body_text; /* as received (owned), body_len bytes */
    size_t body_len;
    json_t *body;    /* the validated object, or NULL */
    char query[1024];
    char ip[64];     /* the client (a trusted proxy's X-Forwarded-For, else the peer) */
    char user_agent[256];
    char bearer[128];  /* Authorization: Bearer ..., as sent ("" = none) */
    char cookie[128];  /* the session cookie's value ("" = none) */
    char csrf[128];    /* X-CSRF-Token */
    char request_id[33];
    /* set by the session check */
    int authed;
    int by_cookie;
    struct mg_account acct;
    struct mg_session sess;
    /* while running */
    struct mg_platform *pf;
    struct mg_store *store;
    int64_t now;
    /* the response */
    int status;
    json_t *out;       /* the body (owned); NULL with 204 */
    enum mg_err err;   /* MG_E_NONE unless it failed */
    char field[64];
    char detail[512];
    char set_cookie[512];
    char csrf_out[48]; /* a new X-CSRF-Token for the client: its session was rotated ("" = none) */
    int retry_after;
    /* a body that is not JSON (the invoice PDF): raw (malloc, owned) of raw_len bytes, sent as
     * content_type with content_disposition (may be ""); out stays NULL */
    uint8_t *raw;
    size_t raw_len;
    char content_type[64];
    char content_disposition[160];
};

/* The platform as its files see it (platform.c owns it). */
struct mg_platform {
    struct mg_platform_config cfg;
    struct mg_pool *pool;
    struct mg_mailer *mailer;
    struct mg_pw_lists *pw_lists;
    struct pf_limits *limits;
    struct mg_keycache *keys; /* this node's key cache (NULL in operator commands) */
    struct mg_meter *meter;   /* this node's meter, for month-to-date spend (NULL in operator commands) */
    struct mg_pricebook *prices; /* the gateway's live prices (NULL in operator commands: built from the store) */
    int (*prices_reload)(void *arg, struct mg_store *s); /* after a price change; NULL = the poller's */
    void *prices_reload_arg;
    struct mg_alerts *alerts;    /* the usage writer's alert checks, told of a new alert (NULL: none here) */
    struct mg_platform_channel_ops chan; /* the upstream channels (valid when has_chan) */
    int has_chan;
    uint8_t csrf_key[32];
    uint8_t totp_key[32];     /* seals authenticator secrets at rest (derived from the server secret) */
    uint8_t key_secret[32];   /* the server secret itself: API key digests are HMAC-SHA256(it, key) */
    _Atomic size_t inflight;
};

/* ---- attempt limits (limit.c) ----------------------------------------------------- */

struct pf_limits *pf_limits_new(void);
void pf_limits_free(struct pf_limits *l);
/* Counts one attempt of key in bucket; MG_OK under limit per window_ms, else
 * MG_DECLINED with the seconds until the window ends. */
int pf_limit_hit(struct pf_limits *l, const char *bucket, const char *key, int limit, int64_t window_ms, int64_t now,
                 int *retry_after_s);
/* pf_limit_hit's answer without counting an attempt (is key over its limit?). */
int pf_limit_over(struct pf_limits *l, const char *bucket, const char *key, int limit, int64_t window_ms, int64_t now,
                  int *retry_after_s);

/* ---- answers (call.c) ------------------------------------------------------------- */

/* The call fails with e; field (may be NULL) names the request field at fault,
 * detail (may be NULL) is a sentence added to the registry's message. */
void pf_fail(struct pf_call *c, enum mg_err e, const char *field, const char *detail);
/* The call answers status with obj as its body (the call takes the reference). */
void pf_reply(struct pf_call *c, int status, json_t *obj);
/* The call answers status with a body that is not JSON (a CSV export, a PDF): the call takes body (malloc'd,
 * len bytes); disposition ("" = none) is the Content-Disposition header. */
void pf_reply_raw(struct pf_call *c, int status, const char *content_type, char *body, size_t len,
                  const char *disposition);
/* 204 No Content. */
void pf_no_content(struct pf_call *c);
/* A store failure: logs nothing more (the store did), answers 500, or 503 for MG_AGAIN. */
void pf_store_failed(struct pf_call *c, int rc);

/* Body fields (after pf_body_check): the string (never NULL; "" when absent), the integer, presence. */
const char *pf_str(const struct pf_call *c, const char *name);
int64_t pf_int(const struct pf_call *c, const char *name, int64_t dflt);
int pf_has(const struct pf_call *c, const char *name);
/* The id parameter i of the path ("{id}"), or -1 when it is not a positive integer (answer 404). */
int64_t pf_param_id(const struct pf_call *c, int i);
/* body.models (a list of model names: 1..64 bytes without spaces or commas) as the stored
 * comma-separated text in out[cap]; MG_DECLINED with the error answered (field "models"). */
int pf_body_models(struct pf_call *c, char *out, size_t cap);
/* A query parameter, percent-decoded, into out ("" when absent). */
void pf_query(const struct pf_call *c, const char *name, char *out, size_t cap);
/* ?limit: 1..max, dflt when absent; MG_OK, or MG_DECLINED with the 400 answered. */
int pf_query_limit(struct pf_call *c, int64_t dflt, int64_t max, int64_t *limit);
/* ?limit as above and ?before (an id, older than it; 0 when absent): MG_OK, or MG_DECLINED answered. */
int pf_query_page(struct pf_call *c, int64_t dflt, int64_t max, size_t *limit, int64_t *before);

/* obj[key] = the RFC 3339 UTC time of ms, or null for 0. */
void pf_set_time(json_t *obj, const char *key, int64_t ms);
/* "2027-01-31T12:00:00Z" (a fraction and a numeric offset allowed) into ms; MG_DECLINED if malformed. */
int pf_time_parse(const char *s, int64_t *out);

/* An audit event (AC-10) about account_id (0 = none) by the caller (or 0); detail never holds a secret. */
void pf_audit(struct pf_call *c, const char *type, int64_t account_id, const char *detail);
/* Queues a mail; MG_AGAIN at the mail queue's ceiling (already logged). */
int pf_mail(struct pf_call *c, enum mg_mail_kind kind, const char *to, const char *token, int minutes);
/* An in-app notification for account_id. */
void pf_notify(struct pf_call *c, int64_t account_id, const char *kind, const char *text);

/* ---- sessions (session.c) ---------------------------------------------------------- */

/* Authenticates the call per its row (PF_SESSION / PF_ADMIN): the cookie or
 * Bearer token, idle and absolute expiry (sliding the idle window), CSRF for a
 * cookie-authenticated change, step-up.  MG_OK, or MG_DECLINED with the error set. */
int pf_session_check(struct pf_call *c);
/* A password (or second factor) check within [accounts] reauth_minutes: MG_OK, or MG_DECLINED with 403
 * reauth_required answered.  For a change that needs it only sometimes (raising a cap); a route that
 * always needs it has PF_STEP_UP. */
int pf_step_up(struct pf_call *c);
/* Whether the account's plan includes caps and alerts (professional, enterprise; AC-11): MG_OK, or
 * MG_DECLINED with 403 plan_required naming the plan needed. */
int pf_plan_caps(struct pf_call *c, const struct mg_account *a);

/* h_reports.c: the operator's revenue against the official price */
void pf_h_admin_report_revenue(struct pf_call *c);

/* h_prices.c: the caller's effective prices; the admin's table and ratios */
void pf_h_prices(struct pf_call *c);
void pf_h_admin_prices(struct pf_call *c);
void pf_h_admin_price_put(struct pf_call *c);
void pf_h_admin_prices_put(struct pf_call *c); /* the whole table and/or the operator's ratio */
void pf_h_admin_price_delete(struct pf_call *c);
void pf_h_admin_ratio_global(struct pf_call *c);
void pf_h_admin_ratio_plan(struct pf_call *c);
void pf_h_admin_ratio_account(struct pf_call *c);

/* h_billing.c: the cap and the spending alerts of the signed-in account */
/* the wallet (h_wallet.c) */
void pf_h_wallet(struct pf_call *c);
void pf_h_redeem(struct pf_call *c);
void pf_h_admin_redeem_create(struct pf_call *c);
void pf_h_admin_redeem_list(struct pf_call *c);
void pf_h_admin_credit(struct pf_call *c);
/* A redeem code's 16 characters, normalized (upper case, '-' and spaces gone, O->0, I/L->1, the "MGR"
 * prefix optional): MG_OK, or MG_DECLINED if it cannot be a code. */
int pf_redeem_normalize(const char *in, char out[17]);
/* Adds the ledger entry (store.h ledger_add), tells the key cache and audits it: MG_OK or the store's code. */
int pf_wallet_add(struct pf_call *c, struct mg_ledger_entry *e, int64_t *balance);
void pf_h_billing_cap_get(struct pf_call *c);
void pf_h_billing_cap_put(struct pf_call *c);
void pf_h_billing_alerts_list(struct pf_call *c);
void pf_h_billing_alert_create(struct pf_call *c);
void pf_h_billing_alert_delete(struct pf_call *c);
/* Starts a session for acct: a new token (stored hashed), the cookie, and
 * {"session":{token,expires_at,csrf_token}} into obj.  MG_OK or MG_ERR. */
int pf_session_start(struct pf_call *c, const struct mg_account *acct, json_t *obj);
/* A new token for c's session after a step-up by cookie (the cookie set, the new CSRF token in csrf_out);
 * the old token ends a minute later and never had the step-up.  MG_OK or MG_ERR. */
int pf_session_rotate(struct pf_call *c);
/* The cookie that removes the session cookie. */
void pf_session_clear_cookie(struct pf_call *c);
/* Is se still usable at the call's time (not past its absolute end nor its idle window)? */
int pf_session_live(const struct pf_call *c, const struct mg_session *se);
/* The CSRF token of the call's session into out (MG_TOKEN_TEXT_LEN + 1). */
void pf_session_csrf(const struct pf_call *c, char *out);

/* The account as the API shows it (GET /me, login, admin): id, email, plan, role, status, credit, times. */
json_t *pf_account_json(const struct mg_account *a);

/* An audit event as the API shows it. */
json_t *pf_audit_json(const struct mg_audit_event *e);
/* pw against the password policy (email for the context rule, may be NULL); MG_OK, or MG_DECLINED with a
 * password_policy error naming field and the rule. */
int pf_password_allowed(struct pf_call *c, const char *field, const char *pw, const char *email);
/* At most per_hour calls of bucket from the caller's IP; MG_OK, or MG_DECLINED with 429 set. */
int pf_ip_limit(struct pf_call *c, const char *bucket, int per_hour);
/* A new one-time link of kind for the account (older ones of the kind stop working), mailed as mail. */
int pf_link_send(struct pf_call *c, enum mg_token_kind kind, int64_t account_id, const char *email,
                 enum mg_mail_kind mail, int minutes);

/* A JSON string of n bytes in base64url without padding (WebAuthn's encoding). */
json_t *pf_b64url(const uint8_t *p, size_t n);

/* ---- second factors (h_mfa.c) ------------------------------------------------------ */

extern const int pf_webauthn_algs[3];
/* {enabled, methods, recovery_codes_left, security_keys} of the account. */
json_t *pf_mfa_json(struct pf_call *c, int64_t account_id);
/* After a right password: when the account has a second factor, starts the second step
 * (obj gets mfa_required, mfa_token, methods) and returns 1; 0 when it has none; -1 on a store error. */
int pf_mfa_begin(struct pf_call *c, const struct mg_account *a, json_t *obj);
/* Step-up with the factor in the body (totp_code, recovery_code or webauthn): MG_OK or MG_DECLINED (error set). */
int pf_mfa_reauth(struct pf_call *c);
/* The {type,id} list of the account's security keys. */
json_t *pf_webauthn_descriptors(struct pf_call *c, int64_t account_id);
/* Answers {publicKey} assertion options with a fresh challenge stored for (kind, owner). */
void pf_webauthn_get_options(struct pf_call *c, int64_t account_id, enum mg_challenge_kind kind, int64_t owner);
/* h_login.c: a failed sign-in of a (counts toward the lock), and a finished one (session, audit, answer). */
void pf_login_failure(struct pf_call *c, const struct mg_account *a, const char *why);
void pf_login_success(struct pf_call *c, struct mg_account *a, const char *method);

/* ---- handlers, one file per area ---------------------------------------------------- */

/* h_me.c */
void pf_h_config(struct pf_call *c);
void pf_h_me(struct pf_call *c);
void pf_h_logout(struct pf_call *c);
void pf_h_test_clock(struct pf_call *c);
/* h_login.c */
void pf_h_login(struct pf_call *c);
void pf_h_reauth(struct pf_call *c);
void pf_h_password_change(struct pf_call *c);
void pf_h_sessions_list(struct pf_call *c);
void pf_h_session_end(struct pf_call *c);
void pf_h_sessions_end_others(struct pf_call *c);
/* h_signup.c */
void pf_h_signup(struct pf_call *c);
void pf_h_signup_verify(struct pf_call *c);
void pf_h_access_request(struct pf_call *c);
void pf_h_password_set(struct pf_call *c);
void pf_h_password_reset(struct pf_call *c);
void pf_h_password_forgot(struct pf_call *c);
/* h_audit.c */
void pf_h_me_audit(struct pf_call *c);
void pf_h_admin_audit(struct pf_call *c);
void pf_h_notifications(struct pf_call *c);
void pf_h_notification_read(struct pf_call *c);
void pf_h_recovery_request(struct pf_call *c);
/* h_usage.c */
void pf_h_usage_log(struct pf_call *c);
/* h_usage_tasks.c: the account's async tasks and their states */
void pf_h_usage_tasks(struct pf_call *c);
/* h_billing_usage.c: what the account spends (BL-5) */
void pf_h_billing_summary(struct pf_call *c);
void pf_h_billing_usage(struct pf_call *c);
void pf_h_usage_log_csv(struct pf_call *c);
/* The usage log's filters from the query (request_id, key, model, service, status, from, to) into f, whose
 * strings point into bufs; MG_OK, or MG_DECLINED with a 400 naming the parameter. */
struct pf_usage_query {
    char rid[40], key[MG_KEY_PUBID_LEN + 1], model[96], service[16];
};
int pf_usage_filter(struct pf_call *c, struct mg_usage_filter *f, struct pf_usage_query *bufs);
/* h_admin.c */
void pf_h_admin_accounts(struct pf_call *c);
void pf_h_admin_account(struct pf_call *c);
void pf_h_admin_suspend(struct pf_call *c);
void pf_h_admin_unsuspend(struct pf_call *c);
void pf_h_admin_unlock(struct pf_call *c);
void pf_h_admin_end_sessions(struct pf_call *c);
void pf_h_admin_account_patch(struct pf_call *c);
void pf_h_admin_access_list(struct pf_call *c);
void pf_h_admin_access_approve(struct pf_call *c);
void pf_h_admin_access_deny(struct pf_call *c);
void pf_h_admin_recovery_list(struct pf_call *c);
void pf_h_admin_recovery_approve(struct pf_call *c);
void pf_h_admin_recovery_deny(struct pf_call *c);
/* h_mfa.c, h_mfa_enrol.c */
void pf_h_login_mfa(struct pf_call *c);
void pf_h_login_webauthn_options(struct pf_call *c);
void pf_h_reauth_webauthn_options(struct pf_call *c);
void pf_h_totp_start(struct pf_call *c);
void pf_h_totp_confirm(struct pf_call *c);
void pf_h_totp_delete(struct pf_call *c);
void pf_h_recovery_regenerate(struct pf_call *c);
void pf_h_webauthn_register_options(struct pf_call *c);
void pf_h_webauthn_register(struct pf_call *c);
void pf_h_webauthn_list(struct pf_call *c);
void pf_h_webauthn_delete(struct pf_call *c);

/* h_channels.c, h_channels_test.c: the upstream channels (admin) */
void pf_h_admin_channels_list(struct pf_call *c);
void pf_h_admin_channel_create(struct pf_call *c);
void pf_h_admin_channel_patch(struct pf_call *c);
void pf_h_admin_channel_delete(struct pf_call *c);
void pf_h_admin_channel_test(struct pf_call *c);
/* One cheap request through channel r (GET {base_url}/v1/models with its key) into o: status (null when
 * no answer came), ok, latency_ms, and error {code, message} or a short summary; never the answer's body. */
void pf_channel_probe(struct pf_call *c, const struct mg_channel_record *r, json_t *o);

/* h_keys.c, h_keys_admin.c: API keys (the signed-in account's, and any account's for an admin) */
#define PF_KEYS_PER_ACCOUNT 100 /* active keys; a 101st is refused (409) */
/* "active" | "expiring" (an expiry is set) | "revoked" | "expired" at the call's time. */
const char *pf_key_status(const struct pf_call *c, const struct mg_key_record *k);
/* The key as the API shows it (never the full key: it is not stored). */
json_t *pf_key_json(const struct pf_call *c, const struct mg_key_record *k);
/* Re-reads the key with its account and puts it into this node's key cache (when there is one). */
void pf_key_refresh(struct pf_call *c, const char *public_id);
/* The key public_id of account owner into k; another account's key, like none, is a 404 (set). */
int pf_key_of(struct pf_call *c, int64_t owner, const char *public_id, struct mg_key_record *k);
/* Revokes k, audits event, refreshes the cache; MG_OK or the store's code (answer set). */
int pf_key_revoke(struct pf_call *c, const struct mg_key_record *k, const char *event);
/* The operations on the keys of account owner (the route's body is validated). */
void pf_keys_list_of(struct pf_call *c, int64_t owner);
void pf_key_create_for(struct pf_call *c, int64_t owner);
void pf_key_get_of(struct pf_call *c, int64_t owner, const char *public_id);
void pf_key_patch_of(struct pf_call *c, int64_t owner, const char *public_id);
void pf_key_delete_of(struct pf_call *c, int64_t owner, const char *public_id);
void pf_key_rotate_of(struct pf_call *c, int64_t owner, const char *public_id);
void pf_h_keys_list(struct pf_call *c);
void pf_h_key_create(struct pf_call *c);
void pf_h_key_get(struct pf_call *c);
void pf_h_key_patch(struct pf_call *c);
void pf_h_key_delete(struct pf_call *c);
void pf_h_key_rotate(struct pf_call *c);
void pf_h_admin_keys_list(struct pf_call *c);
void pf_h_admin_key_create(struct pf_call *c);
void pf_h_admin_key_get(struct pf_call *c);
void pf_h_admin_key_patch(struct pf_call *c);
void pf_h_admin_key_delete(struct pf_call *c);
void pf_h_admin_key_rotate(struct pf_call *c);
void pf_h_admin_key_revoke_leaked(struct pf_call *c);

/* h_invoices.c: invoices and payments (BL-6, BL-7) */
void pf_h_invoices_list(struct pf_call *c);
void pf_h_payment_methods(struct pf_call *c);
/* Stores the price ratio of scope ("global", "plan:NAME", "account:ID"; ppm < 0 removes a plan's or an
 * account's), syncs the key cache, audits and republishes the prices: MG_OK, or MG_DECLINED answered. */
int pf_ratio_store(struct pf_call *c, const char *scope, int64_t ppm, int64_t account_id);
/* Sets an account's wallet balance to target_micros (>= 0) with one ledger entry of the difference, read
 * and written in one transaction (audited): MG_OK (*balance the new one), or MG_DECLINED answered. */
int pf_wallet_set(struct pf_call *c, int64_t account_id, int64_t target_micros, int64_t *balance);
void pf_h_invoice_get(struct pf_call *c);
void pf_h_invoice_pdf(struct pf_call *c);
void pf_h_admin_invoices(struct pf_call *c);
void pf_h_admin_invoice_get(struct pf_call *c);
void pf_h_admin_invoice_pdf(struct pf_call *c);
void pf_h_admin_invoice_payment(struct pf_call *c);
void pf_h_admin_invoice_void(struct pf_call *c);
void pf_h_admin_invoices_close(struct pf_call *c);

#endif
