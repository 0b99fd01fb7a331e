/* Unit tests: random tokens and CSRF tokens (auth/token.c): shape, charset,
 * prefix refusal, the stored hash is SHA-256 of the text, CSRF binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "auth/token.h"
#include "core/mg.h"

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void token_shape_and_hash(void **state)
{
    char t[MG_TOKEN_TEXT_LEN + 1];
    uint8_t h[32], want[32], parsed[32];
    mg_token_new(t, h);
    assert_int_equal(strlen(t), 43);
    for (size_t i = 0; i < 43; i++)
        assert_true(b64url_char(t[i]));
    crypto_hash_sha256(want, (const uint8_t *)t, 43);
    assert_memory_equal(h, want, 32);
    assert_int_equal(mg_token_parse(t, 43, NULL, parsed), MG_OK);
    assert_memory_equal(parsed, want, 32);
}

static void tokens_differ(void **state)
{
    char a[MG_TOKEN_TEXT_LEN + 1], b[MG_TOKEN_TEXT_LEN + 1];
    uint8_t ha[32], hb[32];
    mg_token_new(a, ha);
    mg_token_new(b, hb);
    assert_string_not_equal(a, b);
    assert_memory_not_equal(ha, hb, 32);
}

static void session_token_prefixed(void **state)
{
    char t[64];
    uint8_t h[32], want[32], parsed[32];
    assert_int_equal(mg_token_new_prefixed(MG_TOKEN_SESSION_PREFIX, t, sizeof t, h), MG_OK);
    assert_int_equal(strlen(t), MG_TOKEN_SESSION_LEN);
    assert_int_equal(MG_TOKEN_SESSION_LEN, 47);
    assert_memory_equal(t, "mgs_", 4);
    crypto_hash_sha256(want, (const uint8_t *)t, 47); /* the hash covers the prefix */
    assert_memory_equal(h, want, 32);
    assert_int_equal(mg_token_parse(t, 47, "mgs_", parsed), MG_OK);
    assert_memory_equal(parsed, want, 32);
    /* without the prefix, or with another one, or unprefixed parsing */
    assert_int_equal(mg_token_parse(t + 4, 43, "mgs_", parsed), MG_DECLINED);
    assert_int_equal(mg_token_parse(t, 47, NULL, parsed), MG_DECLINED);
    assert_int_equal(mg_token_parse(t, 47, "mgx_", parsed), MG_DECLINED);
    char other[64];
    memcpy(other, t, sizeof other);
    other[0] = 'M';
    assert_int_equal(mg_token_parse(other, 47, "mgs_", parsed), MG_DECLINED);
    uint8_t zero[32] = {0};
    assert_memory_equal(parsed, zero, 32); /* a refusal leaves no hash behind */
}

static void prefixed_refuses_small_buffer(void **state)
{
    char t[47]; /* one short: no room for the NUL */
    uint8_t h[32];
    assert_int_equal(mg_token_new_prefixed("mgs_", t, sizeof t, h), MG_ERR);
    assert_int_equal(t[0], '\0');
    char big[128];
    assert_int_equal(mg_token_new_prefixed("this_prefix_is_too_long", big, sizeof big, h), MG_ERR);
    assert_int_equal(mg_token_new_prefixed("Bad-", big, sizeof big, h), MG_ERR);
}

static void parse_refuses_length_and_charset(void **state)
{
    char t[MG_TOKEN_TEXT_LEN + 2];
    uint8_t h[32], parsed[32];
    mg_token_new(t, h);
    assert_int_equal(mg_token_parse(t, 42, NULL, parsed), MG_DECLINED);
    t[43] = 'A';
    t[44] = '\0';
    assert_int_equal(mg_token_parse(t, 44, NULL, parsed), MG_DECLINED);
    assert_int_equal(mg_token_parse("", 0, NULL, parsed), MG_DECLINED);
    static const char bad[] = "+/=.~ \n\x80";
    for (size_t i = 0; i < sizeof bad - 1; i++) {
        char c[MG_TOKEN_TEXT_LEN + 1];
        mg_token_new(c, h);
        c[10] = bad[i];
        assert_int_equal(mg_token_parse(c, 43, NULL, parsed), MG_DECLINED);
    }
    /* an embedded NUL inside the length */
    char z[MG_TOKEN_TEXT_LEN + 1];
    mg_token_new(z, h);
    z[20] = '\0';
    assert_int_equal(mg_token_parse(z, 43, NULL, parsed), MG_DECLINED);
}

/* 256 bits in 43 characters leave 2 unused bits in the last one; only the
 * canonical text (unused bits zero) is a token. */
static void parse_refuses_noncanonical_last_char(void **state)
{
    char t[MG_TOKEN_TEXT_LEN + 1];
    uint8_t h[32], parsed[32];
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    mg_token_new(t, h);
    int accepted = 0;
    for (int v = 0; v < 64; v++) {
        t[42] = alphabet[v];
        int rc = mg_token_parse(t, 43, NULL, parsed);
        assert_int_equal(rc, (v & 3) == 0 ? MG_OK : MG_DECLINED);
        accepted += rc == MG_OK;
    }
    assert_int_equal(accepted, 16);
}

static void csrf_accepts_own_refuses_change(void **state)
{
    uint8_t key[32], sess[32], other[32];
    mg_random(key, sizeof key);
    mg_random(sess, sizeof sess);
    mg_random(other, sizeof other);
    char c[MG_TOKEN_TEXT_LEN + 1];
    mg_token_csrf(key, sess, c);
    assert_int_equal(strlen(c), 43);
    for (size_t i = 0; i < 43; i++)
        assert_true(b64url_char(c[i]));
    assert_int_equal(mg_token_csrf_check(key, sess, c, 43), MG_OK);
    /* deterministic for the same key and session */
    char again[MG_TOKEN_TEXT_LEN + 1];
    mg_token_csrf(key, sess, again);
    assert_string_equal(c, again);
    /* every one-character change is refused */
    for (size_t i = 0; i < 43; i++) {
        char m[MG_TOKEN_TEXT_LEN + 1];
        memcpy(m, c, sizeof m);
        m[i] = m[i] == 'A' ? 'B' : 'A';
        assert_int_equal(mg_token_csrf_check(key, sess, m, 43), MG_DECLINED);
    }
    assert_int_equal(mg_token_csrf_check(key, sess, c, 42), MG_DECLINED);
    assert_int_equal(mg_token_csrf_check(key, sess, NULL, 0), MG_DECLINED);
    assert_int_equal(mg_token_csrf_check(key, other, c, 43), MG_DECLINED); /* another session */
    uint8_t key2[32];
    memcpy(key2, key, 32);
    key2[0] ^= 1;
    assert_int_equal(mg_token_csrf_check(key2, sess, c, 43), MG_DECLINED); /* another key */
}

/* The CSRF token is HMAC-SHA256(key, "mg-csrf-v1" || session hash). */
static void csrf_is_hmac_sha256(void **state)
{
    uint8_t key[32], sess[32], msg[10 + 32], mac[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)i;
        sess[i] = (uint8_t)(0xa0 + i);
    }
    memcpy(msg, "mg-csrf-v1", 10);
    memcpy(msg + 10, sess, 32);
    crypto_auth_hmacsha256(mac, msg, sizeof msg, key);
    char want[MG_TOKEN_TEXT_LEN + 1], got[MG_TOKEN_TEXT_LEN + 1];
    sodium_bin2base64(want, sizeof want, mac, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    mg_token_csrf(key, sess, got);
    assert_string_equal(got, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_shape_and_hash),
        cmocka_unit_test(tokens_differ),
        cmocka_unit_test(session_token_prefixed),
        cmocka_unit_test(prefixed_refuses_small_buffer),
        cmocka_unit_test(parse_refuses_length_and_charset),
        cmocka_unit_test(parse_refuses_noncanonical_last_char),
        cmocka_unit_test(csrf_accepts_own_refuses_change),
        cmocka_unit_test(csrf_is_hmac_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
