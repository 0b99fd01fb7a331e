/* Unit tests: HOTP/TOTP (auth/totp.c) against every RFC 4226 Appendix D and
 * RFC 6238 Appendix B value, the platform's verifier (skew window, replay,
 * older steps, shape refusal), the otpauth:// URI and the sealed secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/totp.h"
#include "core/mg.h"

static const uint8_t seed20[] = "12345678901234567890";
static const uint8_t seed32[] = "12345678901234567890123456789012";
static const uint8_t seed64[] = "1234567890123456789012345678901234567890123456789012345678901234";

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* RFC 4226 Appendix D: the HMAC, the truncated value and the HOTP. */
static void hotp_rfc4226(void **state)
{
    static const struct {
        const char *hmac;
        uint32_t truncated;
        uint32_t hotp;
    } v[10] = {
        {"cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, 755224},
        {"75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, 287082},
        {"0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, 359152},
        {"66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, 969429},
        {"a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, 338314},
        {"a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, 254676},
        {"bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, 287922},
        {"a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, 162583},
        {"1b3c89f65e6c9e883012052823443f048b4332db", 673399871, 399871},
        {"1637409809a679dc698207310c8c7fc07290d9e5", 645520489, 520489},
    };
    for (uint64_t c = 0; c < 10; c++) {
        uint8_t mac[MG_HOTP_MAC_MAX];
        size_t maclen;
        char h[2 * MG_HOTP_MAC_MAX + 1];
        assert_int_equal(mg_hotp_hmac("SHA1", seed20, 20, c, mac, &maclen), MG_OK);
        assert_int_equal(maclen, 20);
        hex(mac, maclen, h);
        assert_string_equal(h, v[c].hmac);
        assert_int_equal(mg_hotp_truncate(mac, maclen), v[c].truncated);
        uint32_t code;
        assert_int_equal(mg_hotp(seed20, 20, c, 6, &code), MG_OK);
        assert_int_equal(code, v[c].hotp);
    }
}

static void hotp_bad_arguments(void **state)
{
    uint32_t code;
    uint8_t mac[MG_HOTP_MAC_MAX];
    size_t maclen;
    uint8_t big[MG_HOTP_KEY_MAX + 1] = {0};
    assert_int_equal(mg_hotp(seed20, 20, 0, 5, &code), MG_ERR);
    assert_int_equal(mg_hotp(seed20, 20, 0, 9, &code), MG_ERR);
    assert_int_equal(mg_hotp(seed20, 0, 0, 6, &code), MG_ERR);
    assert_int_equal(mg_hotp(big, sizeof big, 0, 6, &code), MG_ERR); /* the key ceiling */
    assert_int_equal(mg_hotp(big, MG_HOTP_KEY_MAX, 0, 6, &code), MG_OK);
    assert_int_equal(mg_hotp_hmac("MD5", seed20, 20, 0, mac, &maclen), MG_ERR);
    assert_int_equal(mg_hotp_hmac("sha1", seed20, 20, 0, mac, &maclen), MG_ERR);
    assert_int_equal(mg_totp_at(seed20, 20, -1, 30, 6, "SHA1", &code), MG_ERR);
    assert_int_equal(mg_totp_at(seed20, 20, 59, 0, 6, "SHA1", &code), MG_ERR);
    assert_int_equal(mg_totp_at(seed20, 20, 59, 30, 6, NULL, &code), MG_ERR);
}

/* RFC 6238 Appendix B: all 18 values, 8 digits, with the seed repeated to
 * the hash's length (SECURITY-REFERENCES §2). */
static void totp_rfc6238(void **state)
{
    static const struct {
        int64_t t;
        uint32_t sha1, sha256, sha512;
    } v[] = {
        {59, 94287082, 46119246, 90693936},
        {1111111109, 7081804, 68084774, 25091201},
        {1111111111, 14050471, 67062674, 99943326},
        {1234567890, 89005924, 91819424, 93441116},
        {2000000000, 69279037, 90698825, 38618901},
        {20000000000LL, 65353130, 77737706, 47863826}, /* T = 0x27BC86AA: a 64-bit time */
    };
    int rows = 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(v); i++) {
        uint32_t code;
        assert_int_equal(mg_totp_at(seed20, 20, v[i].t, 30, 8, "SHA1", &code), MG_OK);
        assert_int_equal(code, v[i].sha1);
        assert_int_equal(mg_totp_at(seed32, 32, v[i].t, 30, 8, "SHA256", &code), MG_OK);
        assert_int_equal(code, v[i].sha256);
        assert_int_equal(mg_totp_at(seed64, 64, v[i].t, 30, 8, "SHA512", &code), MG_OK);
        assert_int_equal(code, v[i].sha512);
        rows += 3;
    }
    assert_int_equal(rows, 18);
    /* the 20-byte seed with SHA256 gives another value (the RFC's trap) */
    uint32_t code;
    assert_int_equal(mg_totp_at(seed20, 20, 59, 30, 8, "SHA256", &code), MG_OK);
    assert_int_equal(code, 32247374);
}

static void totp_six_digits(void **state)
{
    uint32_t code;
    assert_int_equal(mg_totp_at(seed20, 20, 59, 30, 6, "SHA1", &code), MG_OK);
    assert_int_equal(code, 287082);
    assert_int_equal(mg_totp_at(seed20, 20, 1111111109, 30, 6, "SHA1", &code), MG_OK);
    assert_int_equal(code, 81804); /* printed "081804": the caller keeps leading zeros */
}

/* The 6-digit SHA-1 code of step s, as text. */
static void code_of_step(int64_t s, char out[8])
{
    uint32_t c;
    assert_int_equal(mg_totp_at(seed20, 20, s * 30, 30, 6, "SHA1", &c), MG_OK);
    snprintf(out, 8, "%06u", (unsigned)c);
}

#define NOW_S 1111111109LL
#define NOW_STEP (NOW_S / 30)

static int verify(const char *code, int64_t last, int64_t *matched)
{
    return mg_totp_verify(seed20, 20, code, strlen(code), NOW_S * 1000 + 123, last, matched);
}

static void verify_window(void **state)
{
    char c[8];
    int64_t m;
    for (int d = -1; d <= 1; d++) {
        code_of_step(NOW_STEP + d, c);
        assert_int_equal(verify(c, -1, &m), MG_OK);
        assert_int_equal(m, NOW_STEP + d);
    }
    code_of_step(NOW_STEP - 2, c);
    assert_int_equal(verify(c, -1, &m), MG_DECLINED);
    assert_int_equal(m, -1);
    code_of_step(NOW_STEP + 2, c);
    assert_int_equal(verify(c, -1, &m), MG_DECLINED);
    /* the step comes from milliseconds: the last ms of a step is still it */
    code_of_step(NOW_STEP + 1, c);
    assert_int_equal(mg_totp_verify(seed20, 20, c, 6, (NOW_STEP * 30 + 29) * 1000 + 999, -1, &m), MG_OK);
    assert_int_equal(m, NOW_STEP + 1);
    assert_int_equal(mg_totp_verify(seed20, 20, c, 6, (NOW_STEP - 1) * 30 * 1000 + 29999, -1, &m), MG_DECLINED);
    /* RFC 6238 T=59 at 6 digits, at the epoch's first steps (no step -1) */
    assert_int_equal(mg_totp_verify(seed20, 20, "287082", 6, 59000, -1, &m), MG_OK);
    assert_int_equal(m, 1);
    assert_int_equal(mg_totp_verify(seed20, 20, "287082", 6, 0, -1, &m), MG_OK);
    assert_int_equal(m, 1);
    assert_int_equal(mg_totp_verify(seed20, 20, "287082", 6, -1, -1, &m), MG_ERR);
}

static void verify_replay(void **state)
{
    char now[8], before[8];
    int64_t m, last = -1;
    code_of_step(NOW_STEP, now);
    code_of_step(NOW_STEP - 1, before);
    assert_int_equal(verify(now, last, &m), MG_OK);
    last = m;
    /* the same code again */
    assert_int_equal(verify(now, last, &m), MG_DECLINED);
    /* after step s, step s-1 (still inside the window) is refused */
    assert_int_equal(verify(before, last, &m), MG_DECLINED);
    /* a later step is still fine */
    char next[8];
    code_of_step(NOW_STEP + 1, next);
    assert_int_equal(verify(next, last, &m), MG_OK);
    assert_int_equal(m, NOW_STEP + 1);
    /* using s-1 first leaves s usable */
    assert_int_equal(verify(before, -1, &m), MG_OK);
    assert_int_equal(verify(now, m, &m), MG_OK);
    assert_int_equal(m, NOW_STEP);
}

static void verify_shape(void **state)
{
    char c[8];
    int64_t m;
    code_of_step(NOW_STEP, c);
    char longer[9];
    snprintf(longer, sizeof longer, "%s0", c);
    assert_int_equal(verify(longer, -1, &m), MG_DECLINED);
    assert_int_equal(mg_totp_verify(seed20, 20, c, 5, NOW_S * 1000, -1, &m), MG_DECLINED);
    assert_int_equal(mg_totp_verify(seed20, 20, c, 0, NOW_S * 1000, -1, &m), MG_DECLINED);
    char bad[8];
    memcpy(bad, c, sizeof bad);
    bad[2] = 'a';
    assert_int_equal(verify(bad, -1, &m), MG_DECLINED);
    bad[2] = ' ';
    assert_int_equal(verify(bad, -1, &m), MG_DECLINED);
    /* a wrong code of the right shape */
    memcpy(bad, c, sizeof bad);
    bad[5] = bad[5] == '9' ? '0' : (char)(bad[5] + 1);
    assert_int_equal(verify(bad, -1, &m), MG_DECLINED);
    /* another key (seed32's first 20 bytes are seed20: skip one byte) */
    assert_int_equal(mg_totp_verify(seed32 + 1, 20, c, 6, NOW_S * 1000, -1, &m), MG_DECLINED);
    assert_int_equal(mg_totp_verify(seed20, 0, c, 6, NOW_S * 1000, -1, &m), MG_ERR);
}

static void secret_new(void **state)
{
    uint8_t a[MG_TOTP_SECRET_LEN], b[MG_TOTP_SECRET_LEN];
    assert_int_equal(MG_TOTP_SECRET_LEN * 8, 160);
    mg_totp_secret_new(a);
    mg_totp_secret_new(b);
    assert_memory_not_equal(a, b, sizeof a);
}

static void uri(void **state)
{
    char out[512];
    assert_int_equal(mg_totp_uri("maxgate", "alice@example.com", seed20, 20, out, sizeof out), MG_OK);
    assert_string_equal(out, "otpauth://totp/maxgate:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                             "&issuer=maxgate&algorithm=SHA1&digits=6&period=30");
    assert_int_equal(mg_totp_uri("Max Gate & Co", "b+c/d?e", seed20, 20, out, sizeof out), MG_OK);
    assert_string_equal(out, "otpauth://totp/Max%20Gate%20%26%20Co:b%2Bc%2Fd%3Fe?secret="
                             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Max%20Gate%20%26%20Co&algorithm=SHA1&digits=6"
                             "&period=30");
    /* UTF-8 bytes are percent-encoded one by one */
    assert_int_equal(mg_totp_uri("maxgate", "j\xc3\xb6rg", seed20, 20, out, sizeof out), MG_OK);
    assert_non_null(strstr(out, "totp/maxgate:j%C3%B6rg?"));
    /* refusals */
    assert_int_equal(mg_totp_uri("max:gate", "a", seed20, 20, out, sizeof out), MG_DECLINED);
    assert_int_equal(mg_totp_uri("maxgate", "a:b", seed20, 20, out, sizeof out), MG_DECLINED);
    assert_int_equal(mg_totp_uri("", "a", seed20, 20, out, sizeof out), MG_DECLINED);
    assert_int_equal(mg_totp_uri("maxgate", "a\nb", seed20, 20, out, sizeof out), MG_DECLINED);
    assert_int_equal(mg_totp_uri("maxgate", "a", seed20, 0, out, sizeof out), MG_DECLINED);
    char label[MG_TOTP_LABEL_MAX + 2];
    memset(label, 'a', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    assert_int_equal(mg_totp_uri("maxgate", label, seed20, 20, out, sizeof out), MG_DECLINED);
    label[MG_TOTP_LABEL_MAX] = '\0';
    assert_int_equal(mg_totp_uri("maxgate", label, seed20, 20, out, sizeof out), MG_OK);
    /* the caller's buffer is the ceiling: exactly enough, one byte short */
    assert_int_equal(mg_totp_uri("maxgate", "alice@example.com", seed20, 20, out, sizeof out), MG_OK);
    size_t need = strlen(out) + 1;
    char exact[512];
    assert_int_equal(mg_totp_uri("maxgate", "alice@example.com", seed20, 20, exact, need), MG_OK);
    assert_string_equal(exact, out);
    assert_int_equal(mg_totp_uri("maxgate", "alice@example.com", seed20, 20, exact, need - 1), MG_ERR);
    assert_string_equal(exact, "");
}

static const uint8_t seal_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void seal_round_trip(void **state)
{
    uint8_t secret[MG_TOTP_SECRET_LEN], back[MG_TOTP_SECRET_LEN];
    uint8_t a[128], b[128];
    mg_totp_secret_new(secret);
    assert_int_equal(mg_totp_seal(seal_key, 42, secret, a, sizeof a), MG_TOTP_SEALED_LEN);
    assert_int_equal(MG_TOTP_SEALED_LEN, 61);
    assert_int_equal(mg_totp_open(seal_key, 42, a, MG_TOTP_SEALED_LEN, back), MG_OK);
    assert_memory_equal(back, secret, sizeof secret);
    /* a random nonce: sealing twice gives two texts, both open */
    assert_int_equal(mg_totp_seal(seal_key, 42, secret, b, sizeof b), MG_TOTP_SEALED_LEN);
    assert_memory_not_equal(a, b, MG_TOTP_SEALED_LEN);
    assert_int_equal(mg_totp_open(seal_key, 42, b, MG_TOTP_SEALED_LEN, back), MG_OK);
    assert_memory_equal(back, secret, sizeof secret);
    /* the secret is not in the sealed bytes */
    assert_null(memmem(a, MG_TOTP_SEALED_LEN, secret, sizeof secret));
    /* the ceiling: one byte short writes nothing */
    assert_int_equal(mg_totp_seal(seal_key, 42, secret, b, MG_TOTP_SEALED_LEN - 1), 0);
}

static void seal_refusals(void **state)
{
    uint8_t secret[MG_TOTP_SECRET_LEN], back[MG_TOTP_SECRET_LEN], zero[MG_TOTP_SECRET_LEN] = {0};
    uint8_t s[MG_TOTP_SEALED_LEN + 1];
    memcpy(secret, seed20, sizeof secret);
    assert_int_equal(mg_totp_seal(seal_key, 42, secret, s, sizeof s), MG_TOTP_SEALED_LEN);
    /* moved to another account */
    assert_int_equal(mg_totp_open(seal_key, 43, s, MG_TOTP_SEALED_LEN, back), MG_DECLINED);
    assert_memory_equal(back, zero, sizeof zero);
    assert_int_equal(mg_totp_open(seal_key, -42, s, MG_TOTP_SEALED_LEN, back), MG_DECLINED);
    /* another key */
    uint8_t other[32];
    memcpy(other, seal_key, sizeof other);
    other[31] ^= 1;
    assert_int_equal(mg_totp_open(other, 42, s, MG_TOTP_SEALED_LEN, back), MG_DECLINED);
    /* any flipped bit, in the version, nonce, ciphertext or tag */
    for (size_t i = 0; i < MG_TOTP_SEALED_LEN; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            s[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(mg_totp_open(seal_key, 42, s, MG_TOTP_SEALED_LEN, back), MG_DECLINED);
            assert_memory_equal(back, zero, sizeof zero);
            s[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* cut or extended */
    assert_int_equal(mg_totp_open(seal_key, 42, s, MG_TOTP_SEALED_LEN - 1, back), MG_DECLINED);
    assert_int_equal(mg_totp_open(seal_key, 42, s, MG_TOTP_SEALED_LEN + 1, back), MG_DECLINED);
    assert_int_equal(mg_totp_open(seal_key, 42, s, 0, back), MG_DECLINED);
    /* untouched, it still opens */
    assert_int_equal(mg_totp_open(seal_key, 42, s, MG_TOTP_SEALED_LEN, back), MG_OK);
    assert_memory_equal(back, secret, sizeof secret);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hotp_rfc4226),    cmocka_unit_test(hotp_bad_arguments), cmocka_unit_test(totp_rfc6238),
        cmocka_unit_test(totp_six_digits), cmocka_unit_test(verify_window),      cmocka_unit_test(verify_replay),
        cmocka_unit_test(verify_shape),    cmocka_unit_test(secret_new),         cmocka_unit_test(uri),
        cmocka_unit_test(seal_round_trip), cmocka_unit_test(seal_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
