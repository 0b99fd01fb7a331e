/*
 * cmd_admin.c: `maxgate admin ...`, the operator's side of the platform API
 * (/platform/v1/admin/...) with an admin's session from `account login`:
 * accounts, access and recovery requests, the audit log.
 */
#include "cli/cli.h"
#include "core/mg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct mg_cli_col account_cols[] = {
    {"id", "id", 0},         {"email", "email", 48},   {"plan", "plan", 0},        {"role", "role", 0},
    {"status", "status", 0}, {"locked", "locked", 0},  {"created", "created_at", 0}, {"last login", "last_login_at", 0},
};

static const struct mg_cli_col detail_cols[] = {
    {"id", "id", 0},           {"email", "email", 0},     {"plan", "plan", 0},
    {"role", "role", 0},       {"status", "status", 0},   {"locked", "locked", 0},
    {"locked until", "locked_until", 0}, {"failed logins", "failed_logins", 0},
    {"sessions", "sessions", 0}, {"created", "created_at", 0}, {"last login", "last_login_at", 0},
};

static const struct mg_cli_col access_cols[] = {
    {"id", "id", 0},   {"email", "email", 48},        {"status", "status", 0},
    {"created", "created_at", 0}, {"decided", "decided_at", 0}, {"note", "note", 60},
};

static const struct mg_cli_col recovery_cols[] = {
    {"id", "id", 0},        {"email", "email", 48},  {"account", "account_id", 0}, {"status", "status", 0},
    {"created", "created_at", 0}, {"decided", "decided_at", 0}, {"description", "description", 60},
};

/* Runs an admin GET and prints its list member as a table (or the JSON). */
static int list(struct mg_cli *cli, const char *path, const char *member, const struct mg_cli_col *cols,
                size_t ncols, const char *empty)
{
    json_t *doc;
    int rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        mg_cli_table(stdout, json_object_get(doc, member), cols, ncols, empty);
        const char *next = json_string_value(json_object_get(doc, "next_cursor"));
        if (next != NULL)
            printf("(more: add --cursor %s)\n", next);
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static int accounts_list(struct mg_cli *cli)
{
    char path[1200] = "/admin/accounts";
    if (mg_cli_check_opts(cli, "query,cursor,limit", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (mg_cli_query_add(path, sizeof(path), "q", mg_cli_opt(cli, "query")) != MG_OK ||
        mg_cli_query_add(path, sizeof(path), "cursor", mg_cli_opt(cli, "cursor")) != MG_OK ||
        mg_cli_query_add(path, sizeof(path), "limit", mg_cli_opt(cli, "limit")) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "an option is too long");
    return list(cli, path, "accounts", account_cols, MG_ARRAY_SIZE(account_cols), "no accounts");
}

/* The account named by the positional argument: an id, or an email looked
 * up with the search (exact, case-insensitive).  Prints the error itself. */
static int account_id(struct mg_cli *cli, int64_t *id)
{
    const char *arg = mg_cli_positional(cli);
    char path[1200] = "/admin/accounts";
    json_t *doc, *a;
    size_t i;
    int rc;
    if (arg == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give the account: its id or its email");
    if (mg_parse_i64(arg, strlen(arg), id) == MG_OK && *id > 0)
        return MG_EXIT_OK;
    if (strchr(arg, '@') == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "'%s' is neither an account id nor an email", arg);
    if (mg_cli_query_add(path, sizeof(path), "q", arg) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "the email is too long");
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    *id = 0;
    json_array_foreach(json_object_get(doc, "accounts"), i, a)
    {
        const char *e = json_string_value(json_object_get(a, "email"));
        if (e != NULL && strcasecmp(e, arg) == 0)
            *id = (int64_t)json_integer_value(json_object_get(a, "id"));
    }
    json_decref(doc);
    if (*id <= 0)
        return mg_cli_fail(cli, MG_EXIT_API, "no account has the email %s", arg);
    return MG_EXIT_OK;
}

static int accounts_show(struct mg_cli *cli)
{
    int64_t id;
    char path[64];
    json_t *doc;
    int rc;
    if ((rc = account_id(cli, &id)) != MG_EXIT_OK || (rc = mg_cli_check_opts(cli, "", "")) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    snprintf(path, sizeof(path), "/admin/accounts/%lld", (long long)id);
    if ((rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        mg_cli_fields(stdout, doc, detail_cols, MG_ARRAY_SIZE(detail_cols));
        printf("\nrecent activity:\n");
        json_t *ev = json_pack("{s:O?}", "events", json_object_get(doc, "recent_activity"));
        mg_cli_print_events(cli, ev);
        json_decref(ev);
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

/* POST /admin/<what>/{id}/<action>, then "<subject> <id> <line>" or
 * {"id","action"}. */
static int action(struct mg_cli *cli, const char *what, int64_t id, const char *act, const char *line)
{
    char path[128];
    const char *subject = strcmp(what, "accounts") == 0 ? "Account"
                          : strcmp(what, "access-requests") == 0 ? "Access request" : "Recovery request";
    int rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    snprintf(path, sizeof(path), "/admin/%s/%lld/%s", what, (long long)id, act);
    if ((rc = mg_cli_platform_call(cli, "POST", path, NULL, NULL)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        json_t *o = json_pack("{s:I,s:s}", "id", (json_int_t)id, "action", act);
        mg_cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s %lld %s\n", subject, (long long)id, line);
    }
    return MG_EXIT_OK;
}

static int account_action(struct mg_cli *cli, const char *act, const char *line)
{
    int64_t id;
    int rc;
    if ((rc = account_id(cli, &id)) != MG_EXIT_OK || (rc = mg_cli_check_opts(cli, "", "")) != MG_EXIT_OK)
        return rc;
    return action(cli, "accounts", id, act, line);
}

static int accounts_suspend(struct mg_cli *cli)
{
    return account_action(cli, "suspend", "suspended: its sessions end and its keys stop working.");
}

static int accounts_unsuspend(struct mg_cli *cli)
{
    return account_action(cli, "unsuspend", "is active again.");
}

static int accounts_unlock(struct mg_cli *cli)
{
    return account_action(cli, "unlock", "unlocked (the failed logins are reset).");
}

static int accounts_end_sessions(struct mg_cli *cli)
{
    return account_action(cli, "end-sessions", "has no sessions any more.");
}

static int accounts_set(struct mg_cli *cli)
{
    const char *plan = mg_cli_opt(cli, "plan"), *role = mg_cli_opt(cli, "role");
    int64_t id;
    char path[64];
    json_t *doc;
    int rc;
    if ((rc = account_id(cli, &id)) != MG_EXIT_OK || (rc = mg_cli_check_opts(cli, "plan,role", "")) != MG_EXIT_OK)
        return rc;
    plan = mg_cli_opt(cli, "plan");
    role = mg_cli_opt(cli, "role");
    if (plan == NULL && role == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --plan free|professional|enterprise and/or --role user|admin");
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    snprintf(path, sizeof(path), "/admin/accounts/%lld", (long long)id);
    json_t *body = json_pack("{s:s?,s:s?}", "plan", plan, "role", role);
    rc = mg_cli_platform_call(cli, "PATCH", path, body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    if (cli->json)
        mg_cli_print_json(doc);
    else
        mg_cli_fields(stdout, doc, detail_cols, 5);
    json_decref(doc);
    return MG_EXIT_OK;
}

/* access-requests / recovery-requests: list [--status S], approve|deny ID. */
static int requests_list(struct mg_cli *cli, const char *what, const struct mg_cli_col *cols, size_t ncols)
{
    char path[256];
    if (mg_cli_check_opts(cli, "status", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    snprintf(path, sizeof(path), "/admin/%s", what);
    if (mg_cli_query_add(path, sizeof(path), "status", mg_cli_opt(cli, "status")) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--status is too long");
    return list(cli, path, "requests", cols, ncols, "no requests");
}

static int request_action(struct mg_cli *cli, const char *what, const char *act, const char *line)
{
    int64_t id;
    int rc;
    if ((rc = mg_cli_id_arg(cli, "request", &id)) != MG_EXIT_OK || (rc = mg_cli_check_opts(cli, "", "")) != MG_EXIT_OK)
        return rc;
    return action(cli, what, id, act, line);
}

static int access_list(struct mg_cli *cli)
{
    return requests_list(cli, "access-requests", access_cols, MG_ARRAY_SIZE(access_cols));
}

static int access_approve(struct mg_cli *cli)
{
    return request_action(cli, "access-requests", "approve",
                          "approved: the account exists and a set-password link was mailed.");
}

static int access_deny(struct mg_cli *cli)
{
    return request_action(cli, "access-requests", "deny", "denied.");
}

static int recovery_list(struct mg_cli *cli)
{
    return requests_list(cli, "recovery-requests", recovery_cols, MG_ARRAY_SIZE(recovery_cols));
}

static int recovery_approve(struct mg_cli *cli)
{
    return request_action(cli, "recovery-requests", "approve",
                          "approved: a reset link was mailed.");
}

static int recovery_deny(struct mg_cli *cli)
{
    return request_action(cli, "recovery-requests", "deny", "denied.");
}

static int audit(struct mg_cli *cli)
{
    char path[1200] = "/admin/audit";
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "account,type,cursor,limit", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (mg_cli_query_add(path, sizeof(path), "account", mg_cli_opt(cli, "account")) != MG_OK ||
        mg_cli_query_add(path, sizeof(path), "type", mg_cli_opt(cli, "type")) != MG_OK ||
        mg_cli_query_add(path, sizeof(path), "cursor", mg_cli_opt(cli, "cursor")) != MG_OK ||
        mg_cli_query_add(path, sizeof(path), "limit", mg_cli_opt(cli, "limit")) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "an option is too long");
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    mg_cli_print_events(cli, doc);
    json_decref(doc);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_admin_cmds[] = {
    {"admin accounts list", accounts_list, "search accounts", "[--query Q] [--cursor C] [--limit N]"},
    {"admin accounts show", accounts_show, "one account with its recent activity", "ID|EMAIL"},
    {"admin accounts suspend", accounts_suspend, "suspend an account (its keys stop working)", "ID|EMAIL"},
    {"admin accounts unsuspend", accounts_unsuspend, "make a suspended account active again", "ID|EMAIL"},
    {"admin accounts unlock", accounts_unlock, "lift a login lockout", "ID|EMAIL"},
    {"admin accounts end-sessions", accounts_end_sessions, "end every session of an account", "ID|EMAIL"},
    {"admin accounts set", accounts_set, "change an account's plan or role",
     "ID|EMAIL [--plan free|professional|enterprise] [--role user|admin]"},
    {"admin access-requests list", access_list, "the \"leave your email\" queue",
     "[--status pending|approved|denied]"},
    {"admin access-requests approve", access_approve, "approve: create the account, mail a set-password link", "ID"},
    {"admin access-requests deny", access_deny, "deny an access request", "ID"},
    {"admin recovery-requests list", recovery_list, "account recovery requests to review",
     "[--status pending|approved|denied]"},
    {"admin recovery-requests approve", recovery_approve, "approve: mail a reset link", "ID"},
    {"admin recovery-requests deny", recovery_deny, "deny a recovery request", "ID"},
    {"admin audit", audit, "every security event", "[--account ID] [--type T] [--cursor C] [--limit N]"},
    {NULL, NULL, NULL, NULL},
};
