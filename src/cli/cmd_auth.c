/*
 * cmd_auth.c: auth login | status | logout, and config show | set.
 *
 * Region detection never falls back silently (mmx issue #191): a maxgate key
 * names its region; any other key is tried against each region's real host
 * and the answer says which one accepted it, or that none did.
 */
#include "cli/cli.h"
#include "core/apikey.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

/* 0 if the current settings authenticate (GET the quota path). */
static int probe(struct mg_cli *cli, struct mg_http_result *res)
{
    return mg_cli_request(cli, "GET", "/v1/token_plan/remains", NULL, res);
}

static int report_login(struct mg_cli *cli, const char *how)
{
    char err[1200], mask[80];
    if (mg_cli_config_save(cli->config_path, &cli->prof, 1, err, sizeof(err)) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_API, "%s", err);
    mg_key_mask(cli->prof.api_key, strlen(cli->prof.api_key), mask, sizeof(mask));
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "profile", cli->prof.name, "key", mask, "region",
                              cli->prof.region[0] ? cli->prof.region : "global", "base_url", mg_cli_base_url(cli),
                              "detected_by", how);
        mg_cli_print_json(o);
        json_decref(o);
    } else {
        printf("Logged in: key %s, region %s (%s), base URL %s, profile '%s'\n", mask,
               cli->prof.region[0] ? cli->prof.region : "global", how, mg_cli_base_url(cli), cli->prof.name);
    }
    return MG_EXIT_OK;
}

static int auth_login(struct mg_cli *cli)
{
    struct mg_http_result res;
    struct mg_key_parts parts;
    const char *key = cli->prof.api_key;
    int rc;

    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (key[0] == '\0')
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give the key: maxgate auth login --api-key KEY (or MAXGATE_API_KEY)");
    int is_maxgate = strncmp(key, "mgk_", 4) == 0;
    if (is_maxgate && mg_key_parse(key, strlen(key), &parts) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_AUTH, "this maxgate key is malformed (a character is wrong or it was cut); "
                                              "copy it again");
    if (is_maxgate) {
        const char *r = mg_region_name(parts.region);
        if (cli->prof.region[0] && strcmp(cli->prof.region, r) != 0)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "this key belongs to region %s, not %s; drop --region or use "
                                                   "--region %s", r, cli->prof.region, r);
        mg_strlcpy(cli->prof.region, r, sizeof(cli->prof.region));
        if (cli->prof.base_url[0] == '\0')
            return mg_cli_fail(cli, MG_EXIT_USAGE, "maxgate keys work with a maxgate server: add --base-url "
                                                   "https://your-maxgate-server");
    }
    if (cli->prof.base_url[0] || cli->prof.region[0]) {
        /* validate against exactly what was asked for */
        probe(cli, &res);
        rc = mg_cli_check(cli, &res, NULL); /* names the other region if the key is its */
        mg_cli_result_free(&res);
        if (rc != MG_EXIT_OK)
            return rc;
        return report_login(cli, is_maxgate ? "from the key" : cli->prof.base_url[0] ? "validated" : "as given");
    }
    /* a MiniMax key and no region: ask both regions, say which answered */
    for (int r = 0; r < MG_REGION__COUNT; r++) {
        mg_strlcpy(cli->prof.region, mg_region_name((enum mg_region)r), sizeof(cli->prof.region));
        probe(cli, &res);
        int ok = res.curl_code == 0 && res.status == 200;
        mg_cli_result_free(&res);
        if (ok)
            return report_login(cli, "detected by probing both regions");
    }
    cli->prof.region[0] = '\0';
    return mg_cli_fail(cli, MG_EXIT_AUTH, "neither region's MiniMax API accepted this key (or neither could be "
                                          "reached); nothing was saved. Check the key, or pass --region / --base-url");
}

static int auth_status(struct mg_cli *cli)
{
    char mask[80];
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (cli->prof.api_key[0] == '\0')
        return mg_cli_fail(cli, MG_EXIT_AUTH, "not logged in (profile '%s'): run maxgate auth login --api-key KEY",
                           cli->prof.name);
    mg_key_mask(cli->prof.api_key, strlen(cli->prof.api_key), mask, sizeof(mask));
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "profile", cli->prof.name, "key", mask, "region",
                              cli->prof.region[0] ? cli->prof.region : "global", "base_url", mg_cli_base_url(cli));
        mg_cli_print_json(o);
        json_decref(o);
    } else {
        printf("profile  %s\nkey      %s\nregion   %s\nbase URL %s\n", cli->prof.name, mask,
               cli->prof.region[0] ? cli->prof.region : "global", mg_cli_base_url(cli));
    }
    return MG_EXIT_OK;
}

static int auth_logout(struct mg_cli *cli)
{
    char err[1200];
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (mg_cli_config_remove_key(cli->config_path, cli->prof.name, err, sizeof(err)) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_API, "%s", err);
    if (!cli->json)
        printf("Logged out of profile '%s' (the key was removed from %s)\n", cli->prof.name, cli->config_path);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_auth_cmds[] = {
    {"auth login", auth_login, "validate a key, detect its region, save it in the profile",
     "--api-key KEY [--base-url URL] [--region global|cn] [--profile NAME]"},
    {"auth status", auth_status, "show the profile's key (masked), region and base URL", ""},
    {"auth logout", auth_logout, "remove the key from the profile", ""},
    {NULL, NULL, NULL, NULL},
};

/* ---- config ---- */

static int config_show(struct mg_cli *cli)
{
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    json_t *root = mg_cli_config_read(cli->config_path), *p;
    const char *name;
    json_object_foreach(json_object_get(root, "profiles"), name, p)
    {
        const char *k = json_string_value(json_object_get(p, "api_key"));
        if (k != NULL) { /* never print a key */
            char mask[80];
            mg_key_mask(k, strlen(k), mask, sizeof(mask));
            json_object_set_new(p, "api_key", json_string(mask));
        }
        if (json_object_get(p, "session_token") != NULL) /* nor a session */
            json_object_set_new(p, "session_token", json_string("mgs_…"));
    }
    json_object_set_new(root, "path", json_string(cli->config_path));
    mg_cli_print_json(root);
    json_decref(root);
    return MG_EXIT_OK;
}

static int config_set(struct mg_cli *cli)
{
    const char *k = mg_cli_opt(cli, "key"), *v = mg_cli_opt(cli, "value");
    char err[1200];
    if (mg_cli_check_opts(cli, "key,value", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (k == NULL || v == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "usage: maxgate config set --key region|base_url|output|timeout --value V");
    if (strcmp(k, "region") == 0) {
        enum mg_region r;
        if (mg_region_parse(v, &r) != MG_OK)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "region must be global or cn");
        mg_strlcpy(cli->prof.region, mg_region_name(r), sizeof(cli->prof.region));
    } else if (strcmp(k, "base_url") == 0 || strcmp(k, "base-url") == 0) {
        mg_strlcpy(cli->prof.base_url, v, sizeof(cli->prof.base_url));
    } else if (strcmp(k, "output") == 0) {
        if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "output must be text or json");
        mg_strlcpy(cli->prof.output, v, sizeof(cli->prof.output));
    } else if (strcmp(k, "timeout") == 0) {
        if (mg_parse_i64(v, strlen(v), &cli->prof.timeout_s) != MG_OK || cli->prof.timeout_s <= 0)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "timeout must be a whole number of seconds");
    } else {
        return mg_cli_fail(cli, MG_EXIT_USAGE, "unknown setting '%s' (region, base_url, output, timeout; the key is "
                                               "set with auth login)", k);
    }
    if (mg_cli_config_save(cli->config_path, &cli->prof, 0, err, sizeof(err)) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_API, "%s", err);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_config_cmds[] = {
    {"config show", config_show, "print the config file (keys and sessions masked)", ""},
    {"config set", config_set, "change a setting of the profile", "--key region|base_url|output|timeout --value V"},
    {NULL, NULL, NULL, NULL},
};
