/* Unit tests: recovery codes (auth/recovery.c): shape, entropy computed from
 * the alphabet and length, the stored hash, normalization, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sodium.h>
#include <string.h>

#include "auth/recovery.h"
#include "core/mg.h"

static const char alphabet[] = MG_RECOVERY_ALPHABET;

static void entropy_and_alphabet(void **state)
{
    size_t k = strlen(alphabet);
    /* distinct characters, none of the look-alikes */
    for (size_t i = 0; i < k; i++)
        assert_null(memchr(alphabet + i + 1, alphabet[i], k - i - 1));
    assert_null(strpbrk(alphabet, "01IOabcdefghijklmnopqrstuvwxyz-"));
    double bits = (double)MG_RECOVERY_CODE_CHARS * log2((double)k);
    assert_true(bits >= 112.0); /* §8 item 16: enough for a plain SHA-256 */
    assert_true(bits == 120.0);
    assert_true(MG_RECOVERY_CODES >= 10);
}

static void shape_and_hash(void **state)
{
    char seen[MG_RECOVERY_CODES][MG_RECOVERY_CODE_TEXT + 1];
    for (int c = 0; c < MG_RECOVERY_CODES; c++) {
        char t[MG_RECOVERY_CODE_TEXT + 1];
        uint8_t h[32], again[32], want[32];
        mg_recovery_code_new(t, h);
        assert_int_equal(strlen(t), MG_RECOVERY_CODE_TEXT);
        char norm[MG_RECOVERY_CODE_CHARS];
        size_t n = 0;
        for (size_t i = 0; i < MG_RECOVERY_CODE_TEXT; i++) {
            if (i % (MG_RECOVERY_CODE_GROUP + 1) == MG_RECOVERY_CODE_GROUP) {
                assert_int_equal(t[i], '-');
            } else {
                assert_non_null(memchr(alphabet, t[i], strlen(alphabet)));
                norm[n++] = t[i];
            }
        }
        assert_int_equal(n, MG_RECOVERY_CODE_CHARS);
        /* the hash is SHA-256 of the 24 characters without dashes */
        crypto_hash_sha256(want, (const uint8_t *)norm, n);
        assert_memory_equal(h, want, 32);
        assert_int_equal(mg_recovery_code_hash(t, strlen(t), again), MG_OK);
        assert_memory_equal(again, want, 32);
        for (int p = 0; p < c; p++)
            assert_string_not_equal(seen[p], t);
        memcpy(seen[c], t, sizeof t);
    }
}

static void normalization(void **state)
{
    const char *shown = "ABCDEF-GHJKLM-NPQRST-UVWXYZ";
    uint8_t want[32], h[32];
    crypto_hash_sha256(want, (const uint8_t *)"ABCDEFGHJKLMNPQRSTUVWXYZ", 24);
    static const char *typed[] = {
        "ABCDEF-GHJKLM-NPQRST-UVWXYZ",
        "abcdef-ghjklm-npqrst-uvwxyz",
        "ABCDEFGHJKLMNPQRSTUVWXYZ",
        "abcdef ghjklm npqrst uvwxyz",
        "  AbCdEf - gHjKlM--NpQrSt   uVwXyZ ",
        "A-B-C-D-E-F-G-H-J-K-L-M-N-P-Q-R-S-T-U-V-W-X-Y-Z",
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(typed); i++) {
        assert_int_equal(mg_recovery_code_hash(typed[i], strlen(typed[i]), h), MG_OK);
        assert_memory_equal(h, want, 32);
    }
    assert_int_equal(mg_recovery_code_hash(shown, strlen(shown), h), MG_OK);
}

static void refusals(void **state)
{
    uint8_t h[32], zero[32] = {0};
    static const char *bad[] = {
        "",
        "ABCDEF-GHJKLM-NPQRST-UVWXY",   /* 23 characters */
        "ABCDEF-GHJKLM-NPQRST-UVWXYZ2", /* 25 */
        "ABCDEF-GHJKLM-NPQRST-UVWXY0",  /* look-alikes are not in the alphabet */
        "ABCDEF-GHJKLM-NPQRST-UVWXYO",
        "ABCDEF-GHJKLM-NPQRST-UVWXY1",
        "ABCDEF-GHJKLM-NPQRST-UVWXYI",
        "ABCDEF_GHJKLM_NPQRST_UVWXYZ", /* other separators */
        "ABCDEF.GHJKLM.NPQRST.UVWXYZ",
        "ABCDEF\tGHJKLM-NPQRST-UVWXYZ",
        "ABCDEF-GHJKLM-NPQRST-UVWXY\xc3\x9c",
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        memset(h, 0xaa, sizeof h);
        assert_int_equal(mg_recovery_code_hash(bad[i], strlen(bad[i]), h), MG_DECLINED);
        assert_memory_equal(h, zero, 32);
    }
    /* a NUL inside the length */
    assert_int_equal(mg_recovery_code_hash("ABCDEF-GHJKLM-NPQRST-UVWXY\0Z", 28, h), MG_DECLINED);
    /* the input ceiling: a valid code padded with spaces up to it, and past it */
    char padded[MG_RECOVERY_CODE_INPUT_MAX + 2];
    memset(padded, ' ', sizeof padded);
    memcpy(padded, "ABCDEF-GHJKLM-NPQRST-UVWXYZ", 27);
    assert_int_equal(mg_recovery_code_hash(padded, MG_RECOVERY_CODE_INPUT_MAX, h), MG_OK);
    assert_int_equal(mg_recovery_code_hash(padded, MG_RECOVERY_CODE_INPUT_MAX + 1, h), MG_DECLINED);
    assert_memory_equal(h, zero, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entropy_and_alphabet),
        cmocka_unit_test(shape_and_hash),
        cmocka_unit_test(normalization),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
