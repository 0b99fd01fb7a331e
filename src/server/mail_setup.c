/*
 * mail_setup.c: the [mail] section as the mail layer's configuration (the
 * SMTP password resolved as channel keys are: from an environment variable or
 * a file, never the config file), and `maxgated admin mail test`.
 */
#include "server/server.h"
#include "core/mg.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_password(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (f == NULL) {
        snprintf(err, errlen, "[mail] cannot read smtp_password_file %s: %s", path, strerror(errno));
        return MG_ERR;
    }
    char *ok = fgets(line, sizeof(line), f);
    fclose(f);
    line[ok ? strcspn(line, "\r\n") : 0] = '\0';
    int rc = MG_OK;
    if (line[0] == '\0') {
        snprintf(err, errlen, "[mail] smtp_password_file %s is empty", path);
        rc = MG_ERR;
    } else if (mg_strlcpy(out, line, cap) >= cap) {
        snprintf(err, errlen, "[mail] the password in smtp_password_file %s is too long", path);
        rc = MG_ERR;
    }
    sodium_memzero(line, sizeof(line));
    return rc;
}

/* 1 if the URL's host is localhost, 127.0.0.0/8 or ::1. */
static int loopback_host(const char *url)
{
    const char *h = strstr(url, "://");
    char host[256];
    if (h == NULL)
        return 0;
    h += 3;
    size_t n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/");
    if (n >= sizeof(host))
        return 0;
    memcpy(host, h, n);
    host[n] = '\0';
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0;
}

int mg_server_mail_config(const struct mg_config *cfg, struct mg_mail_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    mg_strlcpy(out->smtp_url, cfg->smtp_url, sizeof(out->smtp_url));
    mg_strlcpy(out->user, cfg->smtp_user, sizeof(out->user));
    mg_strlcpy(out->ca_file, cfg->mail_ca_file, sizeof(out->ca_file));
    mg_strlcpy(out->from, cfg->mail_from, sizeof(out->from));
    mg_strlcpy(out->outbox_dir, cfg->mail_outbox_dir, sizeof(out->outbox_dir));
    mg_strlcpy(out->public_base_url, cfg->public_base_url, sizeof(out->public_base_url));
    mg_strlcpy(out->product, "maxgate", sizeof(out->product));
    out->queue_max = (size_t)cfg->mail_queue_max;
    const char *st = cfg->mail_starttls;
    out->starttls = strcmp(st, "off") == 0             ? MG_STARTTLS_OFF
                    : strcmp(st, "opportunistic") == 0 ? MG_STARTTLS_OPPORTUNISTIC
                    : strcmp(st, "required") == 0      ? MG_STARTTLS_REQUIRED
                    : loopback_host(cfg->smtp_url)     ? MG_STARTTLS_OPPORTUNISTIC
                                                       : MG_STARTTLS_REQUIRED;
    int has_secret = cfg->smtp_password_env[0] || cfg->smtp_password_file[0];
    if (has_secret && cfg->smtp_user[0] == '\0') {
        snprintf(err, errlen, "[mail] an SMTP password needs smtp_user");
        return MG_ERR;
    }
    if (cfg->smtp_user[0] && !has_secret) {
        snprintf(err, errlen, "[mail] smtp_user needs smtp_password_env or smtp_password_file");
        return MG_ERR;
    }
    if (cfg->smtp_password_env[0]) {
        const char *v = getenv(cfg->smtp_password_env);
        if (v == NULL || v[0] == '\0') {
            snprintf(err, errlen, "[mail] environment variable %s (the SMTP password) is not set",
                     cfg->smtp_password_env);
            return MG_ERR;
        }
        if (mg_strlcpy(out->password, v, sizeof(out->password)) >= sizeof(out->password)) {
            sodium_memzero(out->password, sizeof(out->password));
            snprintf(err, errlen, "[mail] the SMTP password in %s is too long", cfg->smtp_password_env);
            return MG_ERR;
        }
    } else if (cfg->smtp_password_file[0] &&
               read_password(cfg->smtp_password_file, out->password, sizeof(out->password), err, errlen) != MG_OK) {
        sodium_memzero(out->password, sizeof(out->password));
        return MG_ERR;
    }
    if (mg_mail_config_check(out, err, errlen) != MG_OK) {
        sodium_memzero(out->password, sizeof(out->password));
        return MG_ERR;
    }
    return MG_OK;
}

int mg_cmd_admin_mail(const struct mg_config *cfg, const char *verb, const char *to)
{
    struct mg_mail_config mc;
    char err[768], where[1200];
    if (strcmp(verb, "test") != 0) {
        fprintf(stderr, "maxgated: unknown command 'admin mail %s' (test)\n", verb);
        return 2;
    }
    if (to == NULL || to[0] == '\0') {
        fprintf(stderr, "maxgated: this command needs --to\n");
        return 2;
    }
    if (!mg_mail_address_valid(to)) {
        fprintf(stderr, "maxgated: --to must be a plain address like alice@example.com\n");
        return 2;
    }
    if (mg_server_mail_config(cfg, &mc, err, sizeof(err)) != MG_OK) {
        fprintf(stderr, "maxgated: %s: %s\n", cfg->file, err);
        return 1;
    }
    int rc = mg_mail_send_now(&mc, MG_MAIL_TEST, to, NULL, where, sizeof(where), err, sizeof(err));
    sodium_memzero(mc.password, sizeof(mc.password));
    if (rc != MG_OK) {
        fprintf(stderr, "maxgated: mail test to %s through %s failed: %s\n", to,
                mc.smtp_url[0] ? mc.smtp_url : "the outbox", err);
        return 1;
    }
    if (where[0])
        printf("mail test: no smtp_url is set; the mail to %s was written to %s\n", to, where);
    else
        printf("mail test: the mail to %s was accepted by %s\n", to, mc.smtp_url);
    return 0;
}
