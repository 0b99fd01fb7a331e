/*
 * cmd_usage.c: what the signed-in account spends, from the command line:
 * `maxgate usage` (GET /platform/v1/billing/usage: the month, or --from/--to,
 * by day, service, key or model), `maxgate usage --log` (GET /usage/log: the
 * billed requests newest first, filtered, a page at a time, each with its
 * latency), `maxgate usage --tasks` (GET /usage/tasks: the async video and
 * speech tasks with their last state) and `maxgate billing summary` (GET /billing/summary: month to date, projected and how,
 * cap and remaining, by service).  Text tables on a terminal, the API's JSON
 * with --output json.  Invoices are another group's (cmd_billing.c).
 */
#include "cli/cli.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

#define PATH_CAP 2048

static const char *const groups[] = {"day", "service", "key", "model"};

/* Appends each of the named options that is set to path as a query parameter
 * (option "group-by" -> parameter "group_by").  MG_EXIT_OK or a usage error. */
static int add_params(struct mg_cli *cli, char *path, const char *const *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char param[32];
        const char *v = mg_cli_opt(cli, opts[i]);
        mg_strlcpy(param, opts[i], sizeof(param));
        for (char *p = param; *p; p++)
            if (*p == '-')
                *p = '_';
        if (v != NULL && mg_cli_query_add(path, PATH_CAP, param, v) != MG_OK)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--%s is too long", opts[i]);
    }
    return MG_EXIT_OK;
}

/* Each event's latency_ms as a person reads it, into a "latency" member the
 * table shows: "340 ms" below a second, "1.2 s" from there. */
static void add_latency_text(json_t *events)
{
    size_t i;
    json_t *e;
    char buf[32];
    json_array_foreach(events, i, e)
    {
        json_t *v = json_object_get(e, "latency_ms");
        if (!json_is_integer(v))
            continue;
        long long ms = json_integer_value(v);
        if (ms < 1000)
            snprintf(buf, sizeof(buf), "%lld ms", ms);
        else
            snprintf(buf, sizeof(buf), "%lld.%lld s", ms / 1000, ms % 1000 / 100);
        json_object_set_new(e, "latency", json_string(buf));
    }
}

static int usage_log(struct mg_cli *cli)
{
    static const char *const opts[] = {"request-id", "key", "model", "service", "status", "from", "to", "cursor",
                                       "limit"};
    static const struct mg_cli_col cols[] = {
        {"TIME", "time", 20},  {"REQUEST ID", "request_id", 32}, {"KEY", "key", 12}, {"MODEL", "model", 18},
        {"SERVICE", "service", 7}, {"STATUS", "http_status", 6}, {"LATENCY", "latency", 9}, {"COST", "cost", 0},
    };
    char path[PATH_CAP] = "/usage/log";
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "request-id,key,model,service,status,from,to,cursor,limit", "log") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = add_params(cli, path, opts, MG_ARRAY_SIZE(opts))) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        add_latency_text(json_object_get(doc, "events"));
        mg_cli_table(stdout, json_object_get(doc, "events"), cols, MG_ARRAY_SIZE(cols),
                     "no billed requests match; a request shows here a second or so after its response");
        const char *next = json_string_value(json_object_get(doc, "next_cursor"));
        if (next)
            fprintf(stderr, "more: run again with --cursor %s (and the same filters)\n", next);
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static int usage_tasks(struct mg_cli *cli)
{
    static const char *const opts[] = {"kind", "key", "cursor", "limit"};
    static const struct mg_cli_col cols[] = {
        {"CREATED", "created_at", 20}, {"TASK ID", "task_id", 24}, {"KIND", "kind", 6}, {"STATE", "state", 12},
        {"MODEL", "model", 20}, {"KEY", "key", 12}, {"BILLED", "billed", 0},
    };
    char path[PATH_CAP] = "/usage/tasks";
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "kind,key,cursor,limit", "tasks") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    const char *kind = mg_cli_opt(cli, "kind");
    if (kind && strcmp(kind, "video") != 0 && strcmp(kind, "speech") != 0)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--kind is video or speech, not '%s'", kind);
    if ((rc = add_params(cli, path, opts, MG_ARRAY_SIZE(opts))) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        mg_cli_table(stdout, json_object_get(doc, "tasks"), cols, MG_ARRAY_SIZE(cols),
                     "no video or speech tasks; a task shows here as soon as its creation is answered");
        const char *next = json_string_value(json_object_get(doc, "next_cursor"));
        if (next)
            fprintf(stderr, "more: run again with --cursor %s (and the same filters)\n", next);
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static int usage_run(struct mg_cli *cli)
{
    static const char *const opts[] = {"group-by", "from", "to"};
    char path[PATH_CAP] = "/billing/usage";
    json_t *doc;
    int rc;
    if (mg_cli_flag(cli, "log") && mg_cli_flag(cli, "tasks"))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--log and --tasks are two lists: give one of them");
    if (mg_cli_flag(cli, "log"))
        return usage_log(cli);
    if (mg_cli_flag(cli, "tasks"))
        return usage_tasks(cli);
    if (mg_cli_check_opts(cli, "group-by,from,to", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    const char *g = mg_cli_opt(cli, "group-by");
    size_t gi = 0;
    for (; g && gi < MG_ARRAY_SIZE(groups); gi++)
        if (strcmp(g, groups[gi]) == 0)
            break;
    if (g && gi == MG_ARRAY_SIZE(groups))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--group-by is day, service, key or model, not '%s'", g);
    if ((rc = add_params(cli, path, opts, MG_ARRAY_SIZE(opts))) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        const char *by = json_string_value(json_object_get(doc, "group_by"));
        struct mg_cli_col cols[] = {
            {"DAY (UTC)", "key", 24}, {"COST", "cost", 12}, {"REQUESTS", "requests", 9},
            {"INPUT TOKENS", "input_tokens", 13}, {"OUTPUT TOKENS", "output_tokens", 0},
        };
        static const char *const headers[] = {"DAY (UTC)", "SERVICE", "API KEY", "MODEL"};
        for (size_t i = 0; by && i < MG_ARRAY_SIZE(groups); i++)
            if (strcmp(by, groups[i]) == 0)
                cols[0].header = headers[i];
        printf("%s to %s (%s)\n", json_string_value(json_object_get(doc, "from")),
               json_string_value(json_object_get(doc, "to")), json_string_value(json_object_get(doc, "currency")));
        mg_cli_table(stdout, json_object_get(doc, "rows"), cols, MG_ARRAY_SIZE(cols), "no usage in this range");
        printf("total %s\n", json_string_value(json_object_get(doc, "total")));
        if (json_is_true(json_object_get(doc, "truncated")))
            fprintf(stderr, "only the 1,000 largest rows are shown\n");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static const char *text_or(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

static int billing_summary(struct mg_cli *cli)
{
    static const struct mg_cli_col cols[] = {{"SERVICE", "service", 10}, {"COST", "cost", 14}, {"REQUESTS", "requests", 0}};
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/billing/summary", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        json_t *period = json_object_get(doc, "period");
        const char *cur = text_or(doc, "currency", "");
        printf("period          %s to %s\n", text_or(period, "start", "-"), text_or(period, "end", "-"));
        printf("month to date   %s %s\n", text_or(doc, "month_to_date", "-"), cur);
        printf("projected       %s %s (%s)\n", text_or(doc, "projected", "-"), cur,
               text_or(json_object_get(doc, "projection"), "how", "-"));
        if (json_is_null(json_object_get(doc, "cap_micros"))) {
            printf("cap             none\n");
        } else {
            printf("cap             %s %s\n", text_or(doc, "cap", "-"), cur);
            printf("remaining       %s %s\n", text_or(doc, "remaining", "-"), cur);
        }
        printf("\n");
        mg_cli_table(stdout, json_object_get(doc, "by_service"), cols, MG_ARRAY_SIZE(cols), "no usage this month");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_usage_cmds[] = {
    {"usage", usage_run,
     "what you spent: this month (or --from/--to) by day, service, key or model; --log: each request; --tasks: async"
     " tasks and their state",
     "[--from RFC3339] [--to RFC3339] [--group-by day|service|key|model]\n"
     "       maxgate usage --log [--request-id ID] [--key ID] [--model M] [--service S] [--status ok|error|CODE]"
     " [--from T] [--to T] [--limit 1..200] [--cursor C]\n"
     "       maxgate usage --tasks [--kind video|speech] [--key ID] [--limit 1..200] [--cursor C]"},
    {"billing summary", billing_summary, "month to date, projected (and how), cap and remaining, by service", ""},
    {NULL, NULL, NULL, NULL},
};
