/*
 * cmd_keys.c: `maxgate keys ...`, the signed-in account's API keys
 * (/platform/v1/keys): list, create, show, edit, revoke, rotate.
 *
 * The full key exists once, in the answer of create and rotate: in text mode
 * it is the only thing on stdout (so `KEY=$(maxgate keys create --name x)`
 * works) and the sentence about it goes to stderr; in JSON mode the answer is
 * printed as it came.  Create and rotate need a recent sign-in: on
 * reauth_required the password is read (terminal, or --password-stdin) or
 * --totp-code is used, POST /me/reauth, and the call is made once more.
 */
#include "cli/cli.h"
#include "core/account.h"
#include "core/money.h"
#include "core/mg.h"
#include "core/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST_MAX 64     /* entries of --scopes / --models */
#define MODEL_MAX 128   /* bytes of one model name */
#define WINDOW_MAX 2592000

/* Splits csv on ',' into a JSON array of trimmed, non-empty strings; each
 * entry is checked by ok().  NULL with err filled on a bad entry or more
 * than LIST_MAX entries; "" is []. */
static json_t *csv_array(const char *csv, int (*ok)(const char *s, size_t n), const char *what, char *err,
                         size_t errlen)
{
    json_t *arr = json_array();
    const char *p = csv ? csv : "";
    int more = *p != '\0'; /* "" is [], "a," has an empty last entry */
    while (more) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n == 0 || !ok(s, n)) {
            snprintf(err, errlen, "bad %s entry '%.*s'", what, (int)(n > 64 ? 64 : n), s);
            json_decref(arr);
            return NULL;
        }
        if (json_array_size(arr) >= LIST_MAX) {
            snprintf(err, errlen, "at most %d %s entries", LIST_MAX, what);
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, json_stringn(s, n));
        more = end != NULL;
        p = end ? end + 1 : p + strlen(p);
    }
    return arr;
}

static int scope_ok(const char *s, size_t n)
{
    char name[32];
    enum mg_service svc;
    if (n >= sizeof(name))
        return 0;
    memcpy(name, s, n);
    name[n] = '\0';
    return mg_service_parse(name, &svc) == MG_OK && svc != MG_SVC_QUOTA;
}

static int model_ok(const char *s, size_t n)
{
    if (n > MODEL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] == 0x7f)
            return 0;
    return 1;
}

json_t *mg_cli_keys_scopes(const char *csv, char *err, size_t errlen)
{
    json_t *a = csv_array(csv, scope_ok, "scope", err, errlen);
    if (a != NULL && json_array_size(a) == 0) {
        snprintf(err, errlen, "give at least one scope (chat, speech, video, image, music, voice, files)");
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *mg_cli_keys_models(const char *csv, char *err, size_t errlen)
{
    return csv_array(csv, model_ok, "model", err, errlen);
}

int mg_cli_keys_window(const char *s, int64_t *out)
{
    if (s == NULL || mg_parse_i64(s, strlen(s), out) != MG_OK || *out < 0 || *out > WINDOW_MAX)
        return MG_ERR;
    return MG_OK;
}

int mg_cli_key_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

static const struct mg_cli_col key_cols[] = {
    {"id", "id", 0},         {"name", "name", 24},        {"region", "region", 0},
    {"status", "status", 0}, {"created", "created_at", 0}, {"last used", "last_used_at", 0},
    {"expires", "expires_at", 0}, {"unused 90d", "unused_90d", 0},
};

static const struct mg_cli_col key_fields[] = {
    {"id", "id", 0},           {"name", "name", 0},          {"prefix", "prefix", 0},
    {"region", "region", 0},   {"status", "status", 0},      {"created", "created_at", 0},
    {"last used", "last_used_at", 0}, {"expires", "expires_at", 0}, {"unused 90 days", "unused_90d", 0},
};

/* Text mode of one key object: the fields, then scopes and models joined. */
static void print_key(json_t *k)
{
    mg_cli_fields(stdout, k, key_fields, MG_ARRAY_SIZE(key_fields));
    const char *names[] = {"scopes", "models"};
    for (size_t n = 0; n < 2; n++) {
        json_t *arr = json_object_get(k, names[n]), *v;
        size_t i;
        printf("%-16s", names[n]);
        if (json_array_size(arr) == 0)
            printf(n == 0 ? "-" : "any");
        json_array_foreach(arr, i, v) printf("%s%s", i ? "," : "", json_string_value(v) ? json_string_value(v) : "?");
        printf("\n");
    }
    json_t *lim = json_object_get(k, "limits");
    const char *lnames[] = {"rpm", "tpm", "cap_micros"};
    for (size_t n = 0; n < 3; n++) {
        json_t *v = json_object_get(lim, lnames[n]);
        char money[32];
        printf("%-16s", n == 2 ? "cap" : lnames[n]);
        if (!json_is_integer(v))
            printf("none\n");
        else if (n == 2) {
            mg_money_format(json_integer_value(v), money, sizeof(money));
            printf("%s a month\n", money);
        } else
            printf("%lld a minute\n", (long long)json_integer_value(v));
    }
}

/* The id positional, checked; a usage error otherwise. */
static int key_id(struct mg_cli *cli, const char **id, char *path, size_t cap, const char *tail)
{
    *id = mg_cli_positional(cli);
    if (!mg_cli_key_id_ok(*id))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give the key's id (see `maxgate keys list`)");
    snprintf(path, cap, "/keys/%s%s", *id, tail);
    return MG_EXIT_OK;
}

static int keys_list(struct mg_cli *cli)
{
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/keys", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json)
        mg_cli_print_json(doc);
    else
        mg_cli_table(stdout, json_object_get(doc, "keys"), key_cols, MG_ARRAY_SIZE(key_cols),
                     "no keys yet; create one with `maxgate keys create --name NAME`");
    json_decref(doc);
    return MG_EXIT_OK;
}

/* --rpm / --tpm N and --cap AMOUNT ("none" = no limit) into body; MG_EXIT_OK or a usage error. */
static int limit_flags(struct mg_cli *cli, json_t *body)
{
    static const struct {
        const char *flag, *field;
        int money;
    } lim[] = {{"rpm", "rpm", 0}, {"tpm", "tpm", 0}, {"cap", "cap_micros", 1}};
    for (size_t i = 0; i < MG_ARRAY_SIZE(lim); i++) {
        const char *v = mg_cli_opt(cli, lim[i].flag);
        int64_t n;
        if (v == NULL)
            continue;
        if (strcmp(v, "none") == 0) {
            json_object_set_new(body, lim[i].field, json_null());
            continue;
        }
        int ok = lim[i].money ? mg_money_parse(v, &n) == MG_OK : mg_parse_i64(v, strlen(v), &n) == MG_OK;
        if (!ok || n <= 0 || n > (lim[i].money ? MG_KEY_CAP_MAX : MG_KEY_RATE_MAX))
            return mg_cli_fail(cli, MG_EXIT_USAGE,
                               lim[i].money ? "--cap must be an amount such as 5.00 (at most 6 decimals), or none"
                                            : "--%s must be a whole number from 1 to 1000000000, or none",
                               lim[i].flag);
        json_object_set_new(body, lim[i].field, json_integer(n));
    }
    return MG_EXIT_OK;
}

/* Sets "scopes" and "models" of body from the flags, and the limits; MG_EXIT_OK or a usage error. */
static int list_flags(struct mg_cli *cli, json_t *body)
{
    char err[200];
    const char *scopes = mg_cli_opt(cli, "scopes"), *models = mg_cli_opt(cli, "models");
    json_t *a;
    if (scopes != NULL) {
        if ((a = mg_cli_keys_scopes(scopes, err, sizeof(err))) == NULL)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--scopes: %s", err);
        json_object_set_new(body, "scopes", a);
    }
    if (models != NULL) {
        if ((a = mg_cli_keys_models(models, err, sizeof(err))) == NULL)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--models: %s", err);
        json_object_set_new(body, "models", a);
    }
    return limit_flags(cli, body);
}

/* The answer of create / rotate: the key alone (text) or the document. */
static int print_new_key(struct mg_cli *cli, json_t *doc, const char *line)
{
    const char *key = json_string_value(json_object_get(doc, "key"));
    if (cli->json) {
        mg_cli_print_json(doc);
    } else if (key == NULL) {
        json_decref(doc);
        return mg_cli_fail(cli, MG_EXIT_API, "the server's answer has no key");
    } else {
        printf("%s\n", key);
        fflush(stdout);
        fprintf(stderr, "%s\n", line);
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static int keys_create(struct mg_cli *cli)
{
    /* --region is also a global option: main.c takes it off the arguments */
    const char *name = mg_cli_opt(cli, "name"), *region = cli->region_flag ? cli->region_flag : mg_cli_opt(cli, "region"),
               *expires = mg_cli_opt(cli, "expires-at");
    json_t *doc;
    char line[300];
    int rc;
    if (mg_cli_check_opts(cli, "name,region,scopes,models,rpm,tpm,cap,expires-at,totp-code", "password-stdin") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (name == NULL || name[0] == '\0' || strlen(name) > 64)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give the key a --name (1 to 64 characters)");
    if (region != NULL && strcmp(region, "global") != 0 && strcmp(region, "cn") != 0)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--region must be global or cn, not '%s'", region);
    json_t *body = json_pack("{s:s}", "name", name);
    if (region != NULL)
        json_object_set_new(body, "region", json_string(region));
    if (expires != NULL)
        json_object_set_new(body, "expires_at", json_string(expires));
    if ((rc = list_flags(cli, body)) != MG_EXIT_OK || (rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_stepped_call(cli, "POST", "/keys", body, &doc)) != MG_EXIT_OK) {
        json_decref(body);
        return rc;
    }
    json_decref(body);
    snprintf(line, sizeof(line), "Key %s created. This is the only time it is shown: keep it now.",
             json_string_value(json_object_get(doc, "id")) ? json_string_value(json_object_get(doc, "id")) : "?");
    return print_new_key(cli, doc, line);
}

static int keys_show(struct mg_cli *cli)
{
    const char *id;
    char path[128];
    json_t *doc;
    int rc;
    if ((rc = key_id(cli, &id, path, sizeof(path), "")) != MG_EXIT_OK ||
        (rc = mg_cli_check_opts(cli, "", "")) != MG_EXIT_OK || (rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json)
        mg_cli_print_json(doc);
    else
        print_key(doc);
    json_decref(doc);
    return MG_EXIT_OK;
}

static int keys_edit(struct mg_cli *cli)
{
    const char *id, *name;
    char path[128];
    json_t *doc;
    int rc;
    if ((rc = key_id(cli, &id, path, sizeof(path), "")) != MG_EXIT_OK ||
        (rc = mg_cli_check_opts(cli, "name,scopes,models,rpm,tpm,cap,totp-code", "password-stdin")) != MG_EXIT_OK)
        return rc;
    json_t *body = json_object();
    if ((name = mg_cli_opt(cli, "name")) != NULL) {
        if (name[0] == '\0' || strlen(name) > 64) {
            json_decref(body);
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--name must be 1 to 64 characters");
        }
        json_object_set_new(body, "name", json_string(name));
    }
    if ((rc = list_flags(cli, body)) == MG_EXIT_OK && json_object_size(body) == 0)
        rc = mg_cli_fail(cli, MG_EXIT_USAGE, "nothing to change: give --name, --scopes, --models, --rpm, --tpm or --cap");
    if (rc != MG_EXIT_OK || (rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_stepped_call(cli, "PATCH", path, body, &doc)) != MG_EXIT_OK) {
        json_decref(body);
        return rc;
    }
    json_decref(body);
    if (cli->json)
        mg_cli_print_json(doc);
    else
        print_key(doc);
    json_decref(doc);
    return MG_EXIT_OK;
}

static int keys_revoke(struct mg_cli *cli)
{
    const char *id;
    char path[128], line[160];
    json_t *doc = NULL;
    int rc;
    if ((rc = key_id(cli, &id, path, sizeof(path), "")) != MG_EXIT_OK ||
        (rc = mg_cli_check_opts(cli, "totp-code", "yes,password-stdin")) != MG_EXIT_OK)
        return rc;
    if (isatty(STDIN_FILENO) && !mg_cli_flag(cli, "yes"))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "revoking key %s stops it at once and cannot be undone; "
                                               "run again with --yes", id);
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_stepped_call(cli, "DELETE", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    json_decref(doc);
    snprintf(line, sizeof(line), "Key %s revoked.", id);
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s}", "id", id, "status", "revoked");
        mg_cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", line);
    }
    return MG_EXIT_OK;
}

static int keys_rotate(struct mg_cli *cli)
{
    const char *id, *w;
    char path[128], line[300];
    json_t *doc;
    int64_t window;
    int rc;
    if ((rc = key_id(cli, &id, path, sizeof(path), "/rotate")) != MG_EXIT_OK ||
        (rc = mg_cli_check_opts(cli, "window-seconds,totp-code", "password-stdin")) != MG_EXIT_OK)
        return rc;
    json_t *body = json_object();
    if ((w = mg_cli_opt(cli, "window-seconds")) != NULL) {
        if (mg_cli_keys_window(w, &window) != MG_OK) {
            json_decref(body);
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--window-seconds must be 0 to %d, not '%s'", WINDOW_MAX, w);
        }
        json_object_set_new(body, "window_seconds", json_integer(window));
    }
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_stepped_call(cli, "POST", path, body, &doc)) != MG_EXIT_OK) {
        json_decref(body);
        return rc;
    }
    json_decref(body);
    const char *end = json_string_value(json_object_get(doc, "old_key_expires_at"));
    snprintf(line, sizeof(line), "New key %s; the old key %s works until %s. This is the only time the new key "
                                 "is shown: keep it now.",
             json_string_value(json_object_get(doc, "id")) ? json_string_value(json_object_get(doc, "id")) : "?", id,
             end ? end : "now");
    return print_new_key(cli, doc, line);
}

const struct mg_cmd mg_cli_keys_cmds[] = {
    {"keys list", keys_list, "your API keys", ""},
    {"keys create", keys_create, "a new API key; the full key is printed once, alone on stdout",
     "--name NAME [--region global|cn] [--scopes chat,speech,...] [--models a,b] [--rpm N] [--tpm N] "
     "[--cap AMOUNT] [--expires-at RFC3339] "
     "[--password-stdin | --totp-code CODE]"},
    {"keys show", keys_show, "one key", "ID"},
    {"keys edit", keys_edit, "change a key's name, scopes, models or limits (next request on the server)",
     "ID [--name NAME] [--scopes chat,...] [--models a,b (empty = any)] [--rpm N|none] [--tpm N|none] "
     "[--cap AMOUNT|none]"},
    {"keys revoke", keys_revoke, "revoke a key at once (on a terminal needs --yes)", "ID [--yes]"},
    {"keys rotate", keys_rotate, "a new secret with the same settings; the old one works for the window",
     "ID [--window-seconds S (0..2592000, default 86400; 0 = now)] [--password-stdin | --totp-code CODE]"},
    {NULL, NULL, NULL, NULL},
};
