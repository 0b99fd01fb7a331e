/* maxgate: the command-line client (see cli.h and docs/cli.md). */
#include "cli/cli.h"
#include "core/mg.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command groups; a new group is one more line here. */
static const struct mg_cmd *const groups[] = {mg_cli_auth_cmds, mg_cli_api_cmds, mg_cli_config_cmds,
                                              mg_cli_account_cmds, mg_cli_mfa_cmds, mg_cli_keys_cmds,
                                              mg_cli_usage_cmds, mg_cli_billing_cmds, mg_cli_spend_cmds,
                                              mg_cli_admin_cmds};

static void help(FILE *f, const char *prefix)
{
    fprintf(f, "usage: maxgate [global options] <command> [options]\n\ncommands:\n");
    for (size_t g = 0; g < MG_ARRAY_SIZE(groups); g++)
        for (const struct mg_cmd *c = groups[g]; c->words; c++)
            if (prefix == NULL || strncmp(c->words, prefix, strlen(prefix)) == 0)
                fprintf(f, "  %-22s %s\n", c->words, c->summary);
    fprintf(f, "\nglobal options:\n"
               "  --profile NAME        use a named profile (env MAXGATE_PROFILE)\n"
               "  --api-key KEY         the key to use (env MAXGATE_API_KEY)\n"
               "  --base-url URL        the server (env MAXGATE_BASE_URL); default: the region's MiniMax host\n"
               "  --region global|cn    MiniMax region when no base URL is set\n"
               "  --output text|json    output format (json when stdout is not a terminal)\n"
               "  --timeout SECONDS     request timeout (default 300)\n"
               "  --verbose             print method, URL and the masked key to stderr\n"
               "  --help                help for any command: maxgate <command> --help\n");
}

static void on_sigint(int sig)
{
    (void)sig;
    _exit(MG_EXIT_INTERRUPTED);
}

int main(int argc, char **argv)
{
    struct mg_cli cli;
    /* the global options that take a value, in the order of `vals` */
    enum { G_PROFILE, G_KEY, G_BASE, G_REGION, G_OUTPUT, G_TIMEOUT, G__COUNT };
    static const char *const global_opts[G__COUNT] = {"--profile", "--api-key", "--base-url",
                                                      "--region",  "--output",  "--timeout"};
    const char *vals[G__COUNT] = {getenv("MAXGATE_PROFILE"), NULL, NULL, NULL, NULL, NULL};
    char *words[8], err[1200];
    char **rest = mg_calloc((size_t)argc + 1, sizeof(char *));
    int nwords = 0, nrest = 0, want_help = 0;

    memset(&cli, 0, sizeof(cli));
    signal(SIGINT, on_sigint);
    cli.tty_out = isatty(STDOUT_FILENO);
    cli.tty_err = isatty(STDERR_FILENO);
    /* Global options anywhere; leading bare words name the command. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        for (int g = 0; g < G__COUNT; g++)
            if (strcmp(a, global_opts[g]) == 0)
                slot = &vals[g];
        if (slot != NULL) {
            if (i + 1 >= argc)
                return mg_cli_fail(NULL, MG_EXIT_USAGE, "%s needs a value", a);
            *slot = argv[++i];
        } else if (strcmp(a, "--verbose") == 0) {
            cli.verbose = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            want_help = 1;
        } else if (a[0] != '-' && nrest == 0 && nwords < (int)MG_ARRAY_SIZE(words)) {
            words[nwords++] = argv[i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    const char *profile = vals[G_PROFILE], *key = vals[G_KEY], *base = vals[G_BASE], *region = vals[G_REGION],
               *output = vals[G_OUTPUT], *timeout = vals[G_TIMEOUT];
    if (mg_cli_config_path(cli.config_path, sizeof(cli.config_path)) != MG_OK)
        return mg_cli_fail(NULL, MG_EXIT_USAGE, "set HOME or XDG_CONFIG_HOME so the config file can be found");
    int loaded = mg_cli_config_load(cli.config_path, profile ? profile : "", &cli.prof, err, sizeof(err));
    if (loaded == MG_ERR)
        return mg_cli_fail(NULL, MG_EXIT_USAGE, "%s", err);
    /* precedence: flags > environment > profile */
    const char *env;
    if (key == NULL && (env = getenv("MAXGATE_API_KEY")) != NULL && env[0])
        key = env;
    if (base == NULL && (env = getenv("MAXGATE_BASE_URL")) != NULL && env[0])
        base = env;
    if (key)
        mg_strlcpy(cli.prof.api_key, key, sizeof(cli.prof.api_key));
    if (base)
        mg_strlcpy(cli.prof.base_url, base, sizeof(cli.prof.base_url));
    cli.region_flag = region;
    if (region) {
        enum mg_region r;
        if (mg_region_parse(region, &r) != MG_OK)
            return mg_cli_fail(NULL, MG_EXIT_USAGE, "--region must be global or cn, not '%s'", region);
        mg_strlcpy(cli.prof.region, mg_region_name(r), sizeof(cli.prof.region));
    }
    if (output == NULL && cli.prof.output[0])
        output = cli.prof.output;
    if (output != NULL && strcmp(output, "json") != 0 && strcmp(output, "text") != 0)
        return mg_cli_fail(NULL, MG_EXIT_USAGE, "--output must be text or json, not '%s'", output);
    cli.json = output ? strcmp(output, "json") == 0 : !cli.tty_out;
    cli.timeout_s = cli.prof.timeout_s;
    if (timeout != NULL && (mg_parse_i64(timeout, strlen(timeout), &cli.timeout_s) != MG_OK || cli.timeout_s <= 0))
        return mg_cli_fail(&cli, MG_EXIT_USAGE, "--timeout must be a whole number of seconds, not '%s'", timeout);

    /* the longest command whose words match */
    char joined[256] = "";
    const struct mg_cmd *best = NULL;
    int best_words = 0;
    for (int n = 1; n <= nwords; n++) {
        size_t off = strlen(joined);
        snprintf(joined + off, sizeof(joined) - off, "%s%s", n > 1 ? " " : "", words[n - 1]);
        for (size_t g = 0; g < MG_ARRAY_SIZE(groups); g++)
            for (const struct mg_cmd *c = groups[g]; c->words; c++)
                if (strcmp(c->words, joined) == 0) {
                    best = c;
                    best_words = n;
                }
    }
    if (best == NULL) {
        if (nwords == 0 || want_help) {
            help(want_help ? stdout : stderr, nwords ? words[0] : NULL);
            return want_help ? MG_EXIT_OK : MG_EXIT_USAGE;
        }
        fprintf(stderr, "maxgate: unknown command '%s'\n\n", joined);
        help(stderr, NULL);
        return MG_EXIT_USAGE;
    }
    if (want_help) {
        printf("usage: maxgate %s %s\n\n%s\n", best->words, best->usage, best->summary);
        return MG_EXIT_OK;
    }
    /* only a login makes a profile */
    if (loaded == MG_DECLINED && strcmp(best->words, "auth login") != 0 && strcmp(best->words, "account login") != 0)
        return mg_cli_fail(&cli, MG_EXIT_USAGE, "%s", err);
    /* words after the command (e.g. a positional) go back in front of the options */
    char **args = mg_calloc((size_t)argc + 1, sizeof(char *));
    int na = 0;
    for (int i = best_words; i < nwords; i++)
        args[na++] = words[i];
    for (int i = 0; i < nrest; i++)
        args[na++] = rest[i];
    cli.argc = na;
    cli.argv = args;
    int rc = best->run(&cli);
    free(args);
    free(rest);
    return rc;
}
