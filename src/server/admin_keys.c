/*
 * admin_keys.c: `maxgated admin key edit|rotate` and `revoke --key`
 * (docs/operations.md), run through the platform's own handlers in this
 * process (mg_platform_run_local), so they validate, audit, mail and notify
 * exactly as the API does.  The running server sees the change at its next
 * key poll.
 */
#include "server/server.h"
#include "core/log.h"
#include "core/mg.h"
#include "core/service.h"
#include "platform/platform.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Runs method path with body (may be NULL) as the operator; *doc gets the parsed answer on success (2xx).
 * 0, 1 on a failure (the reason on stderr). */
int mg_admin_platform_call(const struct mg_config *cfg, struct mg_store *s, const char *method, const char *path,
                           json_t *body, json_t **doc)
{
    char err[512];
    uint8_t secret[MG_SECRET_LEN];
    struct mg_mail_config mc;
    *doc = NULL;
    if (mg_secret_load(cfg->secrets_file, secret, err, sizeof(err)) != MG_OK ||
        mg_server_mail_config(cfg, &mc, err, sizeof(err)) != MG_OK) {
        fprintf(stderr, "maxgated: %s\n", err);
        sodium_memzero(secret, sizeof(secret));
        return 1;
    }
    struct mg_mailer *mailer = mg_mailer_new(&mc, err, sizeof(err));
    sodium_memzero(mc.password, sizeof(mc.password));
    if (mailer == NULL) {
        fprintf(stderr, "maxgated: %s\n", err);
        sodium_memzero(secret, sizeof(secret));
        return 1;
    }
    struct mg_platform_config pc;
    memset(&pc, 0, sizeof(pc));
    mg_strlcpy(pc.public_base_url, cfg->public_base_url, sizeof(pc.public_base_url));
    struct mg_platform *pf = mg_platform_new(&pc, NULL, mailer, NULL, secret);
    sodium_memzero(secret, sizeof(secret));
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL, *out = NULL;
    int status = mg_platform_run_local(pf, s, method, path, text, &out);
    if (text != NULL) {
        sodium_memzero(text, strlen(text)); /* may hold a full key (revoke --key) */
        free(text);
    }
    json_t *d = out && *out ? json_loads(out, 0, NULL) : NULL;
    if (out != NULL) {
        sodium_memzero(out, strlen(out)); /* a rotation's answer holds the new key */
        free(out);
    }
    mg_platform_free(pf);
    mg_mailer_free(mailer); /* sends what the command queued */
    if (status / 100 != 2) {
        const char *msg = json_string_value(json_object_get(json_object_get(d, "error"), "message"));
        fprintf(stderr, "maxgated: %s\n", msg ? msg : "the command failed");
        json_decref(d);
        return 1;
    }
    *doc = d;
    return 0;
}

/* The path of key public_id below its account's admin keys ("" suffix or "/rotate"). */
static int key_path(struct mg_store *s, const char *public_id, const char *suffix, char *path, size_t cap)
{
    struct mg_key_record k;
    int rc = s->ops->key_get(s, public_id, &k);
    if (rc == MG_DECLINED)
        fprintf(stderr, "maxgated: no key with public id %s\n", public_id);
    if (rc != MG_OK)
        return MG_ERR;
    snprintf(path, cap, "/admin/accounts/%lld/keys/%s%s", (long long)k.account_id, public_id, suffix);
    return MG_OK;
}

/* "a,b,c" as a JSON list of names ("" = the empty list). */
static json_t *name_list(const char *csv)
{
    json_t *arr = json_array();
    for (const char *p = csv; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0)
            json_array_append_new(arr, json_stringn(p, n));
        p += n + (e != NULL);
    }
    return arr;
}

int mg_admin_key_revoke_text(const struct mg_config *cfg, struct mg_store *s, const char *key)
{
    json_t *doc, *body = json_pack("{ss}", "key", key);
    int rc = mg_admin_platform_call(cfg, s, "POST", "/admin/keys/revoke-leaked", body, &doc);
    json_decref(body);
    if (rc == 0)
        fprintf(stderr, "revoked key %s of account %lld; its owner is told by mail and in the console\n",
                json_string_value(json_object_get(doc, "id")),
                (long long)json_integer_value(json_object_get(doc, "account_id")));
    json_decref(doc);
    return rc;
}

/* A limit's flag ("none", a whole number, or money) as the key API takes it; NULL if malformed. */
static json_t *limit_value(const char *flag, const char *v, int money)
{
    int64_t n;
    if (strcmp(v, "none") == 0)
        return json_null();
    if ((money ? mg_money_parse(v, &n) : mg_parse_i64(v, strlen(v), &n)) == MG_OK && n > 0)
        return json_integer(n);
    fprintf(stderr, "maxgated: --%s must be %s, or none; not '%s'\n", flag,
            money ? "an amount such as 5.00" : "a whole number of at least 1", v);
    return NULL;
}

int mg_admin_key_edit(const struct mg_config *cfg, struct mg_store *s, const char *public_id,
                      const struct mg_admin_key_edit *e)
{
    char path[256];
    const char *name = e->name, *scopes = e->scopes, *models = e->models;
    json_t *doc, *body = json_object();
    const struct {
        const char *flag, *field, *v;
        int money;
    } lim[] = {{"rpm", "rpm", e->rpm, 0}, {"tpm", "tpm", e->tpm, 0}, {"cap", "cap_micros", e->cap, 1}};
    for (size_t i = 0; i < MG_ARRAY_SIZE(lim); i++) {
        json_t *v = lim[i].v ? limit_value(lim[i].flag, lim[i].v, lim[i].money) : NULL;
        if (lim[i].v != NULL && v == NULL) {
            json_decref(body);
            return 2;
        }
        if (v != NULL)
            json_object_set_new(body, lim[i].field, v);
    }
    if (key_path(s, public_id, "", path, sizeof(path)) != MG_OK) {
        json_decref(body);
        return 1;
    }
    if (name != NULL)
        json_object_set_new(body, "name", json_string(name));
    if (scopes != NULL) {
        uint32_t bits;
        char list[256], bad[32];
        if (mg_scopes_parse(scopes, &bits, bad, sizeof(bad)) != MG_OK) {
            fprintf(stderr, "maxgated: unknown scope '%s' (chat, speech, video, image, music, voice, files, all)\n",
                    bad);
            json_decref(body);
            return 2;
        }
        mg_scopes_format(bits, list, sizeof(list));
        if (strcmp(list, "all") == 0) {
            json_t *all = json_array();
            for (int i = 0; i < MG_SVC_QUOTA; i++)
                json_array_append_new(all, json_string(mg_service_name((enum mg_service)i)));
            json_object_set_new(body, "scopes", all);
        } else {
            json_object_set_new(body, "scopes", name_list(list));
        }
    }
    if (models != NULL)
        json_object_set_new(body, "models", name_list(models));
    int rc = mg_admin_platform_call(cfg, s, "PATCH", path, body, &doc);
    json_decref(body);
    if (rc == 0) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(doc);
    return rc;
}

int mg_admin_key_rotate(const struct mg_config *cfg, struct mg_store *s, const char *public_id,
                        int64_t window_seconds)
{
    char path[256];
    json_t *doc, *body = json_object();
    if (key_path(s, public_id, "/rotate", path, sizeof(path)) != MG_OK) {
        json_decref(body);
        return 1;
    }
    if (window_seconds >= 0)
        json_object_set_new(body, "window_seconds", json_integer(window_seconds));
    int rc = mg_admin_platform_call(cfg, s, "POST", path, body, &doc);
    json_decref(body);
    if (rc == 0) {
        printf("%s\n", json_string_value(json_object_get(doc, "key"))); /* shown once (KY-2) */
        fflush(stdout);
        fprintf(stderr, "rotated key %s to %s; the old key stops at %s; the new key is shown only this once\n",
                public_id, json_string_value(json_object_get(doc, "id")),
                json_string_value(json_object_get(doc, "old_key_expires_at")));
        json_t *k = json_object_get(doc, "key");
        if (json_is_string(k)) /* wipe the key text jansson holds */
            sodium_memzero((char *)json_string_value(k), json_string_length(k));
    }
    json_decref(doc);
    return rc;
}
