/*
 * platform.h: the account platform's JSON API under /platform/v1/
 * (PLATFORM-API.md) as the server sees it.  It has its own worker pool (a
 * login storm's Argon2id work never waits in front of the gateway's database
 * jobs), its own route table, and never touches the gateway's path.
 */
#ifndef MG_PLATFORM_PLATFORM_H
#define MG_PLATFORM_PLATFORM_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <stdint.h>
#include "auth/password.h"
#include "billing/close.h"
#include "core/channel_record.h"
#include "core/region.h"
#include "mail/mail.h"
#include "runtime/pool.h"

enum mg_signup_mode { MG_SIGNUP_REQUEST = 0, MG_SIGNUP_OPEN = 1 };

struct mg_platform_config {
    enum mg_signup_mode signup_mode;
    int64_t free_credit_micros;   /* given at activation */
    int lockout_threshold;        /* consecutive failures that lock (AC-3; default 5) */
    int64_t lockout_ms;           /* default 15 min */
    int failures_per_hour;        /* per account from any IPs (default 100) */
    int64_t session_idle_ms;      /* default 24 h, sliding */
    int64_t session_max_ms;       /* default 30 days, absolute */
    int64_t reauth_ms;            /* step-up window, default 10 min */
    enum mg_pw_policy password_policy;
    char trusted_proxies[512];    /* comma-separated peer IPs whose X-Forwarded-For is believed */
    char public_base_url[256];
    int secure_cookies;           /* https: the __Host- cookie with Secure */
    size_t max_body;              /* a platform request body (default 64 KiB) */
    char webauthn_rp_id[256];     /* the RP ID: the host of public_base_url unless set */
    char webauthn_origin[256];    /* the origin browsers report: scheme://host[:port] of public_base_url unless set */
    int webauthn_require_uv;      /* security keys must verify the user (PIN, biometrics) */
    int mfa_max_failures;         /* wrong second-factor codes before the sign-in starts over (default 5, at most 10) */
    int serves[MG_REGION__COUNT]; /* 1 for a region this node has a channel for (keys are made only for those;
                                   * none set = not known, as in operator commands: any region) */
    int test_clock;               /* MG_TEST_CLOCK=1: POST /platform/v1/test/clock moves the clock (tests only) */
    struct mg_billing_config billing; /* [billing]: the invoices' issuer, currency, bank details */
};

struct mg_platform;

/* Builds the platform.  pool (the platform's own), mailer and lists are
 * borrowed and must outlive it; secret is the server secret (subkeys are
 * derived from it; a copy is kept for API key digests and wiped by mg_platform_free). */
struct mg_platform *mg_platform_new(const struct mg_platform_config *cfg, struct mg_pool *pool,
                                    struct mg_mailer *mailer, struct mg_pw_lists *lists, const uint8_t secret[32]);
void mg_platform_free(struct mg_platform *pf);
/* The node's key cache (borrowed): suspending an account syncs it before answering, so the account's
 * keys stop at this node's next request (other nodes follow within their poll interval). */
struct mg_keycache;
void mg_platform_set_keycache(struct mg_platform *pf, struct mg_keycache *keys);
/* The node's usage meter (borrowed): the cap's answers say what this month has spent. */
struct mg_meter;
void mg_platform_set_meter(struct mg_platform *pf, struct mg_meter *meter);
/* The usage writer's spending-alert checks (borrowed): a new alert is checked from the next commit. */
struct mg_alerts;
void mg_platform_set_alerts(struct mg_platform *pf, struct mg_alerts *alerts);
/* The gateway's live price book (borrowed) and what publishes a new table after a change made here. */
struct mg_pricebook;
struct mg_store;
void mg_platform_set_prices(struct mg_platform *pf, struct mg_pricebook *book,
                            int (*reload)(void *arg, struct mg_store *s), void *arg);

/* The upstream channels as the admin API sees them (h_channels.c).  The platform never includes the
 * gateway: the server gives it these callbacks, made with the gateway's functions and the server secret. */
struct mg_platform_channel_live {
    int enabled;
    int64_t cooling_down_until_ms; /* 0 = not resting */
    uint64_t failures;             /* failed attempts since the start */
    int64_t last_failure_ms;       /* 0 = none */
};
struct mg_platform_channel_ops {
    void *arg;
    const struct mg_channel_record *config; /* the [channel.NAME] sections (key_ref "env:VAR" / "file:PATH") */
    size_t nconfig;
    size_t max_channels;                     /* config + database channels the gateway takes */
    /* The running gateway's state of channel name: MG_OK, or MG_DECLINED when it is not running (its
     * stored key could not be opened at the start, or its base URL was refused). */
    int (*state)(void *arg, const char *name, struct mg_platform_channel_live *out);
    /* Takes the running channel name into picks or out of them now: MG_OK, or MG_DECLINED when not running. */
    int (*set_enabled)(void *arg, const char *name, int on);
    /* Runs database channel r (its key sealed in r, or env/file) from the next request on: added, or a new
     * version of the running one (requests on the old one finish on it).  Opens the key and makes the TLS
     * context here (call it on a worker).  MG_OK, or MG_DECLINED with a sentence in err (the ceiling of
     * channels, a setting that cannot work, a key that cannot be opened), never holding the key. */
    int (*apply)(void *arg, const struct mg_channel_record *r, char *err, size_t errlen);
    /* Takes the running channel name out of picks for good; requests on it finish.  MG_OK or MG_DECLINED. */
    int (*remove)(void *arg, const char *name);
    /* Seals an upstream key with the server secret into out: its length, 0 when it does not fit. */
    size_t (*seal)(void *arg, const char *plain, uint8_t *out, size_t cap);
    /* The plaintext key of r (env, file or sealed), malloc'd (wipe and free it); NULL with a sentence in
     * err that never holds the key. */
    char *(*open_key)(void *arg, const struct mg_channel_record *r, char *err, size_t errlen);
    int connect_timeout_ms; /* for the test request */
    int timeout_ms;
    char ca_file[1024];     /* extra trusted CA, as the gateway's */
};
/* Copies ops (what it points to is borrowed and must outlive the platform).  Without it (operator
 * commands) the channel routes list only database channels and cannot test or switch them. */
void mg_platform_set_channel_ops(struct mg_platform *pf, const struct mg_platform_channel_ops *ops);

/* Runs one platform route in this process for an operator command (`maxgated admin accounts ...`):
 * the same handler the API runs, as an admin (id 0, IP "local" in the audit log), against store s.
 * path is below /platform/v1 with an optional query; body may be NULL.  Returns the HTTP status;
 * *out gets the answer's body (malloc). */
int mg_platform_run_local(struct mg_platform *pf, struct mg_store *s, const char *method, const char *path,
                          const char *body, char **out);

/* Calls accepted and not yet answered (graceful drain waits for them). */
size_t mg_platform_inflight(struct mg_platform *pf);

/* Registers the handler on /platform/v1 of hostconf. */
void mg_platform_register(struct mg_platform *pf, h2o_hostconf_t *hostconf);

#endif
