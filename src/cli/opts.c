/* opts.c: a command's own options ("--name value" / "--name=value"). */
#include "cli/cli.h"
#include "core/mg.h"

#include <string.h>

static const char *opt_value(struct mg_cli *cli, const char *name, int *i)
{
    size_t n = strlen(name);
    const char *a = cli->argv[*i];
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return NULL;
    if (a[2 + n] == '=')
        return a + 3 + n;
    if (a[2 + n] == '\0' && *i + 1 < cli->argc)
        return cli->argv[++*i];
    return NULL;
}

const char *mg_cli_opt(struct mg_cli *cli, const char *name)
{
    const char *v = NULL;
    mg_cli_opts(cli, name, &v, 1);
    return v;
}

size_t mg_cli_opts(struct mg_cli *cli, const char *name, const char **out, size_t max)
{
    size_t k = 0;
    for (int i = 0; i < cli->argc && k < max; i++) {
        const char *v = opt_value(cli, name, &i);
        if (v != NULL)
            out[k++] = v;
    }
    return k;
}

int mg_cli_flag(struct mg_cli *cli, const char *name)
{
    for (int i = 0; i < cli->argc; i++)
        if (strncmp(cli->argv[i], "--", 2) == 0 && strcmp(cli->argv[i] + 2, name) == 0)
            return 1;
    return 0;
}

static int in_list(const char *list, const char *name, size_t n)
{
    const char *p = list;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, name, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int mg_cli_check_opts(struct mg_cli *cli, const char *known, const char *flags)
{
    for (int i = 0; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        if (strncmp(a, "--", 2) != 0)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "unexpected argument '%s' (see --help)", a);
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (in_list(flags, a + 2, n))
            continue;
        if (!in_list(known, a + 2, n))
            return mg_cli_fail(cli, MG_EXIT_USAGE, "unknown option '%.*s' (see --help)", (int)n + 2, a);
        if (eq == NULL && ++i >= cli->argc)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "%s needs a value", a);
    }
    return MG_EXIT_OK;
}
