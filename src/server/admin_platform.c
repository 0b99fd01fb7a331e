/*
 * admin_platform.c: `maxgated admin accounts|access-requests|recovery-requests|audit ...`, the
 * operator's side of the platform's administration (docs/operations.md).  Each command runs the
 * platform API's own admin route in this process (mg_platform_run_local), so the console, the
 * `maxgate admin` CLI and these commands share one implementation; mails (an approved request's
 * link) go out through the [mail] settings before the command returns.
 */
#include "core/mg.h"
#include "platform/platform.h"
#include "server/server.h"

#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct pargs {
    const char *email, *id, *plan, *role, *status, *query, *type, *limit, *period, *billing;
};

static int parse(int argc, char **argv, struct pargs *a)
{
    static const struct option opts[] = {
        {"email", required_argument, NULL, 'e'}, {"id", required_argument, NULL, 'i'},
        {"plan", required_argument, NULL, 'p'},  {"role", required_argument, NULL, 'r'},
        {"status", required_argument, NULL, 's'}, {"query", required_argument, NULL, 'q'},
        {"type", required_argument, NULL, 't'},  {"limit", required_argument, NULL, 'l'},
        {"period", required_argument, NULL, 'P'}, {"billing", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0},
    };
    int ch;
    memset(a, 0, sizeof(*a));
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'e': a->email = optarg; break;
        case 'i': a->id = optarg; break;
        case 'p': a->plan = optarg; break;
        case 'r': a->role = optarg; break;
        case 's': a->status = optarg; break;
        case 'q': a->query = optarg; break;
        case 't': a->type = optarg; break;
        case 'l': a->limit = optarg; break;
        case 'P': a->period = optarg; break;
        case 'b': a->billing = optarg; break;
        case 'c': break; /* read by main() */
        default:
            fprintf(stderr, "maxgated: unknown option '%s' (see docs/operations.md)\n", argv[optind - 1]);
            return MG_ERR;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "maxgated: unexpected argument '%s'\n", argv[optind]);
        return MG_ERR;
    }
    return MG_OK;
}

/* Appends name=value (percent-encoded) to a query string. */
static void query_add(char *q, size_t cap, const char *name, const char *value)
{
    size_t n = strlen(q);
    if (value == NULL || n + strlen(name) + 3 >= cap)
        return;
    n += (size_t)snprintf(q + n, cap - n, "%s%s=", n ? "&" : "?", name);
    for (const unsigned char *p = (const unsigned char *)value; *p && n + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~@", *p))
            q[n++] = (char)*p;
        else
            n += (size_t)snprintf(q + n, cap - n, "%%%02X", *p);
    }
    q[n] = '\0';
}

/* The account id from --id or --email; 0 after saying why. */
static int64_t account_id(struct mg_store *s, const struct pargs *a)
{
    int64_t id = 0;
    struct mg_account acc;
    if (a->id != NULL && mg_parse_i64(a->id, strlen(a->id), &id) == MG_OK && id > 0)
        return id;
    if (a->email != NULL && s->ops->account_by_email(s, a->email, &acc) == MG_OK)
        return acc.id;
    fprintf(stderr, a->email || a->id ? "maxgated: no such account\n" : "maxgated: this command needs --email or --id\n");
    return 0;
}

/* The method, path and body of one command; MG_OK, or MG_ERR after saying why. */
static int route_of(struct mg_store *s, const char *noun, const char *verb, const struct pargs *a, const char **method,
                    char *path, size_t cap, json_t **body)
{
    char q[512] = "";
    *body = NULL;
    *method = "GET";
    if (strcmp(noun, "accounts") == 0) {
        if (strcmp(verb, "list") == 0) {
            query_add(q, sizeof(q), "q", a->query);
            query_add(q, sizeof(q), "limit", a->limit ? a->limit : "200");
            snprintf(path, cap, "/admin/accounts%s", q);
            return MG_OK;
        }
        int64_t id = account_id(s, a);
        if (id == 0)
            return MG_ERR;
        if (strcmp(verb, "show") == 0) {
            snprintf(path, cap, "/admin/accounts/%lld", (long long)id);
        } else if (strcmp(verb, "set") == 0) {
            *method = "PATCH";
            snprintf(path, cap, "/admin/accounts/%lld", (long long)id);
            *body = json_object();
            if (a->plan)
                json_object_set_new(*body, "plan", json_string(a->plan));
            if (a->role)
                json_object_set_new(*body, "role", json_string(a->role));
            if (a->billing)
                json_object_set_new(*body, "billing_mode", json_string(a->billing));
        } else if (strcmp(verb, "suspend") == 0 || strcmp(verb, "unsuspend") == 0 || strcmp(verb, "unlock") == 0 ||
                   strcmp(verb, "end-sessions") == 0) {
            *method = "POST";
            snprintf(path, cap, "/admin/accounts/%lld/%s", (long long)id, verb);
        } else {
            fprintf(stderr, "maxgated: unknown command 'admin accounts %s' (list, show, suspend, unsuspend, unlock, "
                            "end-sessions, set)\n", verb);
            return MG_ERR;
        }
        return MG_OK;
    }
    if (strcmp(noun, "access-requests") == 0 || strcmp(noun, "recovery-requests") == 0) {
        if (strcmp(verb, "list") == 0) {
            query_add(q, sizeof(q), "status", a->status);
            snprintf(path, cap, "/admin/%s%s", noun, q);
            return MG_OK;
        }
        if ((strcmp(verb, "approve") != 0 && strcmp(verb, "deny") != 0) || a->id == NULL) {
            fprintf(stderr, "maxgated: use 'admin %s list [--status S]' or 'admin %s approve|deny --id N'\n", noun, noun);
            return MG_ERR;
        }
        *method = "POST";
        snprintf(path, cap, "/admin/%s/%s/%s", noun, a->id, verb);
        return MG_OK;
    }
    if (strcmp(noun, "invoices") == 0) {
        if (strcmp(verb, "close") == 0 && a->period != NULL) {
            *method = "POST";
            snprintf(path, cap, "/admin/invoices/close");
            *body = json_object();
            json_object_set_new(*body, "period", json_string(a->period));
            return MG_OK;
        }
        if (strcmp(verb, "list") == 0) {
            char idtext[32];
            if (a->email != NULL || (a->id != NULL && a->email == NULL)) {
                int64_t id = account_id(s, a);
                if (id == 0)
                    return MG_ERR;
                snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
                query_add(q, sizeof(q), "account", idtext);
            }
            query_add(q, sizeof(q), "status", a->status);
            query_add(q, sizeof(q), "limit", a->limit ? a->limit : "100");
            snprintf(path, cap, "/admin/invoices%s", q);
            return MG_OK;
        }
        fprintf(stderr, "maxgated: use 'admin invoices close --period YYYY-MM' or 'admin invoices list [--email E | "
                        "--id N] [--status open|paid|void]'\n");
        return MG_ERR;
    }
    /* audit */
    if (a->email != NULL || a->id != NULL) {
        char idtext[32];
        int64_t id = account_id(s, a);
        if (id == 0)
            return MG_ERR;
        snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
        query_add(q, sizeof(q), "account", idtext);
    }
    query_add(q, sizeof(q), "type", a->type);
    query_add(q, sizeof(q), "limit", a->limit ? a->limit : "50");
    snprintf(path, cap, "/admin/audit%s", q);
    return MG_OK;
}

int mg_cmd_admin_platform(const struct mg_config *cfg, const char *noun, int argc, char **argv)
{
    struct pargs a;
    char err[512], path[1024];
    const char *method;
    json_t *body = NULL;
    uint8_t secret[MG_SECRET_LEN];
    struct mg_mail_config mc;
    const char *verb = strcmp(noun, "audit") == 0 ? "list" : argc > 0 ? argv[0] : "";
    if (strcmp(noun, "audit") != 0 && argc > 0) {
        argc--;
        argv++;
    }
    if (parse(argc + 1, argv - 1, &a) != MG_OK)
        return 2;
    if (mg_secret_load(cfg->secrets_file, secret, err, sizeof(err)) != MG_OK ||
        mg_server_mail_config(cfg, &mc, err, sizeof(err)) != MG_OK) {
        fprintf(stderr, "maxgated: %s\n", err);
        return 1;
    }
    struct mg_mailer *mailer = mg_mailer_new(&mc, err, sizeof(err));
    sodium_memzero(mc.password, sizeof(mc.password));
    struct mg_store *s = mailer ? mg_server_store(cfg, err, sizeof(err)) : NULL;
    if (s == NULL) {
        fprintf(stderr, "maxgated: %s\n", err);
        mg_mailer_free(mailer);
        sodium_memzero(secret, sizeof(secret));
        return 1;
    }
    int rc = 2;
    if (route_of(s, noun, verb, &a, &method, path, sizeof(path), &body) == MG_OK) {
        struct mg_platform_config pc;
        memset(&pc, 0, sizeof(pc));
        mg_strlcpy(pc.public_base_url, cfg->public_base_url, sizeof(pc.public_base_url));
        mg_server_billing_config(cfg, &pc.billing);
        struct mg_platform *pf = mg_platform_new(&pc, NULL, mailer, NULL, secret);
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL, *out = NULL;
        int status = mg_platform_run_local(pf, s, method, path, text, &out);
        json_t *doc = out && *out ? json_loads(out, 0, NULL) : NULL;
        if (status / 100 == 2) {
            if (doc != NULL) {
                json_dumpf(doc, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
            }
            rc = 0;
        } else {
            const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
            fprintf(stderr, "maxgated: %s\n", msg ? msg : "the command failed");
            rc = 1;
        }
        json_decref(doc);
        free(out);
        free(text);
        mg_platform_free(pf);
    }
    json_decref(body);
    s->ops->close(s);
    mg_mailer_free(mailer); /* sends what the command queued */
    sodium_memzero(secret, sizeof(secret));
    return rc;
}
