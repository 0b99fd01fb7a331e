/*
 * admin_prices.c: `maxgated admin price list|set|remove|ratio|export|import`
 * (BL-1).  list prints the table this config and database give (what a
 * server started now prices with); export prints the database's own rows and
 * the operator's ratio as the JSON document PUT /admin/prices takes, and
 * import sends such a document back (the database's rows become exactly its
 * rows).  The changes run the platform's admin price routes in this process
 * (validated and audited as through the API), and a running server
 * publishes them within its price poll (1 s).
 */
#include "server/server.h"
#include "core/mg.h"
#include "core/money.h"

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The price columns: each one's flag, its field in the API and where it is in a row. */
static const struct {
    const char *flag, *field;
    size_t off;
} money_flags[] = {
#define M(flag, f) {flag, #f, offsetof(struct mg_price, f)}
    M("input", input_per_mtok), M("output", output_per_mtok), M("cached", cached_per_mtok),
    M("chars", per_10k_chars),  M("image", per_image),        M("video", per_video),
    M("track", per_track),      M("voice", per_voice),
#undef M
};

static int64_t column(const struct mg_price *p, size_t i) { return *(const int64_t *)((const char *)p + money_flags[i].off); }

static int list(const struct mg_config *cfg, struct mg_store *s)
{
    struct mg_price_table *t = mg_server_prices_build(cfg, s);
    char r[32];
    if (t == NULL) {
        fprintf(stderr, "maxgated: cannot read the price table from the database\n");
        return 1;
    }
    mg_money_format(mg_prices_ratio(t), r, sizeof(r));
    printf("operator ratio %s (1.00 = the official price); official prices per unit:\n", r);
    printf("%-28s %10s %10s %10s %10s %8s %8s %8s %8s\n", "model", "in/Mtok", "out/Mtok", "cache/Mtok", "10k chars",
           "image", "video", "track", "voice");
    for (size_t i = 0; i < mg_prices_count(t); i++) {
        const struct mg_price *p = mg_prices_row(t, i);
        char m[MG_ARRAY_SIZE(money_flags)][32];
        for (size_t k = 0; k < MG_ARRAY_SIZE(money_flags); k++)
            mg_money_format(column(p, k), m[k], sizeof(m[k]));
        printf("%-28s %10s %10s %10s %10s %8s %8s %8s %8s\n", p->model, m[0], m[1], m[2], m[3], m[4], m[5], m[6],
               m[7]);
        if (p->nvideo > 0) { /* by resolution and length: the row's video column is what none of these match */
            char text[MG_VIDEO_PRICES_MAX * 40];
            mg_video_prices_format(p, MG_RATIO_ONE, text, sizeof(text));
            printf("%-28s video by resolution/length: %s\n", "", text);
        }
    }
    mg_prices_free(t);
    return 0;
}

int mg_admin_flags(int argc, char **argv, const char *const *names, const char **values, size_t n)
{
    for (int i = 1; i < argc; i++) {
        size_t k = 0;
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "maxgated: expected --name value, not '%s'\n", argv[i]);
            return MG_ERR;
        }
        while (k < n && strcmp(argv[i] + 2, names[k]) != 0)
            k++;
        if (k == n) {
            fprintf(stderr, "maxgated: unknown option '%s' (see docs/operations.md)\n", argv[i]);
            return MG_ERR;
        }
        values[k] = argv[++i];
    }
    return MG_OK;
}

static int set(const struct mg_config *cfg, struct mg_store *s, int argc, char **argv)
{
    const char *names[] = {"model", "input", "output", "cached", "chars", "image", "video", "track", "voice",
                           "max-output", "video-prices", "config"};
    const char *v[MG_ARRAY_SIZE(names)] = {0};
    char path[200];
    json_t *doc, *body;
    if (mg_admin_flags(argc, argv, names, v, MG_ARRAY_SIZE(names)) != MG_OK)
        return 2;
    if (v[0] == NULL) {
        fprintf(stderr, "maxgated: give --model NAME (or a pattern such as 'MiniMax-*')\n");
        return 2;
    }
    body = json_object();
    for (size_t i = 0; i < MG_ARRAY_SIZE(money_flags); i++) {
        int64_t micros;
        if (v[i + 1] == NULL)
            continue;
        if (mg_money_parse(v[i + 1], &micros) != MG_OK) {
            fprintf(stderr, "maxgated: --%s must be an amount such as 0.30 (at most 6 decimals), not '%s'\n",
                    money_flags[i].flag, v[i + 1]);
            json_decref(body);
            return 2;
        }
        json_object_set_new(body, money_flags[i].field, json_integer(micros));
    }
    if (v[9] != NULL) {
        int64_t n;
        if (mg_parse_i64(v[9], strlen(v[9]), &n) != MG_OK || n < 0) {
            fprintf(stderr, "maxgated: --max-output must be a whole number of tokens\n");
            json_decref(body);
            return 2;
        }
        json_object_set_new(body, "max_output_tokens", json_integer(n));
    }
    if (v[10] != NULL) /* "768P/6s=0.25, 2K=0.13/s": read by the server (core/video_price.h), which says what to fix */
        json_object_set_new(body, "video_text", json_string(v[10]));
    snprintf(path, sizeof(path), "/admin/prices/%s", v[0]);
    int rc = mg_admin_platform_call(cfg, s, "PUT", path, body, &doc);
    json_decref(body);
    if (rc == 0)
        fprintf(stderr, "price of %s set; a running server uses it within a second\n", v[0]);
    json_decref(doc);
    return rc;
}

static int ratio(const struct mg_config *cfg, struct mg_store *s, int argc, char **argv)
{
    const char *names[] = {"ratio", "plan", "email", "config"};
    const char *v[4] = {0};
    char path[300];
    json_t *doc, *body;
    int64_t ppm = -1;
    if (mg_admin_flags(argc, argv, names, v, 4) != MG_OK)
        return 2;
    if (v[0] == NULL || (strcmp(v[0], "none") != 0 && mg_ratio_parse(v[0], &ppm) != MG_OK)) {
        fprintf(stderr, "maxgated: give --ratio such as 0.40 or 40%% (none removes a plan's or account's)\n");
        return 2;
    }
    if (v[1] != NULL) {
        snprintf(path, sizeof(path), "/admin/plans/%s/price-ratio", v[1]);
    } else if (v[2] != NULL) {
        struct mg_account a;
        if (s->ops->account_by_email(s, v[2], &a) != MG_OK) {
            fprintf(stderr, "maxgated: no account %s\n", v[2]);
            return 1;
        }
        snprintf(path, sizeof(path), "/admin/accounts/%lld/price-ratio", (long long)a.id);
    } else {
        snprintf(path, sizeof(path), "/admin/price-ratio");
    }
    body = json_object();
    json_object_set_new(body, "ratio_ppm", ppm >= 0 ? json_integer(ppm) : json_null());
    int rc = mg_admin_platform_call(cfg, s, "PUT", path, body, &doc);
    json_decref(body);
    json_decref(doc);
    return rc;
}

/* ---- export / import: the document of PUT /admin/prices ---------------------------------------------- */

static int export_row(void *arg, const struct mg_price *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(p->model));
    for (size_t i = 0; i < MG_ARRAY_SIZE(money_flags); i++)
        if (column(p, i) != 0)
            json_object_set_new(o, money_flags[i].field, json_integer(column(p, i)));
    if (p->max_output_tokens != 0)
        json_object_set_new(o, "max_output_tokens", json_integer(p->max_output_tokens));
    if (p->nvideo > 0) {
        char text[MG_VIDEO_PRICES_MAX * 40];
        mg_video_prices_format(p, MG_RATIO_ONE, text, sizeof(text));
        json_object_set_new(o, "video_text", json_string(text));
    }
    json_array_append_new(arg, o);
    return MG_OK;
}

static int export_ratio(void *arg, const char *scope, int64_t ppm)
{
    if (strcmp(scope, "global") == 0)
        json_object_set_new(arg, "ratio_ppm", json_integer(ppm));
    return MG_OK;
}

static int export_doc(struct mg_store *s)
{
    json_t *doc = json_object(), *rows = json_array();
    json_object_set_new(doc, "prices", rows);
    if (s->ops->ratios_list(s, export_ratio, doc) != MG_OK || s->ops->prices_list(s, export_row, rows) != MG_OK) {
        fprintf(stderr, "maxgated: cannot read the price table from the database\n");
        json_decref(doc);
        return 1;
    }
    int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', stdout) != EOF ? 0 : 1;
    json_decref(doc);
    return rc;
}

static int import_doc(const struct mg_config *cfg, struct mg_store *s, int argc, char **argv)
{
    const char *names[] = {"file", "config"};
    const char *v[2] = {0};
    json_error_t jerr;
    json_t *body, *doc;
    if (mg_admin_flags(argc, argv, names, v, 2) != MG_OK || v[0] == NULL) {
        fprintf(stderr, "maxgated: give --file PRICES.json (as 'maxgated admin price export' writes it; - reads "
                        "standard input)\n");
        return 2;
    }
    body = strcmp(v[0], "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                                  : json_load_file(v[0], JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL || !json_is_object(body)) {
        if (body == NULL)
            fprintf(stderr, "maxgated: %s is not JSON: %s (line %d); export writes what import takes\n", v[0],
                    jerr.text, jerr.line);
        else
            fprintf(stderr, "maxgated: %s is not a JSON object {\"prices\": [...], \"ratio_ppm\": ...}; export writes "
                            "what import takes\n", v[0]);
        json_decref(body);
        return 2;
    }
    int rc = mg_admin_platform_call(cfg, s, "PUT", "/admin/prices", body, &doc);
    json_decref(body);
    if (rc == 0) {
        json_t *stored = json_object_get(doc, "prices"), *removed = json_object_get(doc, "removed");
        if (stored != NULL)
            fprintf(stderr, "price table set: %zu rows of the database, %zu removed", json_array_size(stored),
                    json_array_size(removed));
        if (json_object_get(doc, "ratio_ppm") != NULL) {
            char r[32];
            mg_money_format((int64_t)json_integer_value(json_object_get(doc, "ratio_ppm")), r, sizeof(r));
            fprintf(stderr, "%soperator ratio %s", stored != NULL ? "; " : "", r);
        }
        fprintf(stderr, "; a running server uses it within a second\n");
    }
    json_decref(doc);
    return rc;
}

int mg_cmd_admin_price(const struct mg_config *cfg, struct mg_store *s, const char *noun, int argc, char **argv)
{
    (void)noun;
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "list") == 0)
        return list(cfg, s);
    if (strcmp(verb, "set") == 0)
        return set(cfg, s, argc, argv);
    if (strcmp(verb, "ratio") == 0)
        return ratio(cfg, s, argc, argv);
    if (strcmp(verb, "export") == 0)
        return export_doc(s);
    if (strcmp(verb, "import") == 0)
        return import_doc(cfg, s, argc, argv);
    if (strcmp(verb, "remove") == 0) {
        const char *names[] = {"model", "config"};
        const char *v[2] = {0};
        char path[200];
        json_t *doc;
        if (mg_admin_flags(argc, argv, names, v, 2) != MG_OK || v[0] == NULL) {
            fprintf(stderr, "maxgated: give --model NAME\n");
            return 2;
        }
        snprintf(path, sizeof(path), "/admin/prices/%s", v[0]);
        int rc = mg_admin_platform_call(cfg, s, "DELETE", path, NULL, &doc);
        json_decref(doc);
        return rc;
    }
    fprintf(stderr, "maxgated: unknown command 'admin price %s' (list, set, remove, ratio, export, import)\n", verb);
    return 2;
}
