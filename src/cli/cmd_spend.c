/*
 * cmd_spend.c: what the signed-in account may spend and what it pays (issue
 * 12; docs/cli.md): `maxgate billing cap [AMOUNT|none]` (the monthly cap),
 * `maxgate billing alerts [add|remove]` (spending alerts, percentages of the
 * cap) and `maxgate prices [--model M]` (the caller's effective prices).
 *
 * Every argument is checked here before anything is sent: a bad amount,
 * threshold, service or channel is a usage error (exit 2) that never reaches
 * the server.  Raising or removing the cap needs a recent sign-in, answered
 * as `keys create` answers it (mg_cli_stepped_call).
 */
#include "cli/cli.h"
#include "core/mg.h"
#include "core/money.h"
#include "core/service.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP_MAX_MICROS ((1LL << 48) - 1) /* the API's ceiling of cap_micros */
#define ALERT_SERVICES "all, chat, speech, video, image, music, voice or files"

/* Sets member `to` to micros as "12.30", or to null when micros is not an integer. */
static void money_text(json_t *o, const char *from, const char *to, const char *suffix)
{
    json_t *v = json_object_get(o, from);
    char buf[64], amount[40];
    if (!json_is_integer(v)) {
        json_object_set_new(o, to, json_null());
        return;
    }
    mg_money_format(json_integer_value(v), amount, sizeof(amount));
    snprintf(buf, sizeof(buf), "%s%s", amount, suffix);
    json_object_set_new(o, to, json_string(buf));
}

static const struct mg_cli_col cap_fields[] = {
    {"cap", "cap_text", 12},
    {"spent", "spent_text", 12},
    {"remaining", "remaining_text", 12},
    {"period ends", "period_end", 12},
};

static void print_cap(json_t *doc)
{
    money_text(doc, "cap_micros", "cap_text", " a month");
    if (json_is_null(json_object_get(doc, "cap_micros")))
        json_object_set_new(doc, "cap_text", json_string("none (no monthly limit)"));
    money_text(doc, "spent_micros", "spent_text", " this month");
    money_text(doc, "remaining_micros", "remaining_text", "");
    mg_cli_fields(stdout, doc, cap_fields, MG_ARRAY_SIZE(cap_fields));
}

/* "none" -> 0 (no cap), "25.00" -> micros; MG_ERR for anything else. */
static int parse_cap(const char *s, int64_t *micros)
{
    if (strcmp(s, "none") == 0) {
        *micros = 0;
        return MG_OK;
    }
    if (mg_money_parse(s, micros) != MG_OK || *micros <= 0 || *micros > CAP_MAX_MICROS)
        return MG_ERR;
    return MG_OK;
}

static int billing_cap(struct mg_cli *cli)
{
    const char *amount = mg_cli_positional(cli);
    int64_t micros = 0;
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "totp-code", "password-stdin") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (amount != NULL && parse_cap(amount, &micros) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "the cap must be an amount above 0 such as 25.00 (at most 6 decimals), "
                                               "or none to remove it; not '%s'", amount);
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if (amount == NULL) {
        rc = mg_cli_platform_call(cli, "GET", "/billing/cap", NULL, &doc);
    } else {
        json_t *body = json_object();
        json_object_set_new(body, "cap_micros", micros > 0 ? json_integer(micros) : json_null());
        rc = mg_cli_stepped_call(cli, "PUT", "/billing/cap", body, &doc);
        json_decref(body);
    }
    if (rc != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        if (amount != NULL)
            printf("%s\n\n", micros > 0 ? "Monthly cap set." : "Monthly cap removed: nothing stops the spending now.");
        print_cap(doc);
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static const struct mg_cli_col alert_cols[] = {
    {"ID", "id", 6},           {"SERVICE", "service", 8},      {"AT", "threshold_text", 6},
    {"CHANNELS", "channels_text", 14}, {"FIRED", "fired_this_period", 5}, {"CREATED", "created_at", 0},
};

/* Adds the text columns of an alert: "80 %" and "email,in_app". */
static void alert_texts(json_t *a)
{
    char pct[24], ch[64] = "";
    json_t *v;
    size_t i;
    snprintf(pct, sizeof(pct), "%lld %%", (long long)json_integer_value(json_object_get(a, "threshold_percent")));
    json_object_set_new(a, "threshold_text", json_string(pct));
    json_array_foreach(json_object_get(a, "channels"), i, v) {
        size_t off = strlen(ch);
        snprintf(ch + off, sizeof(ch) - off, "%s%s", i ? "," : "", json_string_value(v) ? json_string_value(v) : "?");
    }
    json_object_set_new(a, "channels_text", json_string(ch));
}

static int alerts_list(struct mg_cli *cli)
{
    json_t *doc, *a;
    size_t i;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/billing/alerts", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        json_t *rows = json_object_get(doc, "alerts");
        json_array_foreach(rows, i, a) alert_texts(a);
        mg_cli_table(stdout, rows, alert_cols, MG_ARRAY_SIZE(alert_cols),
                     "no spending alerts; add one with `maxgate billing alerts add --threshold 80`");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

/* --channels "email,in_app" into a JSON array (each once); NULL on a bad list. */
static json_t *parse_channels(const char *csv)
{
    json_t *arr = json_array();
    int seen[2] = {0, 0};
    const char *p = csv;
    while (*p) {
        size_t n = strcspn(p, ",");
        int which = n == 5 && strncmp(p, "email", 5) == 0 ? 0 : n == 6 && strncmp(p, "in_app", 6) == 0 ? 1 : -1;
        if (which < 0 || seen[which]) {
            json_decref(arr);
            return NULL;
        }
        seen[which] = 1;
        json_array_append_new(arr, json_string(which ? "in_app" : "email"));
        p += n;
        if (*p == ',' && *++p == '\0') { /* a trailing comma */
            json_decref(arr);
            return NULL;
        }
    }
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static int alerts_add(struct mg_cli *cli)
{
    const char *th = mg_cli_opt(cli, "threshold"), *svc = mg_cli_opt(cli, "service"),
               *chs = mg_cli_opt(cli, "channels");
    enum mg_service family;
    int64_t pct;
    json_t *doc, *channels;
    int rc;
    if (mg_cli_check_opts(cli, "threshold,service,channels", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (th == NULL || mg_parse_i64(th, strlen(th), &pct) != MG_OK || pct < 1 || pct > 100)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--threshold must be a whole percentage of the cap, 1 to 100%s%s%s",
                           th ? " (not '" : "", th ? th : "", th ? "')" : "");
    if (svc != NULL && strcmp(svc, "all") != 0 && (mg_service_parse(svc, &family) != MG_OK || family == MG_SVC_QUOTA))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--service must be " ALERT_SERVICES ", not '%s'", svc);
    if ((channels = parse_channels(chs ? chs : "email,in_app")) == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--channels must be email, in_app or email,in_app, not '%s'", chs);
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK) {
        json_decref(channels);
        return rc;
    }
    json_t *body = json_pack("{s:s, s:I, s:o}", "service", svc ? svc : "all", "threshold_percent", (json_int_t)pct,
                             "channels", channels);
    rc = mg_cli_platform_call(cli, "POST", "/billing/alerts", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        alert_texts(doc);
        printf("Alert %lld added: %s spending at %s of the monthly cap, by %s.\n",
               (long long)json_integer_value(json_object_get(doc, "id")), json_string_value(json_object_get(doc, "service")),
               json_string_value(json_object_get(doc, "threshold_text")),
               json_string_value(json_object_get(doc, "channels_text")));
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static int alerts_remove(struct mg_cli *cli)
{
    int64_t id;
    char path[64];
    int rc;
    if ((rc = mg_cli_id_arg(cli, "alert", &id)) != MG_EXIT_OK || (rc = mg_cli_check_opts(cli, "", "")) != MG_EXIT_OK ||
        (rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    snprintf(path, sizeof(path), "/billing/alerts/%lld", (long long)id);
    if ((rc = mg_cli_platform_call(cli, "DELETE", path, NULL, NULL)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        json_t *o = json_pack("{s:I}", "removed", (json_int_t)id);
        mg_cli_print_json(o);
        json_decref(o);
    } else {
        printf("Alert %lld removed.\n", (long long)id);
    }
    return MG_EXIT_OK;
}

/* The price columns of GET /prices, in the API's order. */
static const char *const price_names[] = {"input_per_mtok", "output_per_mtok", "cached_per_mtok", "per_10k_chars",
                                          "per_image",      "per_video",       "per_track",       "per_voice"};

static const struct mg_cli_col price_cols[] = {
    {"MODEL", "model", 26},           {"INPUT/1M", "input_per_mtok", 10}, {"OUTPUT/1M", "output_per_mtok", 10},
    {"CACHED/1M", "cached_per_mtok", 10}, {"10K CHARS", "per_10k_chars", 10}, {"IMAGE", "per_image", 8},
    {"VIDEO", "per_video", 8},        {"TRACK", "per_track", 8},          {"VOICE", "per_voice", 8},
    {"MAX OUT", "max_output_tokens", 0},
};

/* A price of 0 is "-" in the text table: the model is not billed by that unit. */
static void blank_zero_prices(json_t *row)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(price_names); i++) {
        char micros[48];
        snprintf(micros, sizeof(micros), "%s_micros", price_names[i]);
        if (json_integer_value(json_object_get(row, micros)) == 0)
            json_object_set_new(row, price_names[i], json_null());
    }
}

static int prices_show(struct mg_cli *cli)
{
    const char *model = mg_cli_opt(cli, "model");
    json_t *doc, *row;
    size_t i;
    int rc;
    if (mg_cli_check_opts(cli, "model", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (model != NULL && model[0] == '\0')
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--model needs a model name, such as MiniMax-M2.7");
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/prices", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    json_t *rows = json_object_get(doc, "prices");
    if (model != NULL) { /* the rows that price it: its own, or a pattern such as "MiniMax-*" */
        json_t *kept = json_array();
        json_array_foreach(rows, i, row) {
            const char *m = json_string_value(json_object_get(row, "model"));
            if (m != NULL && (strcmp(m, model) == 0 || fnmatch(m, model, 0) == 0))
                json_array_append(kept, row);
        }
        json_object_set_new(doc, "prices", kept);
        rows = kept;
        if (json_array_size(kept) == 0) {
            json_decref(doc);
            return mg_cli_fail(cli, MG_EXIT_API, "no price for model '%s': `maxgate prices` lists the models this "
                                                 "server bills", model);
        }
    }
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        json_array_foreach(rows, i, row) blank_zero_prices(row);
        mg_cli_table(stdout, rows, price_cols, MG_ARRAY_SIZE(price_cols), "this server lists no prices");
        int videos = 0;
        json_array_foreach(rows, i, row) { /* a video by resolution and length, where the row says */
            const char *text = json_string_value(json_object_get(row, "video_text"));
            if (text != NULL && text[0] != '\0')
                printf("%s%s video: %s\n", videos++ ? "" : "\n", json_string_value(json_object_get(row, "model")),
                       text);
        }
        printf("\nprices in currency units: per 1M tokens, per 10,000 characters, per image, video, track or voice"
               "%s\n", videos ? "; a video by RESOLUTION/LENGTH=PRICE (/s: per second; *: any resolution)" : "");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_spend_cmds[] = {
    {"billing cap", billing_cap,
     "your monthly spending cap: shows it (cap, spent, remaining), sets it, or removes it (none)",
     "[AMOUNT|none] (raising or removing it: [--password-stdin | --totp-code CODE])"},
    {"billing alerts", alerts_list, "your spending alerts (percentages of the monthly cap)", ""},
    {"billing alerts add", alerts_add, "add a spending alert: mail and/or notify at N % of the monthly cap",
     "--threshold N (1..100) [--service all|chat|speech|video|image|music|voice|files] [--channels email,in_app]"},
    {"billing alerts remove", alerts_remove, "remove a spending alert", "ID"},
    {"prices", prices_show, "what you pay per unit: your effective price of each model", "[--model M]"},
    {NULL, NULL, NULL, NULL},
};
