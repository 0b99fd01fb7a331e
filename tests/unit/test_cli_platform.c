/* Unit tests: the CLI's platform-API layer (platform.c): exit codes and
 * messages of platform errors, query strings and their ceiling, tables,
 * secret input from stdin, positional ids, the session in the profile. */
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
    snprintf(dir, sizeof(dir), "/tmp/mgclip.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/maxgate/config.json", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void exit_codes_of_platform_errors(void **state)
{
    assert_int_equal(mg_cli_platform_exit(200, NULL), MG_EXIT_OK);
    assert_int_equal(mg_cli_platform_exit(204, NULL), MG_EXIT_OK);
    assert_int_equal(mg_cli_platform_exit(202, NULL), MG_EXIT_OK);
    assert_int_equal(mg_cli_platform_exit(401, "session_required"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(401, "session_expired"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(401, "login_failed"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(403, "forbidden"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(403, "csrf"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(403, "reauth_required"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(403, "plan_required"), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(429, "too_many_attempts"), MG_EXIT_QUOTA);
    assert_int_equal(mg_cli_platform_exit(429, NULL), MG_EXIT_QUOTA);
    assert_int_equal(mg_cli_platform_exit(401, NULL), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_exit(504, NULL), MG_EXIT_TIMEOUT);
    /* not about who you are: an API error */
    assert_int_equal(mg_cli_platform_exit(403, "signup_closed"), MG_EXIT_API);
    assert_int_equal(mg_cli_platform_exit(400, "password_policy"), MG_EXIT_API);
    assert_int_equal(mg_cli_platform_exit(400, "token_invalid"), MG_EXIT_API);
    assert_int_equal(mg_cli_platform_exit(404, "resource_not_found"), MG_EXIT_API);
    assert_int_equal(mg_cli_platform_exit(409, "conflict"), MG_EXIT_API);
    assert_int_equal(mg_cli_platform_exit(503, "overloaded"), MG_EXIT_API);
    assert_int_equal(mg_cli_platform_exit(404, NULL), MG_EXIT_API);
}

static void messages_say_what_to_do(void **state)
{
    char m[512];
    mg_cli_platform_message("session_expired", "session expired", NULL, m, sizeof(m));
    assert_string_equal(m, "your session has expired; sign in again with `maxgate account login`");
    mg_cli_platform_message("session_required", "x", NULL, m, sizeof(m));
    assert_non_null(strstr(m, "maxgate account login"));
    mg_cli_platform_message("password_policy", "needs a digit", "new_password", m, sizeof(m));
    assert_string_equal(m, "needs a digit (field new_password)");
    mg_cli_platform_message("signup_closed", "sign-up is by request", NULL, m, sizeof(m));
    assert_non_null(strstr(m, "maxgate account request-access --email EMAIL"));
    mg_cli_platform_message(NULL, NULL, NULL, m, sizeof(m));
    assert_string_equal(m, "request failed");
    /* a small buffer is cut, never overrun */
    char small[8];
    mg_cli_platform_message("login_failed", "email or password is wrong", NULL, small, sizeof(small));
    assert_int_equal(strlen(small), 7);
}

static void query_strings_escape_and_have_a_ceiling(void **state)
{
    char p[64] = "/admin/accounts", esc[8];
    assert_int_equal(mg_cli_query_add(p, sizeof(p), "q", "a b&c=d@e"), MG_OK);
    assert_string_equal(p, "/admin/accounts?q=a%20b%26c%3Dd%40e");
    assert_int_equal(mg_cli_query_add(p, sizeof(p), "limit", "5"), MG_OK);
    assert_string_equal(p, "/admin/accounts?q=a%20b%26c%3Dd%40e&limit=5");
    assert_int_equal(mg_cli_query_add(p, sizeof(p), "cursor", NULL), MG_OK); /* absent: nothing */
    assert_string_equal(p, "/admin/accounts?q=a%20b%26c%3Dd%40e&limit=5");
    /* too long for the path: refused, the path unchanged */
    assert_int_equal(mg_cli_query_add(p, sizeof(p), "type", "login.success.and.more"), MG_ERR);
    assert_string_equal(p, "/admin/accounts?q=a%20b%26c%3Dd%40e&limit=5");
    assert_int_equal(mg_cli_url_escape("abc-_.~", esc, sizeof(esc)), MG_OK);
    assert_string_equal(esc, "abc-_.~");
    assert_int_equal(mg_cli_url_escape("abcdefgh", esc, sizeof(esc)), MG_ERR);
    assert_int_equal(mg_cli_url_escape("ab/", esc, 5), MG_ERR); /* "ab%2F" needs 6 */
    assert_int_equal(mg_cli_url_escape("ab/", esc, 6), MG_OK);
    assert_string_equal(esc, "ab%2F");
}

/* Runs the table printer into a string. */
static char *table(json_t *rows, const struct mg_cli_col *cols, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    mg_cli_table(f, rows, cols, n, "nothing here");
    fclose(f);
    return out;
}

static void tables_align_cut_and_show_nulls(void **state)
{
    static const struct mg_cli_col cols[] = {{"id", "id", 0}, {"email", "email", 10}, {"locked", "locked", 0},
                                             {"last", "session.last", 0}};
    json_t *rows = json_loads("[{\"id\":7,\"email\":\"a@b.c\",\"locked\":false,\"session\":{\"last\":null}},"
                              "{\"id\":12345,\"email\":\"a-very-long@example.com\",\"locked\":true,"
                              "\"session\":{\"last\":\"2026-12-01T22:09:05Z\"}}]", 0, NULL);
    char *s = table(rows, cols, 4);
    assert_string_equal(s, "id     email       locked  last\n"
                           "7      a@b.c       no      -\n"
                           "12345  a-very-lo~  yes     2026-12-01T22:09:05Z\n");
    free(s);
    json_decref(rows);
    rows = json_array();
    s = table(rows, cols, 4);
    assert_string_equal(s, "nothing here\n");
    free(s);
    /* a multi-byte character is not cut in half, and a newline does not break the row */
    json_array_append_new(rows, json_pack("{s:s}", "email", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
    json_array_append_new(rows, json_pack("{s:s}", "email", "a\nb"));
    static const struct mg_cli_col one[] = {{"email", "email", 6}};
    s = table(rows, one, 1);
    assert_string_equal(s, "email\n\xc3\xa9\xc3\xa9~\na b\n");
    free(s);
    json_decref(rows);
}

static void fields_list_an_object(void **state)
{
    static const struct mg_cli_col cols[] = {{"id", "id", 0}, {"second factor", "mfa.enabled", 0},
                                             {"plan", "plan", 0}};
    json_t *o = json_loads("{\"id\":1,\"mfa\":{\"enabled\":false},\"plan\":\"free\"}", 0, NULL);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    mg_cli_fields(f, o, cols, 3);
    fclose(f);
    assert_string_equal(out, "id             1\nsecond factor  no\nplan           free\n");
    free(out);
    json_decref(o);
}

/* Puts text on stdin (a file, so not a terminal). */
static void feed_stdin(const char *text)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/stdin", dir);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    assert_non_null(freopen(p, "r", stdin));
}

static void secrets_from_stdin_one_per_line(void **state)
{
    char pw[16];
    feed_stdin("Current-pw-1!\r\nNew-password!\n\n0123456789abcdefXYZ\nlast");
    assert_int_equal(mg_cli_read_secret("x", 1, pw, sizeof(pw)), MG_OK);
    assert_string_equal(pw, "Current-pw-1!"); /* CRLF too */
    assert_int_equal(mg_cli_read_secret("x", 1, pw, sizeof(pw)), MG_OK);
    assert_string_equal(pw, "New-password!");
    assert_int_equal(mg_cli_read_secret("x", 1, pw, sizeof(pw)), MG_ERR); /* empty line */
    /* longer than the buffer: refused (never truncated), and the line is consumed */
    assert_int_equal(mg_cli_read_secret("x", 1, pw, sizeof(pw)), MG_ERR);
    assert_int_equal(mg_cli_read_secret("x", 1, pw, sizeof(pw)), MG_OK);
    assert_string_equal(pw, "last"); /* no final newline */
    assert_int_equal(mg_cli_read_secret("x", 1, pw, sizeof(pw)), MG_ERR); /* end of input */
    /* without --password-stdin a stdin that is not a terminal is refused */
    feed_stdin("secret\n");
    assert_int_equal(mg_cli_read_secret("x", 0, pw, sizeof(pw)), MG_DECLINED);
    mg_cli_secret_wipe(pw, sizeof(pw));
    for (size_t i = 0; i < sizeof(pw); i++)
        assert_int_equal(pw[i], 0);
}

static void positional_ids(void **state)
{
    char *argv[] = {"12", "--plan", "pro"};
    struct mg_cli cli;
    int64_t id;
    memset(&cli, 0, sizeof(cli));
    cli.argc = 3;
    cli.argv = argv;
    assert_int_equal(mg_cli_id_arg(&cli, "account", &id), MG_EXIT_OK);
    assert_int_equal(id, 12);
    assert_int_equal(cli.argc, 2);
    assert_string_equal(mg_cli_opt(&cli, "plan"), "pro");
    assert_int_equal(mg_cli_check_opts(&cli, "plan", ""), MG_EXIT_OK); /* the id is no longer an argument */
    assert_int_equal(mg_cli_id_arg(&cli, "account", &id), MG_EXIT_USAGE); /* next is an option */
    char *bad[] = {"-3"}, *word[] = {"abc"};
    cli.argc = 1;
    cli.argv = bad;
    assert_int_equal(mg_cli_id_arg(&cli, "session", &id), MG_EXIT_USAGE);
    cli.argc = 1;
    cli.argv = word;
    assert_int_equal(mg_cli_id_arg(&cli, "session", &id), MG_EXIT_USAGE);
    cli.argc = 0;
    assert_int_equal(mg_cli_id_arg(&cli, "session", &id), MG_EXIT_USAGE);
}

static void session_kept_in_the_profile_and_forgotten(void **state)
{
    struct mg_cli cli;
    struct mg_profile q;
    char err[256];
    struct stat st;
    memset(&cli, 0, sizeof(cli));
    mg_strlcpy(cli.config_path, path, sizeof(cli.config_path));
    mg_strlcpy(cli.prof.name, "work", sizeof(cli.prof.name));
    mg_strlcpy(cli.prof.base_url, "https://gw.example", sizeof(cli.prof.base_url));
    mg_strlcpy(cli.prof.api_key, "mgk_gl_x", sizeof(cli.prof.api_key));
    assert_int_equal(mg_cli_session_store(&cli, "mgs_abc", "2026-12-31T00:00:00Z", "a@b.c", err, sizeof(err)), MG_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(mg_cli_config_load(path, "", &q, err, sizeof(err)), MG_OK);
    assert_string_equal(q.name, "work"); /* a login makes its profile current */
    assert_string_equal(q.session_token, "mgs_abc");
    assert_string_equal(q.session_expires_at, "2026-12-31T00:00:00Z");
    assert_string_equal(q.session_email, "a@b.c");
    assert_string_equal(q.session_base_url, "https://gw.example");
    assert_string_equal(q.api_key, "mgk_gl_x"); /* the key stays */
    /* a session needs the base URL it was issued for */
    assert_int_equal(mg_cli_platform_begin(&cli, 1), MG_EXIT_OK);
    assert_int_equal(cli.cred, MG_CLI_CRED_SESSION);
    mg_strlcpy(cli.prof.base_url, "https://gw.example/", sizeof(cli.prof.base_url));
    assert_int_equal(mg_cli_platform_begin(&cli, 1), MG_EXIT_OK); /* a trailing slash is the same server */
    mg_strlcpy(cli.prof.base_url, "https://other.example", sizeof(cli.prof.base_url));
    assert_int_equal(mg_cli_platform_begin(&cli, 1), MG_EXIT_AUTH);
    assert_int_equal(mg_cli_platform_begin(&cli, 0), MG_EXIT_OK); /* public endpoints: no credential */
    assert_int_equal(cli.cred, MG_CLI_CRED_NONE);
    /* forgetting does not make a --base-url flag the profile's */
    assert_int_equal(mg_cli_session_store(&cli, NULL, NULL, NULL, err, sizeof(err)), MG_OK);
    assert_string_equal(cli.prof.session_token, "");
    assert_int_equal(mg_cli_config_load(path, "work", &q, err, sizeof(err)), MG_OK);
    assert_string_equal(q.session_token, "");
    assert_string_equal(q.session_base_url, "");
    assert_string_equal(q.base_url, "https://gw.example");
    assert_string_equal(q.session_email, "a@b.c"); /* the next login's default */
    assert_int_equal(mg_cli_platform_begin(&cli, 1), MG_EXIT_AUTH);
    cli.prof.base_url[0] = '\0';
    assert_int_equal(mg_cli_platform_begin(&cli, 0), MG_EXIT_USAGE); /* MiniMax itself has no platform API */
    /* a token longer than the profile's field is refused, not cut */
    char longtok[200];
    memset(longtok, 'a', sizeof(longtok) - 1);
    longtok[sizeof(longtok) - 1] = '\0';
    mg_strlcpy(cli.prof.base_url, "https://gw.example", sizeof(cli.prof.base_url));
    assert_int_equal(mg_cli_session_store(&cli, longtok, "x", "a@b.c", err, sizeof(err)), MG_ERR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_codes_of_platform_errors),
        cmocka_unit_test(messages_say_what_to_do),
        cmocka_unit_test(query_strings_escape_and_have_a_ceiling),
        cmocka_unit_test(tables_align_cut_and_show_nulls),
        cmocka_unit_test(fields_list_an_object),
        cmocka_unit_test(secrets_from_stdin_one_per_line),
        cmocka_unit_test(positional_ids),
        cmocka_unit_test(session_kept_in_the_profile_and_forgotten),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
