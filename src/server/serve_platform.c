/*
 * serve_platform.c: the platform's parts of `maxgated serve`: its own worker
 * pool, the password lists, the mailer, and the platform built from the
 * [accounts] and [mail] options (docs/operations.md).
 */
#include "core/mg.h"
#include "server/server.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The WebAuthn RP ID and origin: as configured, else the host and the origin of public_base_url. */
static void webauthn_rp(const struct mg_config *cfg, struct mg_platform_config *pc)
{
    const char *u = cfg->public_base_url, *host = strstr(u, "://");
    mg_strlcpy(pc->webauthn_rp_id, cfg->webauthn_rp_id, sizeof(pc->webauthn_rp_id));
    mg_strlcpy(pc->webauthn_origin, cfg->webauthn_origin, sizeof(pc->webauthn_origin));
    if (host == NULL)
        return;
    host += 3;
    size_t hl = strcspn(host, "/"), pl = strcspn(host, ":/");
    if (pc->webauthn_origin[0] == '\0')
        snprintf(pc->webauthn_origin, sizeof(pc->webauthn_origin), "%.*s", (int)(host - u + hl), u);
    if (pc->webauthn_rp_id[0] == '\0')
        snprintf(pc->webauthn_rp_id, sizeof(pc->webauthn_rp_id), "%.*s", (int)pl, host);
}

static void platform_config(const struct mg_config *cfg, struct mg_platform_config *pc)
{
    memset(pc, 0, sizeof(*pc));
    pc->signup_mode = strcmp(cfg->signup_mode, "open") == 0 ? MG_SIGNUP_OPEN : MG_SIGNUP_REQUEST;
    pc->free_credit_micros = cfg->free_credit_micros;
    pc->lockout_threshold = (int)cfg->lockout_threshold;
    pc->lockout_ms = cfg->lockout_minutes * 60 * 1000;
    pc->failures_per_hour = (int)cfg->failures_per_hour;
    pc->session_idle_ms = cfg->session_idle_hours * 3600 * 1000;
    pc->session_max_ms = cfg->session_max_days * 24 * 3600 * 1000;
    pc->reauth_ms = cfg->reauth_minutes * 60 * 1000;
    mg_pw_policy_parse(cfg->password_policy, &pc->password_policy);
    mg_strlcpy(pc->trusted_proxies, cfg->trusted_proxies, sizeof(pc->trusted_proxies));
    mg_strlcpy(pc->public_base_url, cfg->public_base_url, sizeof(pc->public_base_url));
    pc->secure_cookies = cfg->tls_cert[0] != '\0' || strncmp(cfg->public_base_url, "https://", 8) == 0;
    webauthn_rp(cfg, pc);
    pc->webauthn_require_uv = (int)cfg->webauthn_require_uv;
    pc->mfa_max_failures = (int)cfg->mfa_max_failures;
    mg_server_billing_config(cfg, &pc->billing);
    const char *tc = getenv("MG_TEST_CLOCK");
    pc->test_clock = tc != NULL && strcmp(tc, "1") == 0;
}

int mg_server_platform_start(const struct mg_config *cfg, const char *spec, const uint8_t secret[MG_SECRET_LEN],
                             struct mg_keycache *keys, const int serves[MG_REGION__COUNT],
                             struct mg_server_platform *p, char *err, size_t errlen)
{
    struct mg_mail_config mc;
    struct mg_platform_config pc;
    memset(p, 0, sizeof(*p));
    if (mg_pw_init() != MG_OK) {
        snprintf(err, errlen, "cannot set up password hashing (Argon2id needs 19 MiB per hash)");
        return MG_ERR;
    }
    if ((p->lists = mg_pw_lists_load(cfg->password_blocklist, cfg->password_dictionary, err, errlen)) == NULL)
        return MG_ERR;
    if (mg_server_mail_config(cfg, &mc, err, errlen) != MG_OK) {
        mg_server_platform_stop(p);
        return MG_ERR;
    }
    p->mailer = mg_mailer_new(&mc, err, errlen);
    sodium_memzero(mc.password, sizeof(mc.password));
    if (p->mailer == NULL) {
        mg_server_platform_stop(p);
        return MG_ERR;
    }
    /* the platform's calls (Argon2id, its queries) have threads and a queue of their own: a login storm
     * fills that queue, never the gateway's */
    p->pool = mg_pool_new((size_t)cfg->platform_workers, spec, (size_t)cfg->platform_queue);
    platform_config(cfg, &pc);
    memcpy(pc.serves, serves, sizeof(pc.serves)); /* a key may only be made for a region a channel serves */
    p->pf = mg_platform_new(&pc, p->pool, p->mailer, p->lists, secret);
    mg_platform_set_keycache(p->pf, keys);
    return MG_OK;
}

void mg_server_platform_stop(struct mg_server_platform *p)
{
    mg_pool_free(p->pool); /* its workers finish what they run */
    mg_platform_free(p->pf);
    mg_mailer_free(p->mailer); /* queued mails get their last attempt */
    mg_pw_lists_free(p->lists);
    memset(p, 0, sizeof(*p));
}
