/* Unit tests: base32 (auth/base32.c): the RFC 4648 §10 vectors, round trips,
 * lenient input (case, spaces, padding), refusals and the buffer ceilings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "auth/base32.h"
#include "core/mg.h"

static const struct {
    const char *bin, *b32;
} rfc[] = {
    {"", ""},           {"f", "MY"},          {"fo", "MZXQ"},         {"foo", "MZXW6"},
    {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
};

static int dec(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    return mg_base32_decode(s, strlen(s), out, cap, n);
}

static void rfc4648_vectors(void **state)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(rfc); i++) {
        char out[32];
        size_t n = strlen(rfc[i].bin);
        assert_int_equal(mg_base32_encode((const uint8_t *)rfc[i].bin, n, out, sizeof out), strlen(rfc[i].b32));
        assert_string_equal(out, rfc[i].b32);
        assert_int_equal(MG_BASE32_LEN(n), strlen(rfc[i].b32));
        uint8_t bin[16];
        size_t got;
        assert_int_equal(dec(rfc[i].b32, bin, sizeof bin, &got), MG_OK);
        assert_int_equal(got, n);
        assert_memory_equal(bin, rfc[i].bin, n);
    }
    /* the RFC's padded forms decode too */
    static const char *padded[] = {"MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=", "MZXW6YTB", "MZXW6YTBOI======"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(padded); i++) {
        uint8_t bin[16];
        size_t got;
        assert_int_equal(dec(padded[i], bin, sizeof bin, &got), MG_OK);
        assert_int_equal(got, strlen(rfc[i + 1].bin));
        assert_memory_equal(bin, rfc[i + 1].bin, got);
    }
    /* the TOTP test seed (SECURITY-REFERENCES §2) */
    char out[64];
    mg_base32_encode((const uint8_t *)"12345678901234567890", 20, out, sizeof out);
    assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void lenient_input(void **state)
{
    uint8_t bin[16];
    size_t got;
    assert_int_equal(dec("mzxw6ytboi", bin, sizeof bin, &got), MG_OK);
    assert_int_equal(got, 6);
    assert_memory_equal(bin, "foobar", 6);
    assert_int_equal(dec(" MzXw 6yTb Oi ", bin, sizeof bin, &got), MG_OK);
    assert_int_equal(got, 6);
    assert_memory_equal(bin, "foobar", 6);
    assert_int_equal(dec("my==  ", bin, sizeof bin, &got), MG_OK);
    assert_int_equal(got, 1);
    assert_int_equal(dec("   ", bin, sizeof bin, &got), MG_OK);
    assert_int_equal(got, 0);
}

static void refusals(void **state)
{
    uint8_t bin[16];
    size_t got = 99;
    static const char *bad[] = {
        "M",         /* 1 character: not a whole byte */
        "MZX",       /* 3 */
        "MZXW6Y",    /* 6 */
        "MZ",        /* unused bits not zero: not the canonical text of any byte */
        "MZXW6YTBOJ",
        "MY=MY",     /* padding inside */
        "MY0",       /* 0, 1, 8, 9 are not base32 */
        "M1",
        "MZXW8",
        "MZ-XQ",
        "MZXQ\n",
        "M\xc3\x9cXQ",
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        got = 99;
        assert_int_equal(dec(bad[i], bin, sizeof bin, &got), MG_DECLINED);
        assert_int_equal(got, 0);
    }
    /* a NUL inside the length */
    assert_int_equal(mg_base32_decode("MY\0Q", 4, bin, sizeof bin, &got), MG_DECLINED);
}

static void ceilings(void **state)
{
    char out[16];
    /* encode: exactly enough (10 characters and a NUL), one short */
    assert_int_equal(mg_base32_encode((const uint8_t *)"foobar", 6, out, 11), 10);
    assert_string_equal(out, "MZXW6YTBOI");
    assert_int_equal(mg_base32_encode((const uint8_t *)"foobar", 6, out, 10), 0);
    assert_string_equal(out, "");
    assert_int_equal(mg_base32_encode((const uint8_t *)"", 0, out, 1), 0);
    assert_string_equal(out, "");
    /* decode: the output capacity is the ceiling */
    uint8_t bin[6];
    size_t got = 99;
    assert_int_equal(dec("MZXW6YTBOI", bin, 6, &got), MG_OK);
    assert_int_equal(got, 6);
    assert_int_equal(dec("MZXW6YTBOI", bin, 5, &got), MG_ERR);
    assert_int_equal(got, 0);
}

static void round_trips(void **state)
{
    uint8_t in[64], back[64];
    char text[MG_BASE32_LEN(64) + 1];
    for (size_t n = 0; n <= sizeof in; n++) {
        mg_random(in, n);
        size_t len = mg_base32_encode(in, n, text, sizeof text);
        assert_int_equal(len, MG_BASE32_LEN(n));
        assert_int_equal(strlen(text), len);
        for (size_t i = 0; i < len; i++)
            assert_non_null(memchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", text[i], 32));
        size_t got;
        assert_int_equal(mg_base32_decode(text, len, back, sizeof back, &got), MG_OK);
        assert_int_equal(got, n);
        assert_memory_equal(back, in, n);
    }
    /* every byte value */
    for (int b = 0; b < 256; b++) {
        uint8_t one = (uint8_t)b, again;
        size_t got;
        mg_base32_encode(&one, 1, text, sizeof text);
        assert_int_equal(dec(text, &again, 1, &got), MG_OK);
        assert_int_equal(again, one);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors), cmocka_unit_test(lenient_input), cmocka_unit_test(refusals),
        cmocka_unit_test(ceilings),        cmocka_unit_test(round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
