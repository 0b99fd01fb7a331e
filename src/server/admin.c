/*
 * admin.c: `maxgated init` and `maxgated admin ...`, the operator commands
 * that work on the local database (docs/operations.md).  They run in their
 * own process, so blocking here (Argon2id, the database) is fine.
 */
#include "server/server.h"
#include "billing/prices.h"
#include "core/apikey.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mg.h"
#include "core/service.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct mg_store *mg_server_store(const struct mg_config *cfg, char *err, size_t errlen)
{
    char spec[MG_PATH_MAX + 16];
    mg_config_store_spec(cfg, spec, sizeof(spec));
    struct mg_store *s = mg_store_open(spec, err, errlen);
    if (s != NULL && s->ops->migrate(s) != MG_OK) {
        snprintf(err, errlen, "cannot create or upgrade the database schema in %s", cfg->database);
        s->ops->close(s);
        return NULL;
    }
    return s;
}


/* ---- option parsing shared by the admin commands ------------------------------ */

enum { O_EMAIL = 1, O_PASSWORD_STDIN, O_PASSWORD_FILE, O_GENERATE, O_ADMIN, O_NAME, O_REGION, O_SCOPES, O_MODELS, O_EXPIRES, O_ID, O_BASE_URL,
       O_KEY_ENV, O_KEY_FILE, O_KEY_STDIN, O_WEIGHT, O_CAP, O_JSON, O_LIMIT, O_REQUEST_ID, O_CONFIG, O_TO,
       O_KEY, O_WINDOW, O_RPM, O_TPM };

struct args {
    const char *email, *password_file, *name, *region, *scopes, *models, *id, *base_url, *key_env, *key_file, *cap,
        *request_id, *to, *key, *rpm, *tpm;
    int admin, key_stdin, json, password_stdin, generate;
    int64_t expires_in, weight, limit, window; /* window: -1 = not given */
};

static const struct option admin_opts[] = {
    {"email", required_argument, NULL, O_EMAIL},     {"password-stdin", no_argument, NULL, O_PASSWORD_STDIN},
    {"password-file", required_argument, NULL, O_PASSWORD_FILE}, {"generate-password", no_argument, NULL, O_GENERATE},
    {"admin", no_argument, NULL, O_ADMIN},           {"name", required_argument, NULL, O_NAME},
    {"region", required_argument, NULL, O_REGION},   {"scopes", required_argument, NULL, O_SCOPES},
    {"models", required_argument, NULL, O_MODELS},   {"expires-in", required_argument, NULL, O_EXPIRES},
    {"id", required_argument, NULL, O_ID},           {"base-url", required_argument, NULL, O_BASE_URL},
    {"key-env", required_argument, NULL, O_KEY_ENV}, {"key-file", required_argument, NULL, O_KEY_FILE},
    {"key-stdin", no_argument, NULL, O_KEY_STDIN},   {"weight", required_argument, NULL, O_WEIGHT},
    {"cap", required_argument, NULL, O_CAP},         {"json", no_argument, NULL, O_JSON},
    {"limit", required_argument, NULL, O_LIMIT},     {"request-id", required_argument, NULL, O_REQUEST_ID},
    {"config", required_argument, NULL, O_CONFIG},   {"to", required_argument, NULL, O_TO},
    {"key", required_argument, NULL, O_KEY},         {"window-seconds", required_argument, NULL, O_WINDOW},
    {"rpm", required_argument, NULL, O_RPM},         {"tpm", required_argument, NULL, O_TPM},
    {NULL, 0, NULL, 0},
};

static int parse_int_opt(const char *name, const char *v, int64_t *out)
{
    if (mg_parse_i64(v, strlen(v), out) != MG_OK || *out < 0) {
        fprintf(stderr, "maxgated: --%s must be a whole number, not '%s'\n", name, v);
        return MG_ERR;
    }
    return MG_OK;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    int c;
    memset(a, 0, sizeof(*a));
    a->weight = 1;
    a->limit = 50;
    a->window = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", admin_opts, NULL)) != -1) {
        switch (c) {
        case O_EMAIL: a->email = optarg; break;
        case O_PASSWORD_STDIN: a->password_stdin = 1; break;
        case O_PASSWORD_FILE: a->password_file = optarg; break;
        case O_GENERATE: a->generate = 1; break;
        case O_ADMIN: a->admin = 1; break;
        case O_NAME: a->name = optarg; break;
        case O_REGION: a->region = optarg; break;
        case O_SCOPES: a->scopes = optarg; break;
        case O_MODELS: a->models = optarg; break;
        case O_EXPIRES: if (parse_int_opt("expires-in", optarg, &a->expires_in) != MG_OK) return MG_ERR; break;
        case O_ID: a->id = optarg; break;
        case O_BASE_URL: a->base_url = optarg; break;
        case O_KEY_ENV: a->key_env = optarg; break;
        case O_KEY_FILE: a->key_file = optarg; break;
        case O_KEY_STDIN: a->key_stdin = 1; break;
        case O_WEIGHT: if (parse_int_opt("weight", optarg, &a->weight) != MG_OK) return MG_ERR; break;
        case O_CAP: a->cap = optarg; break;
        case O_JSON: a->json = 1; break;
        case O_LIMIT: if (parse_int_opt("limit", optarg, &a->limit) != MG_OK) return MG_ERR; break;
        case O_REQUEST_ID: a->request_id = optarg; break;
        case O_CONFIG: break; /* read by main() */
        case O_TO: a->to = optarg; break;
        case O_KEY: a->key = optarg; break;
        case O_RPM: a->rpm = optarg; break;
        case O_TPM: a->tpm = optarg; break;
        case O_WINDOW: if (parse_int_opt("window-seconds", optarg, &a->window) != MG_OK) return MG_ERR; break;
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

static int need(const char *v, const char *flag)
{
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "maxgated: this command needs --%s\n", flag);
        return 0;
    }
    return 1;
}

static int account(struct mg_store *s, const char *email, struct mg_account *out)
{
    int rc = s->ops->account_by_email(s, email, out);
    if (rc == MG_DECLINED)
        fprintf(stderr, "maxgated: no account with email %s (create it with `maxgated admin user create`)\n", email);
    return rc;
}

/* ---- commands ----------------------------------------------------------------------- */

static int user_cmd(struct mg_store *s, const struct mg_config *cfg, const char *verb, struct args *a)
{
    struct mg_account acc;
    if (!need(a->email, "email"))
        return 2;
    if (strcmp(verb, "create") == 0) {
        char phc[MG_PW_PHC_MAX] = "", shown[64] = "";
        int64_t id;
        struct mg_password_source src = {a->generate, a->password_file, a->password_stdin};
        if (strchr(a->email, '@') == NULL) {
            fprintf(stderr, "maxgated: '%s' is not an email address\n", a->email);
            return 2;
        }
        /* without a password the account can only get one by a reset link (it cannot sign in) */
        int with_pw = a->generate || a->password_file || a->password_stdin;
        if (with_pw && mg_server_password(cfg, &src, a->email, phc, shown, sizeof(shown)) != MG_OK)
            return 2;
        int rc = s->ops->account_create(s, a->email, with_pw ? phc : NULL, a->admin, &id);
        sodium_memzero(phc, sizeof(phc));
        if (rc == MG_OK && a->admin)
            mg_server_audit(s, "admin.created", id, "by maxgated admin user create --admin");
        if (rc == MG_OK && a->generate)
            printf("%lld\n%s\n", (long long)id, shown);
        sodium_memzero(shown, sizeof(shown));
        if (rc == MG_OK && a->generate)
            return 0;
        if (rc == MG_DECLINED) {
            fprintf(stderr, "maxgated: an account with email %s already exists\n", a->email);
            return 1;
        }
        if (rc != MG_OK)
            return 1;
        printf("%lld\n", (long long)id);
        return 0;
    }
    if (account(s, a->email, &acc) != MG_OK)
        return 1;
    if (strcmp(verb, "suspend") == 0 || strcmp(verb, "unsuspend") == 0)
        return s->ops->account_set_suspended(s, acc.id, verb[0] == 's') == MG_OK ? 0 : 1;
    if (strcmp(verb, "set-cap") == 0) {
        int64_t cap;
        if (!need(a->cap, "cap"))
            return 2;
        if (mg_money_parse(a->cap, &cap) != MG_OK) {
            fprintf(stderr, "maxgated: --cap must be an amount like 5.00 (0 = no cap), not '%s'\n", a->cap);
            return 2;
        }
        return s->ops->account_set_cap(s, acc.id, cap) == MG_OK ? 0 : 1;
    }
    fprintf(stderr, "maxgated: unknown command 'admin user %s' (create, suspend, unsuspend, set-cap)\n", verb);
    return 2;
}

static int print_key(void *arg, const struct mg_key_record *k)
{
    const int64_t *want = arg;
    char scopes[128];
    if (want[0] != 0 && k->account_id != want[0])
        return MG_OK;
    mg_scopes_format(k->scopes, scopes, sizeof(scopes));
    if (want[1])
        printf("{\"public_id\":\"%s\",\"name\":\"%s\",\"account_id\":%lld,\"region\":\"%s\",\"scopes\":\"%s\","
               "\"status\":\"%s\",\"expires_ms\":%lld,\"created_ms\":%lld,\"last_used_ms\":%lld}\n",
               k->public_id, k->name, (long long)k->account_id, mg_region_name(k->region), scopes,
               k->status == MG_KEY_REVOKED ? "revoked" : "active", (long long)k->expires_ms, (long long)k->created_ms,
               (long long)k->last_used_ms);
    else
        printf("%s  %-20s  %-6s  %-8s  %s\n", k->public_id, k->name, mg_region_name(k->region),
               k->status == MG_KEY_REVOKED ? "revoked" : "active", scopes);
    return MG_OK;
}

static int key_cmd(struct mg_store *s, const struct mg_config *cfg, const char *verb, struct args *a)
{
    if (strcmp(verb, "create") == 0) {
        struct mg_account acc;
        struct mg_key_record k;
        struct mg_key_parts parts;
        enum mg_region region = MG_REGION_GLOBAL;
        char key[MG_KEY_LEN + 1], bad[32], err[512];
        uint8_t secret[MG_SECRET_LEN];
        if (!need(a->email, "email") || !need(a->name, "name"))
            return 2;
        memset(&k, 0, sizeof(k));
        if (a->region != NULL && mg_region_parse(a->region, &region) != MG_OK) {
            fprintf(stderr, "maxgated: --region must be gl or cn, not '%s'\n", a->region);
            return 2;
        }
        if (mg_scopes_parse(a->scopes ? a->scopes : "all", &k.scopes, bad, sizeof(bad)) != MG_OK) {
            fprintf(stderr, "maxgated: unknown scope '%s' (chat, speech, video, image, music, voice, files, all)\n",
                    bad);
            return 2;
        }
        if (mg_secret_load(cfg->secrets_file, secret, err, sizeof(err)) != MG_OK) {
            fprintf(stderr, "maxgated: %s\n", err);
            return 1;
        }
        if (account(s, a->email, &acc) != MG_OK)
            return 1;
        mg_key_generate(region, key, &parts);
        mg_key_digest(secret, sizeof(secret), key, MG_KEY_LEN, k.digest);
        sodium_memzero(secret, sizeof(secret));
        k.account_id = acc.id;
        k.region = region;
        mg_strlcpy(k.public_id, parts.public_id, sizeof(k.public_id));
        mg_strlcpy(k.name, a->name, sizeof(k.name));
        mg_strlcpy(k.models, a->models ? a->models : "", sizeof(k.models));
        if (a->expires_in > 0)
            k.expires_ms = mg_now_ms() + a->expires_in * 1000;
        if (s->ops->key_insert(s, &k) != MG_OK) {
            sodium_memzero(key, sizeof(key));
            return 1;
        }
        printf("%s\n", key); /* shown once (KY-2) */
        fflush(stdout);
        sodium_memzero(key, sizeof(key));
        fprintf(stderr, "created key %s (%s) for %s, region %s; it is shown only this once\n", k.public_id, k.name,
                acc.email, mg_region_name(region));
        return 0;
    }
    if (strcmp(verb, "revoke") == 0 && a->key != NULL) /* a leaked key: full text or public id */
        return mg_admin_key_revoke_text(cfg, s, a->key);
    if (strcmp(verb, "edit") == 0) {
        if (!need(a->id, "id"))
            return 2;
        struct mg_admin_key_edit e = {a->name, a->scopes, a->models, a->rpm, a->tpm, a->cap};
        if (!e.name && !e.scopes && !e.models && !e.rpm && !e.tpm && !e.cap) {
            fprintf(stderr, "maxgated: admin key edit needs --name, --scopes, --models, --rpm, --tpm or --cap\n");
            return 2;
        }
        return mg_admin_key_edit(cfg, s, a->id, &e);
    }
    if (strcmp(verb, "rotate") == 0)
        return need(a->id, "id") ? mg_admin_key_rotate(cfg, s, a->id, a->window) : 2;
    if (strcmp(verb, "revoke") == 0) {
        if (!need(a->id, "id"))
            return 2;
        int rc = s->ops->key_set_status(s, a->id, MG_KEY_REVOKED);
        if (rc == MG_DECLINED)
            fprintf(stderr, "maxgated: no key with public id %s\n", a->id);
        return rc == MG_OK ? 0 : 1;
    }
    if (strcmp(verb, "list") == 0) {
        int64_t want[2] = {0, a->json};
        int64_t max = 0;
        struct mg_account acc;
        if (a->email != NULL) {
            if (account(s, a->email, &acc) != MG_OK)
                return 1;
            want[0] = acc.id;
        }
        return s->ops->keys_since(s, 0, print_key, want, &max) == MG_OK ? 0 : 1;
    }
    fprintf(stderr, "maxgated: unknown command 'admin key %s' (create, revoke, edit, rotate, list)\n", verb);
    return 2;
}

static int channel_cmd(struct mg_store *s, const struct mg_config *cfg, const char *verb, struct args *a)
{
    if (strcmp(verb, "add") == 0) {
        struct mg_channel_record c;
        char err[512];
        int sources = (a->key_env != NULL) + (a->key_file != NULL) + a->key_stdin;
        memset(&c, 0, sizeof(c));
        if (!need(a->name, "name") || !need(a->region, "region") || !need(a->base_url, "base-url"))
            return 2;
        if (sources != 1) {
            fprintf(stderr, "maxgated: give exactly one of --key-env VAR, --key-file PATH or --key-stdin\n");
            return 2;
        }
        if (mg_region_parse(a->region, &c.region) != MG_OK) {
            fprintf(stderr, "maxgated: --region must be global or cn\n");
            return 2;
        }
        if (strncmp(a->base_url, "http://", 7) != 0 && strncmp(a->base_url, "https://", 8) != 0) {
            fprintf(stderr, "maxgated: --base-url must start with https:// (or http:// for a local upstream)\n");
            return 2;
        }
        mg_strlcpy(c.name, a->name, sizeof(c.name));
        mg_strlcpy(c.base_url, a->base_url, sizeof(c.base_url));
        mg_strlcpy(c.models, a->models ? a->models : "", sizeof(c.models));
        c.weight = (int)(a->weight > 0 ? a->weight : 1);
        c.enabled = 1;
        if (a->key_env)
            snprintf(c.key_ref, sizeof(c.key_ref), "env:%s", a->key_env);
        else if (a->key_file)
            snprintf(c.key_ref, sizeof(c.key_ref), "file:%s", a->key_file);
        else {
            char line[400];
            uint8_t secret[MG_SECRET_LEN];
            if (fgets(line, sizeof(line), stdin) == NULL) {
                fprintf(stderr, "maxgated: --key-stdin: no key on standard input\n");
                return 2;
            }
            line[strcspn(line, "\r\n")] = '\0';
            if (mg_secret_load(cfg->secrets_file, secret, err, sizeof(err)) != MG_OK) {
                fprintf(stderr, "maxgated: %s\n", err);
                return 1;
            }
            mg_strlcpy(c.key_ref, "db", sizeof(c.key_ref));
            c.key_enc_len = mg_secret_seal(secret, line, c.key_enc, sizeof(c.key_enc));
            sodium_memzero(line, sizeof(line));
            sodium_memzero(secret, sizeof(secret));
            if (c.key_enc_len == 0) {
                fprintf(stderr, "maxgated: the upstream key is too long\n");
                return 2;
            }
        }
        int rc = s->ops->channel_insert(s, &c);
        if (rc == MG_DECLINED)
            fprintf(stderr, "maxgated: a channel named %s already exists\n", c.name);
        return rc == MG_OK ? 0 : 1;
    }
    if (strcmp(verb, "list") == 0) {
        struct mg_channel_record *v;
        size_t n;
        if (s->ops->channel_list(s, &v, &n) != MG_OK)
            return 1;
        for (size_t i = 0; i < n; i++) {
            const char *ref = v[i].key_enc_len > 0 ? "stored encrypted" : v[i].key_ref;
            if (a->json)
                printf("{\"name\":\"%s\",\"region\":\"%s\",\"base_url\":\"%s\",\"key\":\"%s\",\"weight\":%d,"
                       "\"models\":\"%s\"}\n",
                       v[i].name, mg_region_name(v[i].region), v[i].base_url, ref, v[i].weight, v[i].models);
            else
                printf("%-16s %-6s %-40s key %s, weight %d\n", v[i].name, mg_region_name(v[i].region), v[i].base_url,
                       ref, v[i].weight);
        }
        free(v);
        return 0;
    }
    if (strcmp(verb, "remove") == 0) {
        if (!need(a->name, "name"))
            return 2;
        int rc = s->ops->channel_delete(s, a->name);
        if (rc == MG_DECLINED)
            fprintf(stderr, "maxgated: no channel named %s\n", a->name);
        return rc == MG_OK ? 0 : 1;
    }
    fprintf(stderr, "maxgated: unknown command 'admin channel %s' (add, list, remove)\n", verb);
    return 2;
}

static int print_usage(void *arg, const struct mg_usage_event *e);

static int usage_cmd(struct mg_store *s, const struct mg_config *cfg, const char *verb, struct args *a)
{
    return s->ops->usage_list(s, a->request_id, (size_t)a->limit, print_usage, &a->json) == MG_OK ? 0 : 1;
}

/* The admin nouns; each handler gets the verb and the parsed options. */
static const struct {
    const char *noun;
    int (*run)(struct mg_store *s, const struct mg_config *cfg, const char *verb, struct args *a);
} nouns[] = {
    {"user", user_cmd},
    {"key", key_cmd},
    {"channel", channel_cmd},
    {"usage", usage_cmd},
};

/* The nouns that read their own options (argv from the verb on), with a store of their own. */
static const struct {
    const char *noun;
    int (*run)(const struct mg_config *cfg, struct mg_store *s, const char *noun, int argc, char **argv);
} own_options[] = {
    {"price", mg_cmd_admin_price},
    {"redeem-codes", mg_cmd_admin_wallet},
    {"credit", mg_cmd_admin_wallet},
};

static int print_usage(void *arg, const struct mg_usage_event *e)
{
    int json = *(int *)arg;
    char cost[32];
    mg_money_format(e->cost_micros, cost, sizeof(cost));
    if (json)
        printf("{\"request_id\":\"%s\",\"ts_ms\":%lld,\"account_id\":%lld,\"key_id\":%lld,\"key_public_id\":\"%s\","
               "\"model\":\"%s\",\"service\":\"%s\",\"route\":\"%s\",\"input_tokens\":%lld,\"output_tokens\":%lld,"
               "\"cached_tokens\":%lld,\"characters\":%lld,\"images\":%lld,\"videos\":%lld,\"tracks\":%lld,"
               "\"voices\":%lld,\"cost_micros\":%lld,\"http_status\":%d,\"estimated\":%s,\"latency_ms\":%lld,"
               "\"video_seconds\":%lld,\"video_res\":\"%s\"}\n",
               e->request_id, (long long)e->ts_ms, (long long)e->account_id, (long long)e->key_id, e->key_public_id,
               e->model, e->service, e->route, (long long)e->input_tokens, (long long)e->output_tokens,
               (long long)e->cached_tokens, (long long)e->characters, (long long)e->images, (long long)e->videos,
               (long long)e->tracks, (long long)e->voices, (long long)e->cost_micros, e->http_status,
               e->estimated ? "true" : "false", (long long)e->latency_ms, (long long)e->video_seconds, e->video_res);
    else
        printf("%s  %-8s %-24s in %-7lld out %-7lld cost %s\n", e->request_id, e->service, e->model,
               (long long)e->input_tokens, (long long)e->output_tokens, cost);
    return MG_OK;
}

int mg_cmd_admin(const struct mg_config *cfg, int argc, char **argv)
{
    struct args a;
    char err[512];
    if (argc < 1 || (argc < 2 && strcmp(argv[0], "audit") != 0)) {
        fprintf(stderr, "usage: maxgated admin user|key|channel|price|usage|mail|accounts|access-requests|"
                        "recovery-requests|audit|invoices|redeem-codes|credit VERB [options] (see docs/operations.md)\n");
        return 2;
    }
    const char *noun = argv[0], *verb = argv[1];
    if (strcmp(noun, "accounts") == 0 || strcmp(noun, "access-requests") == 0 ||
        strcmp(noun, "recovery-requests") == 0 || strcmp(noun, "audit") == 0 || strcmp(noun, "invoices") == 0)
        return mg_cmd_admin_platform(cfg, noun, argc - 1, argv + 1);
    if (strcmp(noun, "usage") == 0) {
        verb = "list";
        if (strcmp(argv[1], "list") != 0) {
            fprintf(stderr, "maxgated: unknown command 'admin usage %s' (list)\n", argv[1]);
            return 2;
        }
    }
    for (size_t i = 0; i < MG_ARRAY_SIZE(own_options); i++) {
        if (strcmp(own_options[i].noun, noun) != 0) /* mg-allow-cmp: command names, not secrets */
            continue;
        struct mg_store *ps = mg_server_store(cfg, err, sizeof(err));
        if (ps == NULL) {
            fprintf(stderr, "maxgated: %s\n", err);
            return 1;
        }
        int prc = own_options[i].run(cfg, ps, noun, argc - 1, argv + 1);
        ps->ops->close(ps);
        return prc;
    }
    if (parse_args(argc - 1, argv + 1, &a) != MG_OK)
        return 2;
    if (strcmp(noun, "mail") == 0) /* needs no database */
        return mg_cmd_admin_mail(cfg, verb, a.to);
    struct mg_store *s = mg_server_store(cfg, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "maxgated: %s\n", err);
        return 1;
    }
    int rc = -1;
    for (size_t i = 0; i < MG_ARRAY_SIZE(nouns); i++)
        if (strcmp(nouns[i].noun, noun) == 0)
            rc = nouns[i].run(s, cfg, verb, &a);
    if (rc < 0) {
        fprintf(stderr, "maxgated: unknown command 'admin %s' (user, key, channel, price, usage, mail, accounts, "
                        "access-requests, recovery-requests, audit, invoices, redeem-codes, credit)\n", noun);
        rc = 2;
    }
    s->ops->close(s);
    return rc;
}
