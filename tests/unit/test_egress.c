/* Unit tests: the egress proxy choice (net/egress.c): NO_PROXY matching, the
 * environment by scheme, a channel's own setting, proxy URLs and their
 * credentials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/mg.h"
#include "net/egress.h"

static void no_proxy_lists(void **state)
{
    assert_true(mg_egress_no_proxy("*", "api.minimax.io"));
    assert_true(mg_egress_no_proxy("minimax.io", "api.minimax.io"));
    assert_true(mg_egress_no_proxy(" .minimax.io , x", "api.minimax.io"));
    assert_true(mg_egress_no_proxy("localhost,127.0.0.1", "127.0.0.1"));
    assert_true(mg_egress_no_proxy("API.MiniMax.io", "api.minimax.io"));
    assert_false(mg_egress_no_proxy("ax.io", "api.minimax.io"));       /* a suffix only at a dot */
    assert_false(mg_egress_no_proxy("127.0.0.10", "127.0.0.1"));
    assert_false(mg_egress_no_proxy("", "api.minimax.io"));
    assert_false(mg_egress_no_proxy(NULL, "api.minimax.io"));
}

static void from_the_environment(void **state)
{
    struct mg_egress e;
    char err[256];
    unsetenv("https_proxy");
    unsetenv("http_proxy");
    unsetenv("no_proxy");
    setenv("HTTPS_PROXY", "http://proxy.corp:8080", 1);
    setenv("HTTP_PROXY", "http://plain.corp", 1);
    setenv("NO_PROXY", "internal.corp", 1);
    assert_int_equal(mg_egress_for("api.minimax.io", 1, NULL, &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, "proxy.corp");
    assert_int_equal(e.port, 8080);
    assert_string_equal(e.auth, "");
    assert_int_equal(mg_egress_for("api.minimax.io", 0, "", &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, "plain.corp");
    assert_int_equal(e.port, 3128);
    assert_int_equal(mg_egress_for("sim.internal.corp", 1, NULL, &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, ""); /* exempt: direct */
    setenv("https_proxy", "http://lower:1", 1); /* the lower-case name wins, as in curl */
    assert_int_equal(mg_egress_for("api.minimax.io", 1, NULL, &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, "lower");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("HTTP_PROXY");
    unsetenv("NO_PROXY");
    assert_int_equal(mg_egress_for("api.minimax.io", 1, NULL, &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, "");
}

static void channel_setting_wins(void **state)
{
    struct mg_egress e;
    char err[256];
    setenv("HTTPS_PROXY", "http://proxy.corp:8080", 1);
    assert_int_equal(mg_egress_for("api.minimax.io", 1, "none", &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, "");
    assert_int_equal(mg_egress_for("api.minimax.io", 1, "http://u:p%40ss@[::1]:9", &e, err, sizeof(err)), MG_OK);
    assert_string_equal(e.host, "::1");
    assert_int_equal(e.port, 9);
    assert_string_equal(e.auth, "proxy-authorization: Basic dTpwJTQwc3M=\r\n"); /* base64("u:p%40ss") */
    unsetenv("HTTPS_PROXY");
}

static void bad_proxy_urls(void **state)
{
    static const char *const bad[] = {"socks5://h:1", "http://", "http://h:0", "http://h:70000", "http://h:8x",
                                      "http://[::1", "http://:80"};
    struct mg_egress e;
    char err[256];
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        err[0] = '\0';
        assert_int_equal(mg_egress_for("h", 1, bad[i], &e, err, sizeof(err)), MG_ERR);
        assert_true(strlen(err) > 10);
        assert_string_equal(e.auth, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_proxy_lists),
        cmocka_unit_test(from_the_environment),
        cmocka_unit_test(channel_setting_wins),
        cmocka_unit_test(bad_proxy_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
