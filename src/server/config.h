/*
 * config.h: maxgated's configuration file (INI, docs/operations.md).  One
 * option table in config.c describes every key: section, name, type, default,
 * bounds and target field; the loader walks it.
 */
#ifndef MG_SERVER_CONFIG_H
#define MG_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "core/region.h"
#include "billing/prices.h"

#define MG_CONFIG_MAX_CHANNELS 64
#define MG_PATH_MAX 1024
/* [price.MODEL] sections: a deployment prices tens of models, not thousands */
#define MG_CONFIG_MAX_PRICES 256

struct mg_config_channel {
    char name[64];
    enum mg_region region;
    int region_set;
    char base_url[512];
    char key_env[128];
    char key_file[MG_PATH_MAX];
    int64_t weight;
    char models[1024];
    char proxy[512];
};

struct mg_config {
    char file[MG_PATH_MAX];
    char dir[MG_PATH_MAX]; /* relative paths are resolved against this */
    /* [server] */
    char listen[256];
    int64_t threads;
    int64_t workers;
    char tls_cert[MG_PATH_MAX];
    char tls_key[MG_PATH_MAX];
    int64_t drain_timeout_ms;
    int64_t max_connections;
    int64_t request_timeout_ms;
    char public_base_url[256];
    char global_base_url[256];
    char cn_base_url[256];
    char access_log[MG_PATH_MAX];
    char log_level[16];
    /* [store] */
    char database[MG_PATH_MAX];
    char usage_journal[MG_PATH_MAX];
    /* [secrets] */
    char secrets_file[MG_PATH_MAX];
    /* [limits] */
    int64_t max_json_body;
    int64_t max_upload_body;
    int64_t max_upstream_body;
    /* [upstream] */
    int64_t connect_timeout_ms;
    int64_t first_byte_timeout_ms;
    int64_t idle_timeout_ms;
    int64_t cooldown_ms;
    char ca_file[MG_PATH_MAX];
    int64_t upstream_max_conns;
    int64_t upstream_max_idle;
    int64_t keepalive_ms;
    int64_t send_timeout_ms;
    int64_t stream_buffer;
    int64_t drain_usage_ms;
    int64_t drain_usage_bytes;
    /* [accounts] (the platform: AC-1..AC-6) */
    char signup_mode[16];        /* "open" | "request" */
    int64_t free_credit_micros;
    int64_t lockout_threshold;
    int64_t lockout_minutes;
    int64_t failures_per_hour;
    int64_t session_idle_hours;
    int64_t session_max_days;
    char password_policy[16];    /* "default" | "nist" */
    int64_t reauth_minutes;
    char trusted_proxies[512];
    char password_blocklist[MG_PATH_MAX];
    char password_dictionary[MG_PATH_MAX];
    char webauthn_rp_id[256];
    char webauthn_origin[256];
    int64_t webauthn_require_uv;
    int64_t mfa_max_failures;
    int64_t platform_workers;
    int64_t platform_queue;
    /* [mail] (docs/operations.md; the password is never in this file) */
    char smtp_url[512];
    char smtp_user[256];
    char smtp_password_env[128];
    char smtp_password_file[MG_PATH_MAX];
    char mail_starttls[16]; /* "" = required, or opportunistic for a loopback host */
    char mail_from[256];
    char mail_outbox_dir[MG_PATH_MAX];
    int64_t mail_queue_max;
    char mail_ca_file[MG_PATH_MAX];
    /* [billing] */
    int64_t ratio_ppm;
    /* [billing]: invoices (BL-6) */
    char billing_issuer_name[256];
    char billing_issuer_address[512]; /* lines separated by \n (the two characters) */
    char billing_issuer_tax_id[64];
    char billing_currency[4];
    char billing_bank_details[512];
    int64_t billing_check_ms;        /* how often the server looks for a month to close and overdue invoices */
    /* [price.MODEL]: rows added to or replacing the built-in price table, in file order */
    struct mg_price prices[MG_CONFIG_MAX_PRICES];
    size_t nprices;
    /* [channel.NAME] */
    struct mg_config_channel channels[MG_CONFIG_MAX_CHANNELS];
    size_t nchannels;
};

/* Loads `file` (which must exist) over the defaults.  MG_OK, or MG_ERR with a
 * message naming file, line and key in err. */
int mg_config_load(struct mg_config *cfg, const char *file, char *err, size_t errlen);

/* The store spec for the database ("sqlite:/abs/path"). */
void mg_config_store_spec(const struct mg_config *cfg, char *out, size_t cap);

#endif
