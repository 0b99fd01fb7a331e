/* Unit tests: the CLI's key-command parsing (cmd_keys.c): --scopes and
 * --models lists (trimming, unknown families, the 64-entry ceiling),
 * --window-seconds bounds, the key id check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/cli.h"
#include "core/mg.h"

static void scopes_are_families(void **state)
{
    char err[200];
    json_t *a = mg_cli_keys_scopes(" chat, speech ,files", err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 3);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "chat");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "speech");
    json_decref(a);
    const char *bad[] = {"", "chat,", "chat,,speech", "sms", "quota", "chat;speech"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        err[0] = '\0';
        assert_null(mg_cli_keys_scopes(bad[i], err, sizeof(err)));
        assert_true(err[0] != '\0');
    }
}

static void models_empty_is_any(void **state)
{
    char err[200];
    json_t *a = mg_cli_keys_models("", err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    a = mg_cli_keys_models("MiniMax-M1,abab6.5s-chat", err, sizeof(err));
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);
    assert_null(mg_cli_keys_models("a b", err, sizeof(err)));
    assert_null(mg_cli_keys_models("a\"b", err, sizeof(err)));
    char longname[200];
    memset(longname, 'm', 129);
    longname[129] = '\0';
    assert_null(mg_cli_keys_models(longname, err, sizeof(err)));
    longname[128] = '\0';
    a = mg_cli_keys_models(longname, err, sizeof(err));
    assert_non_null(a);
    json_decref(a);
}

static void lists_have_a_ceiling(void **state)
{
    char csv[64 * 3 + 8] = "", err[200];
    for (int i = 0; i < 64; i++) {
        size_t n = strlen(csv);
        snprintf(csv + n, sizeof(csv) - n, "%sm%d", i ? "," : "", i % 10);
    }
    json_t *a = mg_cli_keys_models(csv, err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 64);
    json_decref(a);
    size_t n = strlen(csv);
    snprintf(csv + n, sizeof(csv) - n, ",mx");
    assert_null(mg_cli_keys_models(csv, err, sizeof(err)));
    assert_non_null(strstr(err, "64"));
}

static void window_bounds(void **state)
{
    int64_t w;
    assert_int_equal(mg_cli_keys_window("0", &w), MG_OK);
    assert_int_equal(w, 0);
    assert_int_equal(mg_cli_keys_window("2592000", &w), MG_OK);
    assert_int_equal(w, 2592000);
    assert_int_equal(mg_cli_keys_window("2592001", &w), MG_ERR);
    assert_int_equal(mg_cli_keys_window("-1", &w), MG_ERR);
    assert_int_equal(mg_cli_keys_window("1h", &w), MG_ERR);
    assert_int_equal(mg_cli_keys_window("", &w), MG_ERR);
    assert_int_equal(mg_cli_keys_window(NULL, &w), MG_ERR);
}

static void key_ids(void **state)
{
    assert_true(mg_cli_key_id_ok("a1B2c3D4e5F6"));
    assert_false(mg_cli_key_id_ok(""));
    assert_false(mg_cli_key_id_ok(NULL));
    assert_false(mg_cli_key_id_ok("../admin"));
    assert_false(mg_cli_key_id_ok("ab?x=1"));
    char big[80];
    memset(big, 'a', 65);
    big[65] = '\0';
    assert_false(mg_cli_key_id_ok(big));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scopes_are_families),
        cmocka_unit_test(models_empty_is_any),
        cmocka_unit_test(lists_have_a_ceiling),
        cmocka_unit_test(window_bounds),
        cmocka_unit_test(key_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
