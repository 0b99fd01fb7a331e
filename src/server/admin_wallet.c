/*
 * admin_wallet.c: `maxgated admin redeem-codes create|list` and `maxgated
 * admin credit` (issue 12, BL-7; docs/operations.md), run through the
 * platform's own admin routes in this process (validated and audited as
 * through the API; the operator is actor 0).  create prints the codes on
 * stdout, one a line, the only time they are shown; a running server sees a
 * top-up of a wallet-only account at its next key poll (a second).
 */
#include "server/server.h"
#include "core/clock.h"
#include "core/mg.h"
#include "core/money.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_MS (24LL * 3600 * 1000)

static int codes_create(const struct mg_config *cfg, struct mg_store *s, int argc, char **argv)
{
    const char *names[] = {"value", "count", "expires-in-days", "batch", "config"};
    const char *v[MG_ARRAY_SIZE(names)] = {0};
    int64_t value = 0, count = 1, days = 0;
    if (mg_admin_flags(argc, argv, names, v, MG_ARRAY_SIZE(names)) != MG_OK)
        return 2;
    if (v[0] == NULL || mg_money_parse(v[0], &value) != MG_OK || value <= 0) {
        fprintf(stderr, "maxgated: give --value AMOUNT, each code's credit such as 10.00\n");
        return 2;
    }
    if (v[1] != NULL && (mg_parse_i64(v[1], strlen(v[1]), &count) != MG_OK || count < 1 || count > 1000)) {
        fprintf(stderr, "maxgated: --count is a number of codes from 1 to 1000\n");
        return 2;
    }
    if (v[2] != NULL && (mg_parse_i64(v[2], strlen(v[2]), &days) != MG_OK || days < 1 || days > 36500)) {
        fprintf(stderr, "maxgated: --expires-in-days is a number of days from 1 to 36500 (leave it out: never)\n");
        return 2;
    }
    json_t *body = json_object(), *doc = NULL;
    json_object_set_new(body, "value_micros", json_integer(value));
    json_object_set_new(body, "count", json_integer(count));
    if (days > 0) {
        char at[32];
        time_t t = (time_t)((mg_now_ms() + days * DAY_MS) / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(body, "expires_at", json_string(at));
    }
    if (v[3] != NULL)
        json_object_set_new(body, "batch", json_string(v[3]));
    int rc = mg_admin_platform_call(cfg, s, "POST", "/admin/redeem-codes", body, &doc);
    json_decref(body);
    if (rc == 0) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(doc, "codes"), i, c) printf("%s\n", json_string_value(c));
        fflush(stdout);
        fprintf(stderr, "%lld code(s) of %s created; they are shown this once (stored hashed)\n", (long long)count,
                v[0]);
        json_array_foreach(json_object_get(doc, "codes"), i, c) /* the answer's copy of each code */
            sodium_memzero((void *)json_string_value(c), json_string_length(c));
    }
    json_decref(doc);
    return rc;
}

static int codes_list(const struct mg_config *cfg, struct mg_store *s, int argc, char **argv)
{
    const char *names[] = {"batch", "config"};
    const char *v[2] = {0};
    char path[160];
    json_t *doc = NULL, *c;
    size_t i;
    if (mg_admin_flags(argc, argv, names, v, 2) != MG_OK)
        return 2;
    snprintf(path, sizeof(path), "/admin/redeem-codes?limit=1000%s%s", v[0] ? "&batch=" : "", v[0] ? v[0] : "");
    int rc = mg_admin_platform_call(cfg, s, "GET", path, NULL, &doc);
    if (rc == 0) {
        printf("%-6s %-8s %12s %-9s %-20s %s\n", "ID", "HINT", "VALUE", "STATE", "BATCH", "EXPIRES");
        json_array_foreach(json_object_get(doc, "codes"), i, c) {
            const char *exp = json_string_value(json_object_get(c, "expires_at"));
            printf("%-6lld MGR-%-4s %12s %-9s %-20s %s\n", (long long)json_integer_value(json_object_get(c, "id")),
                   json_string_value(json_object_get(c, "hint")), json_string_value(json_object_get(c, "value")),
                   json_string_value(json_object_get(c, "state")), json_string_value(json_object_get(c, "batch")),
                   exp ? exp : "never");
        }
    }
    json_decref(doc);
    return rc;
}

static int credit(const struct mg_config *cfg, struct mg_store *s, int argc, char **argv)
{
    const char *names[] = {"email", "amount", "reference", "config"};
    const char *v[4] = {0};
    char path[96];
    int64_t amount = 0;
    struct mg_account a;
    if (mg_admin_flags(argc, argv, names, v, 4) != MG_OK)
        return 2;
    const char *amt = v[1] ? (v[1][0] == '-' ? v[1] + 1 : v[1]) : NULL;
    if (v[0] == NULL || amt == NULL || v[2] == NULL || mg_money_parse(amt, &amount) != MG_OK || amount == 0) {
        fprintf(stderr, "maxgated: give --email E --amount 5.00 (negative: an adjustment) --reference TEXT\n");
        return 2;
    }
    if (v[1][0] == '-')
        amount = -amount;
    if (s->ops->account_by_email(s, v[0], &a) != MG_OK) {
        fprintf(stderr, "maxgated: no account %s\n", v[0]);
        return 1;
    }
    snprintf(path, sizeof(path), "/admin/accounts/%lld/credit", (long long)a.id);
    json_t *body = json_object(), *doc = NULL;
    json_object_set_new(body, "amount_micros", json_integer(amount));
    json_object_set_new(body, "reference", json_string(v[2]));
    int rc = mg_admin_platform_call(cfg, s, "POST", path, body, &doc);
    json_decref(body);
    if (rc == 0)
        printf("%s %s to %s; balance %s\n", json_string_value(json_object_get(doc, "kind")),
               json_string_value(json_object_get(doc, "amount")), a.email,
               json_string_value(json_object_get(doc, "balance")));
    json_decref(doc);
    return rc;
}

int mg_cmd_admin_wallet(const struct mg_config *cfg, struct mg_store *s, const char *noun, int argc, char **argv)
{
    if (strcmp(noun, "credit") == 0)
        return credit(cfg, s, argc + 1, argv - 1); /* argv[-1] is the noun: the flags start after it */
    const char *verb = argc > 0 ? argv[0] : "";
    if (strcmp(verb, "create") == 0)
        return codes_create(cfg, s, argc, argv);
    if (strcmp(verb, "list") == 0)
        return codes_list(cfg, s, argc, argv);
    fprintf(stderr, "maxgated: unknown command 'admin redeem-codes %s' (create, list)\n", verb);
    return 2;
}
