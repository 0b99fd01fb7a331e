/* Unit tests: the CLI's second-factor parsing (cmd_mfa.c): which typed code
 * is an authenticator code and which a recovery code, the whitespace that is
 * dropped, the ceiling of the output buffer, the methods of an answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/cli.h"
#include "core/mg.h"

static void six_digits_are_an_authenticator_code(void **state)
{
    char out[65];
    assert_int_equal(mg_cli_mfa_code("123456", out, sizeof(out)), MG_CLI_MFA_TOTP);
    assert_string_equal(out, "123456");
    assert_int_equal(mg_cli_mfa_code(" 123 456\r\n", out, sizeof(out)), MG_CLI_MFA_TOTP);
    assert_string_equal(out, "123456");
    assert_int_equal(mg_cli_mfa_code("000000", out, sizeof(out)), MG_CLI_MFA_TOTP);
}

static void longer_codes_are_recovery_codes(void **state)
{
    char out[65];
    assert_int_equal(mg_cli_mfa_code("abcd-ef23-gh45", out, sizeof(out)), MG_CLI_MFA_RECOVERY);
    assert_string_equal(out, "abcd-ef23-gh45");
    assert_int_equal(mg_cli_mfa_code("  ABCD-EF23  \n", out, sizeof(out)), MG_CLI_MFA_RECOVERY);
    assert_string_equal(out, "ABCD-EF23");
    assert_int_equal(mg_cli_mfa_code("12345678", out, sizeof(out)), MG_CLI_MFA_RECOVERY);
}

static void anything_else_is_refused_and_wiped(void **state)
{
    char out[65];
    const char *bad[] = {"", "   ", "12345", "1234567", "12345a", "abc", "abcd efg;", "abcd_efgh", "ab'cd-efgh", "abcd\x01" "efgh"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        memset(out, 'x', sizeof(out));
        assert_int_equal(mg_cli_mfa_code(bad[i], out, sizeof(out)), MG_CLI_MFA_NONE);
        for (size_t j = 0; j < sizeof(out); j++)
            assert_int_equal(out[j], 0);
    }
    assert_int_equal(mg_cli_mfa_code(NULL, out, sizeof(out)), MG_CLI_MFA_NONE);
}

static void the_output_buffer_is_a_ceiling(void **state)
{
    char out[10];
    assert_int_equal(mg_cli_mfa_code("abcd-efgh", out, sizeof(out)), MG_CLI_MFA_RECOVERY); /* 9 + NUL fits */
    assert_int_equal(mg_cli_mfa_code("abcd-efghi", out, sizeof(out)), MG_CLI_MFA_NONE);   /* 10 does not */
    assert_int_equal(out[0], 0);
    char big[200];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char out65[65];
    assert_int_equal(mg_cli_mfa_code(big, out65, sizeof(out65)), MG_CLI_MFA_NONE);
    assert_int_equal(mg_cli_mfa_code("123456", out, 0), MG_CLI_MFA_NONE);
}

static void methods_of_an_answer(void **state)
{
    json_t *doc = json_loads("{\"methods\":[\"totp\",\"recovery_code\",\"webauthn\"]}", 0, NULL);
    assert_int_equal(mg_cli_mfa_methods(json_object_get(doc, "methods")),
                     MG_CLI_MFA_HAS_TOTP | MG_CLI_MFA_HAS_RECOVERY | MG_CLI_MFA_HAS_WEBAUTHN);
    json_decref(doc);
    doc = json_loads("{\"methods\":[\"webauthn\", 3, null, \"sms\"]}", 0, NULL);
    assert_int_equal(mg_cli_mfa_methods(json_object_get(doc, "methods")), MG_CLI_MFA_HAS_WEBAUTHN);
    json_decref(doc);
    assert_int_equal(mg_cli_mfa_methods(NULL), 0);
    doc = json_loads("{\"methods\":\"totp\"}", 0, NULL);
    assert_int_equal(mg_cli_mfa_methods(json_object_get(doc, "methods")), 0);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(six_digits_are_an_authenticator_code),
        cmocka_unit_test(longer_codes_are_recovery_codes),
        cmocka_unit_test(anything_else_is_refused_and_wiped),
        cmocka_unit_test(the_output_buffer_is_a_ceiling),
        cmocka_unit_test(methods_of_an_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
