/* maxgated: the server and its operator commands (docs/operations.md). */
#include "core/clock.h"
#include "core/mg.h"
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: maxgated [--config FILE] [init | serve | admin ...]\n"
               "  init [--admin-email E [--admin-password-file F | --admin-password-stdin |\n"
               "        --generate-admin-password]]\n"
               "                           create the secrets file, the database and the first admin\n"
               "  serve                    run the server (the default)\n"
               "  admin user create --email E [--admin] [--password-stdin | --password-file F | --generate-password]\n"
               "  admin user suspend|unsuspend|set-cap --email E ...\n"
               "  admin key create|revoke|list ...\n"
               "  admin channel add|list|remove ...\n"
               "  admin usage list [--request-id ID] [--limit N] [--json]\n"
               "  admin accounts list [--query Q] | show|suspend|unsuspend|unlock|end-sessions (--email E | --id N)\n"
               "  admin accounts set (--email E | --id N) [--plan free|professional|enterprise] [--role user|admin]\n"
               "  admin access-requests|recovery-requests list [--status S] | approve|deny --id N\n"
               "  admin audit [--email E] [--type T] [--limit N]\n"
               "  admin mail test --to ADDRESS   send a test mail through the [mail] settings\n"
               "The config file defaults to $MAXGATE_CONFIG, else ./maxgate.ini.  See docs/operations.md.\n");
}

int main(int argc, char **argv)
{
    const char *config = getenv("MAXGATE_CONFIG");
    char *args[64];
    int n = 0;
    struct mg_config cfg;
    char err[1024];

    /* --config may appear anywhere; the rest is the command line proper */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            config = argv[i] + 9;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (n < (int)MG_ARRAY_SIZE(args) - 1)
            args[n++] = argv[i];
    }
    args[n] = NULL;
    mg_clock_init_from_env();
    if (mg_config_load(&cfg, config ? config : "maxgate.ini", err, sizeof(err)) != MG_OK) {
        fprintf(stderr, "maxgated: %s\n", err);
        return 2;
    }
    if (n == 0 || strcmp(args[0], "serve") == 0)
        return mg_cmd_serve(&cfg);
    if (strcmp(args[0], "init") == 0)
        return mg_cmd_init(&cfg, n, args);
    if (strcmp(args[0], "admin") == 0)
        return mg_cmd_admin(&cfg, n - 1, args + 1);
    fprintf(stderr, "maxgated: unknown command '%s'\n", args[0]);
    usage(stderr);
    return 2;
}
