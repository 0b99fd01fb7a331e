/*
 * totp.c: HOTP/TOTP codes, the platform's verifier, the otpauth:// URI and
 * the sealed form of a secret at rest (totp.h).
 */
#include "auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/base32.h"
#include "core/mg.h"

#define SEAL_VERSION 1
#define SEAL_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(MG_TOTP_SEALED_LEN == 1 + SEAL_NONCE + MG_TOTP_SECRET_LEN + SEAL_TAG, "sealed layout");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "32-byte sealing key");

static const char seal_label[] = "mg-totp-v1";

static const EVP_MD *digest(const char *alg)
{
    if (!alg)
        return NULL;
    if (strcmp(alg, "SHA1") == 0)
        return EVP_sha1();
    if (strcmp(alg, "SHA256") == 0)
        return EVP_sha256();
    if (strcmp(alg, "SHA512") == 0)
        return EVP_sha512();
    return NULL;
}

int mg_hotp_hmac(const char *alg, const uint8_t *key, size_t keylen, uint64_t counter,
                 uint8_t mac[MG_HOTP_MAC_MAX], size_t *maclen)
{
    *maclen = 0;
    const EVP_MD *md = digest(alg);
    if (!md || keylen == 0 || keylen > MG_HOTP_KEY_MAX)
        return MG_ERR;
    uint8_t msg[8];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)counter;
        counter >>= 8;
    }
    unsigned int len = 0;
    if (!HMAC(md, key, (int)keylen, msg, sizeof msg, mac, &len))
        return MG_ERR;
    *maclen = len;
    return MG_OK;
}

uint32_t mg_hotp_truncate(const uint8_t *mac, size_t maclen)
{
    unsigned off = mac[maclen - 1] & 0x0f; /* <= 15, and 15 + 4 <= 20 */
    return ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) | ((uint32_t)mac[off + 2] << 8) |
           (uint32_t)mac[off + 3];
}

static const uint32_t modulus[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

static int otp(const char *alg, const uint8_t *key, size_t keylen, uint64_t counter, int digits, uint32_t *code)
{
    *code = 0;
    if (digits < 6 || digits > 8)
        return MG_ERR;
    uint8_t mac[MG_HOTP_MAC_MAX];
    size_t maclen;
    if (mg_hotp_hmac(alg, key, keylen, counter, mac, &maclen) != MG_OK)
        return MG_ERR;
    *code = mg_hotp_truncate(mac, maclen) % modulus[digits];
    sodium_memzero(mac, sizeof mac);
    return MG_OK;
}

int mg_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits, uint32_t *code)
{
    return otp("SHA1", key, keylen, counter, digits, code);
}

int mg_totp_at(const uint8_t *key, size_t keylen, int64_t unix_s, int step_s, int digits, const char *alg,
               uint32_t *code)
{
    *code = 0;
    if (unix_s < 0 || step_s <= 0)
        return MG_ERR;
    return otp(alg, key, keylen, (uint64_t)(unix_s / step_s), digits, code);
}

int mg_totp_verify(const uint8_t *key, size_t keylen, const char *code, size_t len, int64_t now_ms,
                   int64_t last_step, int64_t *matched_step)
{
    *matched_step = -1;
    if (keylen == 0 || keylen > MG_HOTP_KEY_MAX || now_ms < 0)
        return MG_ERR;
    /* Length and charset are public: refusing them early leaks nothing. */
    if (len != MG_TOTP_DIGITS)
        return MG_DECLINED;
    for (size_t i = 0; i < len; i++)
        if (code[i] < '0' || code[i] > '9')
            return MG_DECLINED;

    int64_t now = now_ms / 1000 / MG_TOTP_STEP_S;
    int64_t found = -1;
    for (int64_t s = now - MG_TOTP_SKEW_STEPS; s <= now + MG_TOTP_SKEW_STEPS; s++) {
        uint32_t want;
        char text[16];
        if (s < 0 || otp("SHA1", key, keylen, (uint64_t)s, MG_TOTP_DIGITS, &want) != MG_OK)
            continue;
        snprintf(text, sizeof text, "%06u", (unsigned)want);
        int eq = sodium_memcmp(text, code, MG_TOTP_DIGITS) == 0;
        sodium_memzero(text, sizeof text);
        /* the earliest matching step, and only one later than the last use */
        if (eq && s > last_step && found < 0)
            found = s;
    }
    if (found < 0)
        return MG_DECLINED;
    *matched_step = found;
    return MG_OK;
}

void mg_totp_secret_new(uint8_t out[MG_TOTP_SECRET_LEN])
{
    mg_random(out, MG_TOTP_SECRET_LEN);
}

/* A bounded writer into a caller's buffer: once full it stays failed. */
struct out {
    char *p;
    size_t len, cap;
    int full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->len <= n) { /* keep a byte for the NUL */
        o->full = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void put_lit(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static void put_pct(struct out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (unreserved(c)) {
            put(o, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            put(o, e, 3);
        }
    }
}

static int label_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MG_TOTP_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':' || c < 0x20 || c == 0x7f) /* ':' separates issuer and account */
            return 0;
    }
    return 1;
}

int mg_totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n, char *out, size_t cap)
{
    if (cap > 0)
        out[0] = '\0';
    if (!label_ok(issuer) || !label_ok(account) || n == 0 || n > MG_HOTP_KEY_MAX)
        return MG_DECLINED;
    char b32[MG_BASE32_LEN(MG_HOTP_KEY_MAX) + 1];
    mg_base32_encode(secret, n, b32, sizeof b32);
    struct out o = {out, 0, cap, cap == 0};
    put_lit(&o, "otpauth://totp/");
    put_pct(&o, issuer);
    put_lit(&o, ":");
    put_pct(&o, account);
    put_lit(&o, "?secret=");
    put_lit(&o, b32);
    put_lit(&o, "&issuer=");
    put_pct(&o, issuer);
    put_lit(&o, "&algorithm=SHA1&digits=6&period=30");
    sodium_memzero(b32, sizeof b32);
    if (o.full) {
        sodium_memzero(out, cap);
        return MG_ERR;
    }
    return MG_OK;
}

/* Associated data: label, version, account id (8 bytes big-endian). */
static void seal_ad(int64_t account_id, uint8_t ad[sizeof seal_label - 1 + 1 + 8])
{
    memcpy(ad, seal_label, sizeof seal_label - 1);
    ad[sizeof seal_label - 1] = SEAL_VERSION;
    uint64_t v = (uint64_t)account_id;
    for (int i = 7; i >= 0; i--) {
        ad[sizeof seal_label + i] = (uint8_t)v;
        v >>= 8;
    }
}

size_t mg_totp_seal(const uint8_t key[32], int64_t account_id, const uint8_t secret[MG_TOTP_SECRET_LEN],
                    uint8_t *out, size_t cap)
{
    if (cap < MG_TOTP_SEALED_LEN)
        return 0;
    uint8_t ad[sizeof seal_label - 1 + 1 + 8];
    seal_ad(account_id, ad);
    out[0] = SEAL_VERSION;
    uint8_t *nonce = out + 1;
    mg_random(nonce, SEAL_NONCE);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + SEAL_NONCE, &clen, secret, MG_TOTP_SECRET_LEN, ad,
                                               sizeof ad, NULL, nonce, key);
    return 1 + SEAL_NONCE + (size_t)clen;
}

int mg_totp_open(const uint8_t key[32], int64_t account_id, const uint8_t *sealed, size_t len,
                 uint8_t secret[MG_TOTP_SECRET_LEN])
{
    memset(secret, 0, MG_TOTP_SECRET_LEN);
    if (len != MG_TOTP_SEALED_LEN || sealed[0] != SEAL_VERSION)
        return MG_DECLINED;
    uint8_t ad[sizeof seal_label - 1 + 1 + 8];
    seal_ad(account_id, ad);
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &mlen, NULL, sealed + 1 + SEAL_NONCE,
                                                   len - 1 - SEAL_NONCE, ad, sizeof ad, sealed + 1, key) != 0 ||
        mlen != MG_TOTP_SECRET_LEN) {
        sodium_memzero(secret, MG_TOTP_SECRET_LEN);
        return MG_DECLINED;
    }
    return MG_OK;
}
