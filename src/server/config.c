/* config.c: the option table and its INI loader (see config.h). */
#include "server/config.h"
#include "billing/prices.h"
#include "core/mg.h"

#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum opt_type { T_STR, T_PATH, T_INT, T_RATIO, T_CHOICE };

struct opt {
    const char *section, *name;
    enum opt_type type;
    size_t offset, size;
    const char *dflt;
    int64_t min, max;
    const char *choices; /* T_CHOICE: "a|b" */
};

#define S(sec, nm, field, d) {sec, nm, T_STR, offsetof(struct mg_config, field), sizeof(((struct mg_config *)0)->field), d, 0, 0, NULL}
#define P(sec, nm, field, d) {sec, nm, T_PATH, offsetof(struct mg_config, field), sizeof(((struct mg_config *)0)->field), d, 0, 0, NULL}
#define I(sec, nm, field, d, lo, hi) {sec, nm, T_INT, offsetof(struct mg_config, field), 0, d, lo, hi, NULL}
#define C(sec, nm, field, d, ch) {sec, nm, T_CHOICE, offsetof(struct mg_config, field), sizeof(((struct mg_config *)0)->field), d, 0, 0, ch}

static const struct opt opts[] = {
    S("server", "listen", listen, "127.0.0.1:8080"),
    I("server", "threads", threads, "0", 0, 256), /* 0 = number of cores */
    I("server", "workers", workers, "2", 1, 64),
    P("server", "tls_cert", tls_cert, ""),
    P("server", "tls_key", tls_key, ""),
    I("server", "drain_timeout_ms", drain_timeout_ms, "10000", 0, 3600000),
    /* open client connections over all threads; each holds a descriptor and its buffers */
    I("server", "max_connections", max_connections, "10000", 1, 1000000),
    /* a whole request (head and body) must arrive within this of the connection's start or of
     * its previous response (h2o's http1 req_timeout): slowloris clients and idle keep-alive close */
    I("server", "request_timeout_ms", request_timeout_ms, "30000", 100, 3600000),
    S("server", "public_base_url", public_base_url, ""),
    S("server", "global_base_url", global_base_url, ""),
    S("server", "cn_base_url", cn_base_url, ""),
    P("server", "access_log", access_log, "-"),
    S("server", "log_level", log_level, "info"),
    P("store", "database", database, "maxgate.db"),
    P("store", "usage_journal", usage_journal, "usage.journal"),
    P("secrets", "file", secrets_file, "secrets"),
    /* 2 MiB of JSON is far more than any chat request; 20 MiB covers MiniMax's own upload limit */
    I("limits", "max_json_body", max_json_body, "2097152", 1024, 1073741824),
    I("limits", "max_upload_body", max_upload_body, "20971520", 1024, 1073741824),
    /* non-streamed answers (images in base64, speech in hex) are read whole up to this */
    I("limits", "max_upstream_body", max_upstream_body, "67108864", 65536, 1073741824),
    I("upstream", "connect_timeout_ms", connect_timeout_ms, "5000", 10, 600000),
    I("upstream", "first_byte_timeout_ms", first_byte_timeout_ms, "60000", 10, 3600000),
    I("upstream", "idle_timeout_ms", idle_timeout_ms, "60000", 10, 3600000),
    I("upstream", "cooldown_ms", cooldown_ms, "30000", 0, 3600000),
    P("upstream", "ca_file", ca_file, ""),
    /* per channel and loop thread (a stream holds one for its whole length); past it a request waits for
     * a connection within connect_timeout_ms, then gets 503 overloaded */
    I("upstream", "max_connections", upstream_max_conns, "4096", 1, 1000000),
    I("upstream", "max_idle", upstream_max_idle, "64", 0, 100000),
    /* below every common server keep-alive timeout, so we close first (no race with the upstream's close) */
    I("upstream", "keepalive_ms", keepalive_ms, "2000", 1, 600000),
    /* a stream whose client takes nothing this long is ended and billed for what it carried */
    I("server", "send_timeout_ms", send_timeout_ms, "60000", 10, 3600000),
    /* a stream stops reading its upstream when this much waits for the client (memory per stream) */
    I("limits", "stream_buffer", stream_buffer, "262144", 16384, 67108864),
    /* a client left mid-stream: read (and drop) the upstream this long / this much for its usage frame; 0 = not */
    I("limits", "drain_usage_ms", drain_usage_ms, "10000", 0, 600000),
    I("limits", "drain_usage_bytes", drain_usage_bytes, "8388608", 0, 1073741824),
    S("mail", "smtp_url", smtp_url, ""), /* "" = mails go to outbox_dir */
    S("mail", "smtp_user", smtp_user, ""),
    S("mail", "smtp_password_env", smtp_password_env, ""),
    P("mail", "smtp_password_file", smtp_password_file, ""),
    S("mail", "starttls", mail_starttls, ""),
    S("mail", "from", mail_from, "maxgate <noreply@localhost>"),
    P("mail", "outbox_dir", mail_outbox_dir, "outbox"),
    /* mails waiting for the mail thread; each holds one rendered message (a few KiB) */
    I("mail", "queue_max", mail_queue_max, "1000", 1, 1000000),
    P("mail", "ca_file", mail_ca_file, ""),
    {"billing", "ratio", T_RATIO, offsetof(struct mg_config, ratio_ppm), 0, "1", 0, 100 * MG_RATIO_ONE, NULL},
    /* invoices (BL-6): who issues them, in what currency, and where to pay (the manual provider) */
    S("billing", "issuer_name", billing_issuer_name, "maxgate"),
    S("billing", "issuer_address", billing_issuer_address, ""), /* lines separated by \n */
    S("billing", "issuer_tax_id", billing_issuer_tax_id, ""),
    S("billing", "currency", billing_currency, "USD"),
    S("billing", "bank_details", billing_bank_details, ""),
    /* the server's billing thread: closes the previous month after its end, sends overdue reminders */
    I("billing", "check_interval_ms", billing_check_ms, "60000", 100, 86400000),
    /* the platform's own workers (Argon2id, its database calls): never the gateway's */
    I("server", "platform_workers", platform_workers, "2", 1, 64),
    /* platform calls waiting for those workers; past it a call gets 503 overloaded (never the gateway) */
    I("server", "platform_queue", platform_queue, "512", 1, 100000),
    C("accounts", "signup_mode", signup_mode, "request", "open|request"),
    I("accounts", "free_credit_micros", free_credit_micros, "0", 0, 1000000000000LL),
    I("accounts", "lockout_threshold", lockout_threshold, "5", 1, 100),
    I("accounts", "lockout_minutes", lockout_minutes, "15", 1, 1440),
    /* NIST SP 800-63B 5.2.2: at most 100 failed attempts per account, whatever the IPs */
    I("accounts", "failures_per_hour", failures_per_hour, "100", 1, 100),
    I("accounts", "session_idle_hours", session_idle_hours, "24", 1, 720),
    I("accounts", "session_max_days", session_max_days, "30", 1, 365),
    C("accounts", "password_policy", password_policy, "default", "default|nist"),
    I("accounts", "reauth_minutes", reauth_minutes, "10", 1, 1440),
    S("accounts", "trusted_proxies", trusted_proxies, ""),
    /* security keys (WebAuthn): empty = the host / origin of [server] public_base_url */
    S("accounts", "webauthn_rp_id", webauthn_rp_id, ""),
    S("accounts", "webauthn_origin", webauthn_origin, ""),
    I("accounts", "webauthn_require_uv", webauthn_require_uv, "0", 0, 1),
    /* wrong second-factor codes before a sign-in starts over (and counts as a failed login) */
    I("accounts", "mfa_max_failures", mfa_max_failures, "5", 1, 10),
    P("accounts", "password_blocklist", password_blocklist, "/usr/share/john/password.lst"),
    P("accounts", "password_dictionary", password_dictionary, "/usr/share/dict/words"),
};

struct load_ctx {
    struct mg_config *cfg;
    char *err;
    size_t errlen;
    int failed;
    int line; /* Debian's inih passes no line number: the reader counts lines */
    FILE *f;
};

static char *read_line(char *str, int num, void *stream)
{
    struct load_ctx *lc = stream;
    lc->line++;
    return fgets(str, num, lc->f);
}

/* value as an absolute path: relative ones are taken from the config's folder. */
static int join_path(const char *dir, const char *value, char *out, size_t cap)
{
    int n = value[0] == '/' ? snprintf(out, cap, "%s", value) : snprintf(out, cap, "%s/%s", dir, value);
    return n < 0 || (size_t)n >= cap ? MG_DECLINED : MG_OK;
}

static int set_value(struct load_ctx *lc, const struct opt *o, const char *value, int line)
{
    char *field = (char *)lc->cfg + o->offset;
    int64_t v;
    switch (o->type) {
    case T_STR:
        if (mg_strlcpy(field, value, o->size) >= o->size)
            goto too_long;
        return MG_OK;
    case T_PATH:
        if (value[0] == '\0' || value[0] == '/' || strcmp(value, "-") == 0 || strcmp(value, "off") == 0) {
            if (mg_strlcpy(field, value, o->size) >= o->size)
                goto too_long;
        } else if (join_path(lc->cfg->dir, value, field, o->size) != MG_OK) {
            goto too_long;
        }
        return MG_OK;
    case T_INT:
        if (mg_parse_i64(value, strlen(value), &v) != MG_OK || v < o->min || v > o->max) {
            snprintf(lc->err, lc->errlen, "%s:%d: [%s] %s must be a whole number from %lld to %lld, not '%s'",
                     lc->cfg->file, line, o->section, o->name, (long long)o->min, (long long)o->max, value);
            return MG_ERR;
        }
        *(int64_t *)field = v;
        return MG_OK;
    case T_CHOICE: {
        size_t n = strlen(value);
        for (const char *p = o->choices; *p;) {
            const char *e = strchr(p, '|');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == n && strncmp(p, value, n) == 0) {
                mg_strlcpy(field, value, o->size);
                return MG_OK;
            }
            p += len + (e != NULL);
        }
        snprintf(lc->err, lc->errlen, "%s:%d: [%s] %s must be one of %s, not '%s'", lc->cfg->file, line, o->section,
                 o->name, o->choices, value);
        return MG_ERR;
    }
    case T_RATIO:
        if (mg_ratio_parse(value, &v) != MG_OK || v > o->max) {
            snprintf(lc->err, lc->errlen, "%s:%d: [%s] %s must be a ratio like 0.40 or 40%%, not '%s'",
                     lc->cfg->file, line, o->section, o->name, value);
            return MG_ERR;
        }
        *(int64_t *)field = v;
        return MG_OK;
    }
    return MG_ERR;
too_long:
    snprintf(lc->err, lc->errlen, "%.900s:%d: [%s] %s is too long", lc->cfg->file, line, o->section, o->name);
    return MG_ERR;
}

static struct mg_config_channel *channel_for(struct mg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nchannels; i++)
        if (strcmp(cfg->channels[i].name, name) == 0)
            return &cfg->channels[i];
    if (cfg->nchannels == MG_CONFIG_MAX_CHANNELS)
        return NULL;
    struct mg_config_channel *c = &cfg->channels[cfg->nchannels++];
    memset(c, 0, sizeof(*c));
    mg_strlcpy(c->name, name, sizeof(c->name));
    c->weight = 1;
    return c;
}

/* Compares a config field name (never a value). */
static int field_is(const char *name, const char *field) { return strcmp(name, field) == 0; }

static int channel_value(struct load_ctx *lc, const char *section, const char *name, const char *value, int line)
{
    struct mg_config_channel *c = channel_for(lc->cfg, section + 8);
    if (c == NULL) {
        snprintf(lc->err, lc->errlen, "%s:%d: too many channels (at most %d)", lc->cfg->file, line,
                 MG_CONFIG_MAX_CHANNELS);
        return MG_ERR;
    }
    if (field_is(name, "region")) {
        if (mg_region_parse(value, &c->region) != MG_OK) {
            snprintf(lc->err, lc->errlen, "%s:%d: [%s] region must be global or cn, not '%s'", lc->cfg->file, line,
                     section, value);
            return MG_ERR;
        }
        c->region_set = 1;
    } else if (field_is(name, "base_url")) {
        mg_strlcpy(c->base_url, value, sizeof(c->base_url));
    } else if (field_is(name, "key_env")) {
        mg_strlcpy(c->key_env, value, sizeof(c->key_env));
    } else if (field_is(name, "key_file")) {
        if (join_path(lc->cfg->dir, value, c->key_file, sizeof(c->key_file)) != MG_OK) {
            snprintf(lc->err, lc->errlen, "%.900s:%d: [%s] key_file is too long", lc->cfg->file, line, section);
            return MG_ERR;
        }
    } else if (field_is(name, "weight")) {
        if (mg_parse_i64(value, strlen(value), &c->weight) != MG_OK || c->weight < 1 || c->weight > 1000000) {
            snprintf(lc->err, lc->errlen, "%s:%d: [%s] weight must be a whole number from 1 to 1000000",
                     lc->cfg->file, line, section);
            return MG_ERR;
        }
    } else if (field_is(name, "models")) {
        mg_strlcpy(c->models, value, sizeof(c->models));
    } else if (field_is(name, "proxy")) {
        mg_strlcpy(c->proxy, value, sizeof(c->proxy));
    } else if (field_is(name, "key") || field_is(name, "api_key")) {
        snprintf(lc->err, lc->errlen,
                 "%s:%d: [%s] upstream keys never go in the config file; use key_env = VARIABLE or key_file = PATH "
                 "(or `maxgated admin channel add --key-stdin`)",
                 lc->cfg->file, line, section);
        return MG_ERR;
    } else {
        snprintf(lc->err, lc->errlen,
                 "%s:%d: [%s] unknown key '%s' (known: region, base_url, key_env, key_file, weight, models, proxy)",
                 lc->cfg->file, line, section, name);
        return MG_ERR;
    }
    return MG_OK;
}

/* A [price.MODEL] section is one whole row of the price table: columns it
 * does not set are 0 (unpriced), so an override never half-inherits a
 * built-in row.  MODEL is a model name or a pattern with one '*'. */
static int price_value(struct load_ctx *lc, const char *section, const char *name, const char *value, int line)
{
    const char *model = section + 6;
    struct mg_price *p = NULL;
    if (!mg_model_name_valid(model, strlen(model), 1)) {
        snprintf(lc->err, lc->errlen,
                 "%s:%d: [%.100s]: a model name is 1 to %d letters, digits and . _ : / - (one '*' for a pattern)",
                 lc->cfg->file, line, section, MG_MODEL_NAME_MAX);
        return MG_ERR;
    }
    for (size_t i = 0; i < lc->cfg->nprices && p == NULL; i++)
        if (strcmp(lc->cfg->prices[i].model, model) == 0)
            p = &lc->cfg->prices[i];
    if (p == NULL) {
        if (lc->cfg->nprices == MG_CONFIG_MAX_PRICES) {
            snprintf(lc->err, lc->errlen, "%s:%d: too many [price.MODEL] sections (at most %d)", lc->cfg->file, line,
                     MG_CONFIG_MAX_PRICES);
            return MG_ERR;
        }
        p = &lc->cfg->prices[lc->cfg->nprices++];
        memset(p, 0, sizeof(*p));
        mg_strlcpy(p->model, model, sizeof(p->model));
    }
    int rc = mg_price_set_column(p, name, value);
    if (rc == MG_ERR)
        snprintf(lc->err, lc->errlen, "%s:%d: [%s] unknown key '%s' (known: %s)", lc->cfg->file, line, section, name,
                 mg_price_columns());
    else if (rc != MG_OK)
        snprintf(lc->err, lc->errlen,
                 "%s:%d: [%s] %s must be %s, not '%s'", lc->cfg->file, line, section, name,
                 field_is(name, "max_output_tokens") ? "a whole number of at least 1"
                                                        : "an amount like 0.30 (at most 6 decimals)",
                 value);
    return rc == MG_OK ? MG_OK : MG_ERR;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *lc = user;
    int line = lc->line;
    if (lc->failed)
        return 0;
    if (strncmp(section, "channel.", 8) == 0 && section[8] != '\0') {
        if (channel_value(lc, section, name, value, line) != MG_OK)
            goto fail;
        return 1;
    }
    if (strncmp(section, "price.", 6) == 0) {
        if (price_value(lc, section, name, value, line) != MG_OK)
            goto fail;
        return 1;
    }
    if (strcmp(section, "mail") == 0 && (field_is(name, "smtp_password") || field_is(name, "password"))) {
        snprintf(lc->err, lc->errlen, "%s:%d: [mail] the SMTP password never goes in the config file; use "
                 "smtp_password_env = VARIABLE or smtp_password_file = PATH", lc->cfg->file, line);
        goto fail;
    }
    int section_known = 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(opts); i++) {
        if (strcmp(opts[i].section, section) != 0)
            continue;
        section_known = 1;
        if (strcmp(opts[i].name, name) == 0) {
            if (set_value(lc, &opts[i], value, line) != MG_OK)
                goto fail;
            return 1;
        }
    }
    snprintf(lc->err, lc->errlen, section_known ? "%s:%d: unknown key '%s' in [%s] (see docs/operations.md)"
                                                : "%s:%d: unknown key '%s' in unknown section [%s] (see docs/operations.md)",
             lc->cfg->file, line, name, section);
fail:
    lc->failed = 1;
    return 0;
}

int mg_config_load(struct mg_config *cfg, const char *file, char *err, size_t errlen)
{
    struct load_ctx lc = {cfg, err, errlen, 0, 0, NULL};
    char tmp[MG_PATH_MAX];
    memset(cfg, 0, sizeof(*cfg));
    if (realpath(file, cfg->file) == NULL) {
        snprintf(err, errlen, "cannot read config file %s: %s (create one as in docs/operations.md)", file,
                 strerror(errno));
        return MG_ERR;
    }
    mg_strlcpy(tmp, cfg->file, sizeof(tmp));
    mg_strlcpy(cfg->dir, dirname(tmp), sizeof(cfg->dir));
    for (size_t i = 0; i < MG_ARRAY_SIZE(opts); i++)
        if (set_value(&lc, &opts[i], opts[i].dflt, 0) != MG_OK)
            return MG_ERR;
    if ((lc.f = fopen(cfg->file, "r")) == NULL) {
        snprintf(err, errlen, "cannot read config file %s: %s", cfg->file, strerror(errno));
        return MG_ERR;
    }
    int rc = ini_parse_stream(read_line, &lc, on_ini, &lc);
    fclose(lc.f);
    if (lc.failed)
        return MG_ERR;
    if (rc != 0) {
        snprintf(err, errlen, rc > 0 ? "%s:%d: syntax error (expected [section] or key = value)"
                                     : "cannot read config file %s (%d)",
                 cfg->file, rc);
        return MG_ERR;
    }
    for (size_t i = 0; i < cfg->nchannels; i++) {
        struct mg_config_channel *c = &cfg->channels[i];
        if (!c->region_set || c->base_url[0] == '\0' || (c->key_env[0] == '\0') == (c->key_file[0] == '\0')) {
            snprintf(err, errlen,
                     "%s: [channel.%s] needs region, base_url and exactly one of key_env or key_file", cfg->file,
                     c->name);
            return MG_ERR;
        }
    }
    const char *st = cfg->mail_starttls;
    const char *cur = cfg->billing_currency;
    if (strlen(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z' || cur[1] < 'A' || cur[1] > 'Z' || cur[2] < 'A' || cur[2] > 'Z') {
        snprintf(err, errlen, "%s: [billing] currency must be three capital letters (ISO 4217, e.g. USD), not '%s'",
                 cfg->file, cur);
        return MG_ERR;
    }
    if (st[0] && strcmp(st, "required") != 0 && strcmp(st, "opportunistic") != 0 && strcmp(st, "off") != 0) {
        snprintf(err, errlen, "%s: [mail] starttls must be required, opportunistic or off, not '%s'", cfg->file, st);
        return MG_ERR;
    }
    if (cfg->smtp_password_env[0] && cfg->smtp_password_file[0]) {
        snprintf(err, errlen, "%s: [mail] set smtp_password_env or smtp_password_file, not both", cfg->file);
        return MG_ERR;
    }
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        snprintf(err, errlen, "%s: [server] tls_cert and tls_key go together: set both or neither", cfg->file);
        return MG_ERR;
    }
    return MG_OK;
}

void mg_config_store_spec(const struct mg_config *cfg, char *out, size_t cap)
{
    snprintf(out, cap, "sqlite:%s", cfg->database);
}
