/*
 * router.c: the platform API's route table (PLATFORM-API.md) and its matcher.
 * A row is method + path (with "{id}" parameters), the authentication it
 * needs, the body it accepts and its handler; the gateway's routes are a
 * separate table (src/gateway/routes.c) that never sees these.
 */
#include "core/price_record.h"
#include "platform/pf.h"
#include "core/account.h"
#include "core/mg.h"
#include "billing/invoice_pdf.h"
#include "billing/payments.h"

#include <string.h>

#define F_END {NULL, 0, 0, 0, 0}
#define EMAIL(req) {"email", PF_EMAIL, req, 3, 254}
#define SECRET(nm, req) {nm, PF_SECRET, req, 0, 1024}

static const struct pf_field f_test_clock[] = {{"advance_ms", PF_INT, 0, 0, 400LL * 24 * 3600 * 1000},
                                               {"freeze", PF_BOOL, 0, 0, 0}, F_END};
static const struct pf_field f_signup[] = {EMAIL(1), SECRET("password", 1), F_END};
static const struct pf_field f_login[] = {EMAIL(1), SECRET("password", 0), F_END}; /* a missing password is a failure */
static const struct pf_field f_token[] = {SECRET("token", 1), F_END};
static const struct pf_field f_token_pw[] = {SECRET("token", 1), SECRET("new_password", 1), F_END};
static const struct pf_field f_access[] = {EMAIL(1), {"note", PF_STR, 0, 0, 1000}, F_END};
static const struct pf_field f_email[] = {EMAIL(1), F_END};
static const struct pf_field f_recovery[] = {EMAIL(1), {"description", PF_STR, 1, 1, 2000}, F_END};
static const struct pf_field f_reauth[] = {SECRET("password", 0), {"totp_code", PF_SECRET, 0, 0, 16},
                                            {"recovery_code", PF_SECRET, 0, 0, 64}, {"webauthn", PF_OBJ, 0, 0, 0},
                                            F_END};
static const struct pf_field f_login_mfa[] = {SECRET("mfa_token", 1), {"totp_code", PF_SECRET, 0, 0, 16},
                                              {"recovery_code", PF_SECRET, 0, 0, 64}, {"webauthn", PF_OBJ, 0, 0, 0},
                                              F_END};
static const struct pf_field f_mfa_token[] = {SECRET("mfa_token", 1), F_END};
static const struct pf_field f_code[] = {{"code", PF_SECRET, 1, 0, 16}, F_END};
static const struct pf_field f_key_name[] = {{"name", PF_STR, 0, 1, 64}, F_END};
static const struct pf_field f_key_add[] = {{"name", PF_STR, 1, 1, 64}, {"credential", PF_OBJ, 1, 0, 0}, F_END};
static const struct pf_field f_password[] = {SECRET("current_password", 1), SECRET("new_password", 1), F_END};
static const struct pf_field f_account_patch[] = {{"plan", PF_STR, 0, 1, 16}, {"role", PF_STR, 0, 1, 16},
                                                  {"billing_mode", PF_STR, 0, 1, 16},
                                                  {"wallet_only", PF_BOOL, 0, 0, 0},
                                                  {"ratio_ppm", PF_INT, 0, 0, 100000000LL},
                                                  {"credit_micros", PF_INT, 0, 0, MG_INVOICE_AMOUNT_MAX}, F_END};
static const struct pf_field f_payment[] = {{"amount_micros", PF_INT, 1, 1, MG_INVOICE_AMOUNT_MAX},
                                            {"reference", PF_STR, 1, 1, MG_PAYMENT_REFERENCE_MAX}, F_END};
static const struct pf_field f_redeem[] = {{"code", PF_SECRET, 1, 1, 64}, F_END};
static const struct pf_field f_codes[] = {{"value_micros", PF_INT, 1, 1, 1000000000000LL},
                                          {"count", PF_INT, 1, 1, MG_REDEEM_BATCH_CODES_MAX},
                                          {"expires_at", PF_STR, 0, 1, 40},
                                          {"batch", PF_STR, 0, 1, MG_REDEEM_BATCH_MAX}, F_END};
static const struct pf_field f_credit[] = {{"amount_micros", PF_INT, 1, -1000000000000LL, 1000000000000LL},
                                           {"reference", PF_STR, 1, 1, MG_LEDGER_REFERENCE_MAX}, F_END};
static const struct pf_field f_close[] = {{"period", PF_STR, 1, 7, 7}, F_END};

#define KEY_NAME(req) {"name", PF_STR, req, 1, 64}
#define KEY_LISTS {"scopes", PF_LIST, 0, 0, 16}, {"models", PF_LIST, 0, 0, 32}
#define KEY_LIMITS {"rpm", PF_INT, 0, 1, MG_KEY_RATE_MAX}, {"tpm", PF_INT, 0, 1, MG_KEY_RATE_MAX}, \
    {"cap_micros", PF_INT, 0, 1, MG_KEY_CAP_MAX}
static const struct pf_field f_apikey_create[] = {KEY_NAME(1), {"region", PF_STR, 0, 1, 16}, KEY_LISTS, KEY_LIMITS,
                                                  {"expires_at", PF_STR, 0, 1, 40}, F_END};
static const struct pf_field f_apikey_patch[] = {KEY_NAME(0), KEY_LISTS, KEY_LIMITS, F_END};
static const struct pf_field f_cap[] = {{"cap_micros", PF_INT, 0, 1, MG_KEY_CAP_MAX}, F_END};
static const struct pf_field f_alert[] = {{"service", PF_STR, 0, 1, 16}, {"threshold_percent", PF_INT, 1, 1, 100},
                                          {"channels", PF_LIST, 1, 1, 2}, F_END};
#define PRICE_COL(n) {n, PF_INT, 0, 0, 1000000000000LL}
#define PRICE_FIELDS PRICE_COL("input_per_mtok"), PRICE_COL("output_per_mtok"), PRICE_COL("cached_per_mtok"), \
    PRICE_COL("per_10k_chars"), PRICE_COL("per_image"), PRICE_COL("per_video"), PRICE_COL("per_track"),     \
    PRICE_COL("per_voice"), {"max_output_tokens", PF_INT, 0, 0, 10000000},                                  \
    {"video", PF_OBJS, 0, 0, MG_VIDEO_PRICES_MAX}, {"video_text", PF_STR, 0, 0, 600}
static const struct pf_field f_price[] = {PRICE_FIELDS, F_END};
const struct pf_field pf_price_row_fields[] = {{"model", PF_STR, 1, 1, 95}, PRICE_FIELDS, F_END};
static const struct pf_field f_price_table[] = {{"prices", PF_OBJS, 0, 0, MG_PRICE_ROWS_MAX},
                                                {"ratio_ppm", PF_INT, 0, 0, 100000000LL}, F_END};
static const struct pf_field f_ratio[] = {{"ratio_ppm", PF_INT, 0, 0, 100000000LL}, F_END};
static const struct pf_field f_apikey_rotate[] = {{"window_seconds", PF_INT, 0, 0, 30LL * 24 * 3600}, F_END};
static const struct pf_field f_apikey_leaked[] = {{"key", PF_SECRET, 1, 0, 128}, F_END};

#define CHANNEL_EDIT {"base_url", PF_STR, 0, 8, 511}, {"weight", PF_INT, 0, 1, 1000000}, {"models", PF_LIST, 0, 0, 32}
static const struct pf_field f_channel_add[] = {{"name", PF_STR, 1, 1, 63}, {"region", PF_STR, 1, 1, 16},
                                                {"key", PF_SECRET, 1, 0, 400}, CHANNEL_EDIT, F_END};
static const struct pf_field f_channel_patch[] = {CHANNEL_EDIT, {"enabled", PF_BOOL, 0, 0, 0}, F_END};

static const struct pf_route routes[] = {
    {"GET", "/config", PF_PUBLIC, NULL, pf_h_config, 0},
    /* accounts and sign-in */
    {"POST", "/signup", PF_PUBLIC, f_signup, pf_h_signup, 0},
    {"POST", "/signup/verify", PF_PUBLIC, f_token, pf_h_signup_verify, 0},
    {"POST", "/access-requests", PF_PUBLIC, f_access, pf_h_access_request, 0},
    {"POST", "/login", PF_PUBLIC, f_login, pf_h_login, 0},
    {"POST", "/login/mfa", PF_PUBLIC, f_login_mfa, pf_h_login_mfa, 0},
    {"POST", "/login/webauthn/options", PF_PUBLIC, f_mfa_token, pf_h_login_webauthn_options, 0},
    {"POST", "/logout", PF_SESSION, NULL, pf_h_logout, 0},
    {"POST", "/password/forgot", PF_PUBLIC, f_email, pf_h_password_forgot, 0},
    {"POST", "/password/reset", PF_PUBLIC, f_token_pw, pf_h_password_reset, 0},
    {"POST", "/password/set", PF_PUBLIC, f_token_pw, pf_h_password_set, 0},
    {"POST", "/recovery-requests", PF_PUBLIC, f_recovery, pf_h_recovery_request, 0},
    /* the signed-in account */
    {"GET", "/me", PF_SESSION, NULL, pf_h_me, 0},
    {"POST", "/me/reauth", PF_SESSION, f_reauth, pf_h_reauth, 0},
    {"POST", "/me/reauth/webauthn/options", PF_SESSION, NULL, pf_h_reauth_webauthn_options, 0},
    {"POST", "/me/password", PF_SESSION, f_password, pf_h_password_change, 0},
    /* second factors: every change needs a fresh check (step-up) */
    {"POST", "/me/mfa/totp", PF_SESSION, NULL, pf_h_totp_start, PF_STEP_UP},
    {"POST", "/me/mfa/totp/confirm", PF_SESSION, f_code, pf_h_totp_confirm, PF_STEP_UP},
    {"DELETE", "/me/mfa/totp", PF_SESSION, NULL, pf_h_totp_delete, PF_STEP_UP},
    {"POST", "/me/mfa/recovery-codes", PF_SESSION, NULL, pf_h_recovery_regenerate, PF_STEP_UP},
    {"POST", "/me/mfa/webauthn/options", PF_SESSION, f_key_name, pf_h_webauthn_register_options, PF_STEP_UP},
    {"POST", "/me/mfa/webauthn", PF_SESSION, f_key_add, pf_h_webauthn_register, PF_STEP_UP},
    {"GET", "/me/mfa/webauthn", PF_SESSION, NULL, pf_h_webauthn_list, 0},
    {"DELETE", "/me/mfa/webauthn/{id}", PF_SESSION, NULL, pf_h_webauthn_delete, PF_STEP_UP},
    {"GET", "/me/sessions", PF_SESSION, NULL, pf_h_sessions_list, 0},
    {"DELETE", "/me/sessions", PF_SESSION, NULL, pf_h_sessions_end_others, 0},
    {"DELETE", "/me/sessions/{id}", PF_SESSION, NULL, pf_h_session_end, 0},
    {"GET", "/me/audit", PF_SESSION, NULL, pf_h_me_audit, 0},
    {"GET", "/notifications", PF_SESSION, NULL, pf_h_notifications, 0},
    {"POST", "/notifications/{id}/read", PF_SESSION, NULL, pf_h_notification_read, 0},
    {"GET", "/usage/log", PF_SESSION, NULL, pf_h_usage_log, 0},
    {"GET", "/usage/log.csv", PF_SESSION, NULL, pf_h_usage_log_csv, 0},
    {"GET", "/usage/tasks", PF_SESSION, NULL, pf_h_usage_tasks, 0},
    /* what the account spends (BL-5) */
    {"GET", "/billing/summary", PF_SESSION, NULL, pf_h_billing_summary, 0},
    {"GET", "/billing/usage", PF_SESSION, NULL, pf_h_billing_usage, 0},
    /* API keys: making a secret needs a fresh check (step-up) */
    {"GET", "/keys", PF_SESSION, NULL, pf_h_keys_list, 0},
    {"POST", "/keys", PF_SESSION, f_apikey_create, pf_h_key_create, PF_STEP_UP},
    {"GET", "/keys/{id}", PF_SESSION, NULL, pf_h_key_get, 0},
    {"PATCH", "/keys/{id}", PF_SESSION, f_apikey_patch, pf_h_key_patch, 0},
    {"DELETE", "/keys/{id}", PF_SESSION, NULL, pf_h_key_delete, 0},
    {"POST", "/keys/{id}/rotate", PF_SESSION, f_apikey_rotate, pf_h_key_rotate, PF_STEP_UP},
    /* prices: the caller's; the admin's table and ratios (changing them: step-up) */
    {"GET", "/prices", PF_SESSION, NULL, pf_h_prices, 0},
    {"GET", "/admin/prices", PF_ADMIN, NULL, pf_h_admin_prices, 0},
    {"GET", "/admin/reports/revenue", PF_ADMIN, NULL, pf_h_admin_report_revenue, 0},
    {"PUT", "/admin/prices", PF_ADMIN, f_price_table, pf_h_admin_prices_put, PF_STEP_UP},
    {"PUT", "/admin/prices/{model}", PF_ADMIN, f_price, pf_h_admin_price_put, PF_STEP_UP},
    {"DELETE", "/admin/prices/{model}", PF_ADMIN, NULL, pf_h_admin_price_delete, PF_STEP_UP},
    {"PUT", "/admin/price-ratio", PF_ADMIN, f_ratio, pf_h_admin_ratio_global, PF_STEP_UP},
    {"PUT", "/admin/plans/{plan}/price-ratio", PF_ADMIN, f_ratio, pf_h_admin_ratio_plan, PF_STEP_UP},
    {"PUT", "/admin/accounts/{id}/price-ratio", PF_ADMIN, f_ratio, pf_h_admin_ratio_account, PF_STEP_UP},
    /* billing: the cap (raising it needs step-up, checked by the handler) and spending alerts */
    {"GET", "/billing/cap", PF_SESSION, NULL, pf_h_billing_cap_get, 0},
    {"PUT", "/billing/cap", PF_SESSION, f_cap, pf_h_billing_cap_put, 0},
    {"GET", "/billing/alerts", PF_SESSION, NULL, pf_h_billing_alerts_list, 0},
    {"POST", "/billing/alerts", PF_SESSION, f_alert, pf_h_billing_alert_create, 0},
    {"DELETE", "/billing/alerts/{id}", PF_SESSION, NULL, pf_h_billing_alert_delete, 0},
    /* the wallet: balance, ledger, redeeming a code (issue 12) */
    {"GET", "/billing/wallet", PF_SESSION, NULL, pf_h_wallet, 0},
    {"POST", "/billing/redeem", PF_SESSION, f_redeem, pf_h_redeem, 0},
    {"GET", "/billing/payment-methods", PF_SESSION, NULL, pf_h_payment_methods, 0},
    /* invoices of the signed-in account */
    {"GET", "/invoices", PF_SESSION, NULL, pf_h_invoices_list, 0},
    {"GET", "/invoices/{id}", PF_SESSION, NULL, pf_h_invoice_get, 0},
    {"GET", "/invoices/{id}/pdf", PF_SESSION, NULL, pf_h_invoice_pdf, 0},
    /* administration */
    {"GET", "/admin/accounts", PF_ADMIN, NULL, pf_h_admin_accounts, 0},
    {"GET", "/admin/accounts/{id}", PF_ADMIN, NULL, pf_h_admin_account, 0},
    {"PATCH", "/admin/accounts/{id}", PF_ADMIN, f_account_patch, pf_h_admin_account_patch, 0},
    {"POST", "/admin/accounts/{id}/suspend", PF_ADMIN, NULL, pf_h_admin_suspend, 0},
    {"POST", "/admin/accounts/{id}/unsuspend", PF_ADMIN, NULL, pf_h_admin_unsuspend, 0},
    {"POST", "/admin/accounts/{id}/unlock", PF_ADMIN, NULL, pf_h_admin_unlock, 0},
    {"POST", "/admin/accounts/{id}/end-sessions", PF_ADMIN, NULL, pf_h_admin_end_sessions, 0},
    {"GET", "/admin/accounts/{id}/keys", PF_ADMIN, NULL, pf_h_admin_keys_list, 0},
    {"POST", "/admin/accounts/{id}/keys", PF_ADMIN, f_apikey_create, pf_h_admin_key_create, PF_STEP_UP},
    {"GET", "/admin/accounts/{id}/keys/{key}", PF_ADMIN, NULL, pf_h_admin_key_get, 0},
    {"PATCH", "/admin/accounts/{id}/keys/{key}", PF_ADMIN, f_apikey_patch, pf_h_admin_key_patch, 0},
    {"DELETE", "/admin/accounts/{id}/keys/{key}", PF_ADMIN, NULL, pf_h_admin_key_delete, 0},
    {"POST", "/admin/accounts/{id}/keys/{key}/rotate", PF_ADMIN, f_apikey_rotate, pf_h_admin_key_rotate, PF_STEP_UP},
    {"POST", "/admin/keys/revoke-leaked", PF_ADMIN, f_apikey_leaked, pf_h_admin_key_revoke_leaked, 0},
    /* upstream channels: adding one stores a secret (step-up) */
    {"GET", "/admin/channels", PF_ADMIN, NULL, pf_h_admin_channels_list, 0},
    {"POST", "/admin/channels", PF_ADMIN, f_channel_add, pf_h_admin_channel_create, PF_STEP_UP},
    {"PATCH", "/admin/channels/{name}", PF_ADMIN, f_channel_patch, pf_h_admin_channel_patch, 0},
    {"DELETE", "/admin/channels/{name}", PF_ADMIN, NULL, pf_h_admin_channel_delete, 0},
    {"POST", "/admin/channels/{name}/test", PF_ADMIN, NULL, pf_h_admin_channel_test, 0},
    {"GET", "/admin/access-requests", PF_ADMIN, NULL, pf_h_admin_access_list, 0},
    {"POST", "/admin/access-requests/{id}/approve", PF_ADMIN, NULL, pf_h_admin_access_approve, 0},
    {"POST", "/admin/access-requests/{id}/deny", PF_ADMIN, NULL, pf_h_admin_access_deny, 0},
    {"GET", "/admin/recovery-requests", PF_ADMIN, NULL, pf_h_admin_recovery_list, 0},
    {"POST", "/admin/recovery-requests/{id}/approve", PF_ADMIN, NULL, pf_h_admin_recovery_approve, 0},
    {"POST", "/admin/recovery-requests/{id}/deny", PF_ADMIN, NULL, pf_h_admin_recovery_deny, 0},
    {"GET", "/admin/audit", PF_ADMIN, NULL, pf_h_admin_audit, 0},
    /* the wallet: redeem codes, top-ups and adjustments */
    {"POST", "/admin/redeem-codes", PF_ADMIN, f_codes, pf_h_admin_redeem_create, PF_STEP_UP},
    {"GET", "/admin/redeem-codes", PF_ADMIN, NULL, pf_h_admin_redeem_list, 0},
    {"POST", "/admin/accounts/{id}/credit", PF_ADMIN, f_credit, pf_h_admin_credit, PF_STEP_UP},
    /* invoices and payments (BL-6, BL-7) */
    {"GET", "/admin/invoices", PF_ADMIN, NULL, pf_h_admin_invoices, 0},
    {"POST", "/admin/invoices/close", PF_ADMIN, f_close, pf_h_admin_invoices_close, 0},
    {"GET", "/admin/invoices/{id}", PF_ADMIN, NULL, pf_h_admin_invoice_get, 0},
    {"GET", "/admin/invoices/{id}/pdf", PF_ADMIN, NULL, pf_h_admin_invoice_pdf, 0},
    {"POST", "/admin/invoices/{id}/payments", PF_ADMIN, f_payment, pf_h_admin_invoice_payment, 0},
    {"POST", "/admin/invoices/{id}/mark-paid", PF_ADMIN, f_payment, pf_h_admin_invoice_payment, 0},
    {"POST", "/admin/invoices/{id}/void", PF_ADMIN, NULL, pf_h_admin_invoice_void, 0},
    /* tests only: answers 404 unless MG_TEST_CLOCK=1 */
    {"POST", "/test/clock", PF_PUBLIC, f_test_clock, pf_h_test_clock, 0},
};

/* Does path (plen bytes, starting with '/' or empty) match pattern?  Copies the parameters. */
static int match(const char *pattern, const char *path, size_t plen, char params[PF_MAX_PARAMS][PF_PARAM_MAX])
{
    const char *p = pattern;
    size_t i = 0;
    int np = 0;
    while (*p) {
        if (i >= plen || path[i] != '/' || *p != '/')
            return 0;
        p++, i++;
        const char *pe = strchr(p, '/');
        size_t seglen_pat = pe ? (size_t)(pe - p) : strlen(p);
        size_t j = i;
        while (j < plen && path[j] != '/')
            j++;
        size_t seglen = j - i;
        if (seglen_pat >= 2 && p[0] == '{') {
            if (seglen == 0 || seglen >= PF_PARAM_MAX || np >= PF_MAX_PARAMS)
                return 0;
            memcpy(params[np], path + i, seglen);
            params[np][seglen] = '\0';
            np++;
        } else if (seglen != seglen_pat || memcmp(p, path + i, seglen) != 0) {
            return 0;
        }
        p += seglen_pat;
        i = j;
    }
    return i == plen || (i + 1 == plen && path[i] == '/'); /* one trailing slash is forgiven */
}

const struct pf_route *pf_route_find(const char *method, size_t mlen, const char *path, size_t plen,
                                     char params[PF_MAX_PARAMS][PF_PARAM_MAX], int *path_known)
{
    *path_known = 0;
    for (size_t r = 0; r < MG_ARRAY_SIZE(routes); r++) {
        char tmp[PF_MAX_PARAMS][PF_PARAM_MAX] = {{0}};
        if (!match(routes[r].path, path, plen, tmp))
            continue;
        *path_known = 1;
        if (strlen(routes[r].method) != mlen || memcmp(routes[r].method, method, mlen) != 0)
            continue;
        memcpy(params, tmp, sizeof(tmp));
        return &routes[r];
    }
    return NULL;
}
