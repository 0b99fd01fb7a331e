/* Unit tests: the API key format (core/apikey): checksum, generation, parsing, digest, mask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/apikey.h"
#include "core/mg.h"

/* SECURITY-REFERENCES.md section 4: our CRC32 / base62 vectors. */
static void checksum_vectors(void **state)
{
    char out[7] = {0};
    mg_key_checksum("0123456789abcdefghijABCDEFGHIJ", 30, out);
    assert_string_equal(out, "3mpbCX");
    mg_key_checksum("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 30, out);
    assert_string_equal(out, "1yLcDB");
}

static void generated_keys_parse(void **state)
{
    for (int r = 0; r < MG_REGION__COUNT; r++) {
        char key[MG_KEY_LEN + 1];
        struct mg_key_parts gen, parsed;
        mg_key_generate((enum mg_region)r, key, &gen);
        assert_int_equal(strlen(key), MG_KEY_LEN);
        assert_int_equal(mg_key_parse(key, MG_KEY_LEN, &parsed), MG_OK);
        assert_int_equal(parsed.region, r);
        assert_string_equal(parsed.public_id, gen.public_id);
        assert_memory_equal(key, r == MG_REGION_CN ? "mgk_cn_" : "mgk_gl_", 7);
    }
}

/* Any one-character change is caught before a lookup (KY-1, test 36). */
static void one_character_mutation_fails(void **state)
{
    char key[MG_KEY_LEN + 1];
    mg_key_generate(MG_REGION_GLOBAL, key, NULL);
    for (size_t i = 0; i < MG_KEY_LEN; i++) {
        char saved = key[i];
        key[i] = saved == 'A' ? 'B' : 'A';
        if (key[i] == saved)
            continue;
        assert_int_equal(mg_key_parse(key, MG_KEY_LEN, NULL), MG_DECLINED);
        key[i] = saved;
    }
    assert_int_equal(mg_key_parse(key, MG_KEY_LEN, NULL), MG_OK);
    assert_int_equal(mg_key_parse(key, MG_KEY_LEN - 1, NULL), MG_DECLINED);
    assert_int_equal(mg_key_parse("sk-api-abc", 10, NULL), MG_DECLINED);
}

static void digest_depends_on_secret_and_key(void **state)
{
    uint8_t a[32], b[32], c[32];
    mg_key_digest((const uint8_t *)"s1", 2, "k", 1, a);
    mg_key_digest((const uint8_t *)"s1", 2, "k", 1, b);
    mg_key_digest((const uint8_t *)"s2", 2, "k", 1, c);
    assert_memory_equal(a, b, 32);
    assert_memory_not_equal(a, c, 32);
}

static void mask_never_shows_the_secret(void **state)
{
    char key[MG_KEY_LEN + 1], out[64];
    mg_key_generate(MG_REGION_CN, key, NULL);
    mg_key_mask(key, MG_KEY_LEN, out, sizeof(out));
    assert_non_null(strstr(out, "mgk_cn_"));
    assert_null(strstr(out, key + 19)); /* the secret part */
    mg_key_mask("sk-api-0123456789abcdef", 23, out, sizeof(out));
    assert_int_equal(strncmp(out, "sk-api-0", 8), 0);
    assert_null(strstr(out, "9abcdef"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksum_vectors),
        cmocka_unit_test(generated_keys_parse),
        cmocka_unit_test(one_character_mutation_fails),
        cmocka_unit_test(digest_depends_on_secret_and_key),
        cmocka_unit_test(mask_never_shows_the_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
