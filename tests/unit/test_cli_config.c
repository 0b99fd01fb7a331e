/* Unit tests: the CLI's config file, option parsing and exit-code mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mg.h"

static char dir[64], path[128];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/mgcli.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/maxgate/config.json", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void profiles_round_trip_with_0600(void **state)
{
    struct mg_profile p, q;
    char err[256];
    struct stat st;
    memset(&p, 0, sizeof(p));
    mg_strlcpy(p.name, "cn", sizeof(p.name));
    mg_strlcpy(p.api_key, "mgk_cn_secret", sizeof(p.api_key));
    mg_strlcpy(p.region, "cn", sizeof(p.region));
    mg_strlcpy(p.base_url, "https://cn.example", sizeof(p.base_url));
    assert_int_equal(mg_cli_config_save(path, &p, 1, err, sizeof(err)), MG_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    memset(&p, 0, sizeof(p));
    mg_strlcpy(p.name, "global", sizeof(p.name));
    mg_strlcpy(p.api_key, "mgk_gl_other", sizeof(p.api_key));
    assert_int_equal(mg_cli_config_save(path, &p, 0, err, sizeof(err)), MG_OK);
    /* "" = the current profile, which is still cn */
    assert_int_equal(mg_cli_config_load(path, "", &q, err, sizeof(err)), MG_OK);
    assert_string_equal(q.name, "cn");
    assert_string_equal(q.base_url, "https://cn.example");
    assert_int_equal(mg_cli_config_load(path, "global", &q, err, sizeof(err)), MG_OK);
    assert_string_equal(q.api_key, "mgk_gl_other");
    assert_int_equal(mg_cli_config_load(path, "nope", &q, err, sizeof(err)), MG_DECLINED);
    assert_non_null(strstr(err, "no profile named 'nope'"));
    assert_int_equal(mg_cli_config_remove_key(path, "cn", err, sizeof(err)), MG_OK);
    assert_int_equal(mg_cli_config_load(path, "cn", &q, err, sizeof(err)), MG_OK);
    assert_string_equal(q.api_key, "");
    assert_string_equal(q.region, "cn");
}

/* The write is atomic: no temporary file is left, and a broken file is
 * reported, not silently replaced. */
static void atomic_write_and_broken_file(void **state)
{
    struct mg_profile p, q;
    char err[256], cmd[256];
    memset(&p, 0, sizeof(p));
    mg_strlcpy(p.name, "default", sizeof(p.name));
    assert_int_equal(mg_cli_config_save(path, &p, 1, err, sizeof(err)), MG_OK);
    snprintf(cmd, sizeof(cmd), "ls %s/sub/maxgate | grep -c tmp > /dev/null", dir);
    assert_int_not_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    fputs("{broken", f);
    fclose(f);
    assert_int_equal(mg_cli_config_load(path, "", &q, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "not valid JSON"));
    /* a missing file is an empty default profile */
    unlink(path);
    assert_int_equal(mg_cli_config_load(path, "", &q, err, sizeof(err)), MG_OK);
    assert_string_equal(q.name, "default");
}

static void options(void **state)
{
    char *argv[] = {"--message", "user: hi", "--message=assistant: yo", "--stream", "--model", "M"};
    struct mg_cli cli;
    const char *msgs[4];
    memset(&cli, 0, sizeof(cli));
    cli.argc = 6;
    cli.argv = argv;
    assert_int_equal(mg_cli_opts(&cli, "message", msgs, 4), 2);
    assert_string_equal(msgs[1], "assistant: yo");
    assert_string_equal(mg_cli_opt(&cli, "model"), "M");
    assert_true(mg_cli_flag(&cli, "stream"));
    assert_false(mg_cli_flag(&cli, "no-wait"));
    assert_int_equal(mg_cli_check_opts(&cli, "message,model", "stream"), MG_EXIT_OK);
    char *bad[] = {"--mesage", "x"};
    cli.argc = 2;
    cli.argv = bad;
    assert_int_equal(mg_cli_check_opts(&cli, "message", ""), MG_EXIT_USAGE);
}

static void exit_codes(void **state)
{
    assert_int_equal(mg_cli_exit_code(200, 0, NULL), MG_EXIT_OK);
    assert_int_equal(mg_cli_exit_code(401, 1004, "key_revoked"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_exit_code(403, 1004, "key_scope"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_exit_code(429, 1008, "cap_reached"), MG_EXIT_QUOTA);
    assert_int_equal(mg_cli_exit_code(200, 1002, NULL), MG_EXIT_QUOTA); /* a rate limit, not a content filter */
    assert_int_equal(mg_cli_exit_code(200, 1008, NULL), MG_EXIT_QUOTA);
    assert_int_equal(mg_cli_exit_code(200, 1026, NULL), MG_EXIT_FILTER);
    assert_int_equal(mg_cli_exit_code(200, 1027, NULL), MG_EXIT_FILTER);
    assert_int_equal(mg_cli_exit_code(504, 1001, NULL), MG_EXIT_TIMEOUT);
    assert_int_equal(mg_cli_exit_code(500, 1033, NULL), MG_EXIT_API);
    assert_int_equal(mg_cli_exit_code(404, 2013, NULL), MG_EXIT_API);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profiles_round_trip_with_0600),
        cmocka_unit_test(atomic_write_and_broken_file),
        cmocka_unit_test(options),
        cmocka_unit_test(exit_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
