/*
 * token.c: random tokens, their stored hash, and CSRF tokens (token.h).
 */
#include "auth/token.h"

#include <sodium.h>
#include <string.h>

#include "core/mg.h"

_Static_assert(sodium_base64_ENCODED_LEN(MG_TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   MG_TOKEN_TEXT_LEN + 1,
               "43 characters + NUL");

static const char csrf_label[] = "mg-csrf-v1";

static void encode(const uint8_t bin[MG_TOKEN_BYTES], char out[MG_TOKEN_TEXT_LEN + 1])
{
    sodium_bin2base64(out, MG_TOKEN_TEXT_LEN + 1, bin, MG_TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int prefix_ok(const char *prefix, size_t n)
{
    if (n > MG_TOKEN_PREFIX_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = prefix[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

void mg_token_new(char out[MG_TOKEN_TEXT_LEN + 1], uint8_t hash[MG_TOKEN_HASH_LEN])
{
    uint8_t bin[MG_TOKEN_BYTES];
    mg_random(bin, sizeof bin);
    encode(bin, out);
    sodium_memzero(bin, sizeof bin);
    crypto_hash_sha256(hash, (const uint8_t *)out, MG_TOKEN_TEXT_LEN);
}

int mg_token_new_prefixed(const char *prefix, char *out, size_t cap, uint8_t hash[MG_TOKEN_HASH_LEN])
{
    size_t n = strlen(prefix);
    if (cap > 0)
        out[0] = '\0';
    if (!prefix_ok(prefix, n) || cap < n + MG_TOKEN_TEXT_LEN + 1)
        return MG_ERR;
    memcpy(out, prefix, n);
    uint8_t ignored[MG_TOKEN_HASH_LEN];
    mg_token_new(out + n, ignored);
    crypto_hash_sha256(hash, (const uint8_t *)out, n + MG_TOKEN_TEXT_LEN);
    return MG_OK;
}

int mg_token_parse(const char *text, size_t len, const char *prefix, uint8_t hash[MG_TOKEN_HASH_LEN])
{
    size_t n = prefix ? strlen(prefix) : 0;
    memset(hash, 0, MG_TOKEN_HASH_LEN);
    if (len != n + MG_TOKEN_TEXT_LEN || (n && memcmp(text, prefix, n) != 0)) /* mg-allow-cmp: public prefix */
        return MG_DECLINED;
    const char *body = text + n;
    for (size_t i = 0; i < MG_TOKEN_TEXT_LEN; i++) {
        char c = body[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return MG_DECLINED;
    }
    /* Canonical form only: the decoder refuses nonzero unused bits, so each
     * token has exactly one text (and one hash). */
    uint8_t bin[MG_TOKEN_BYTES];
    size_t bin_len = 0;
    const char *end = NULL;
    int rc = sodium_base642bin(bin, sizeof bin, body, MG_TOKEN_TEXT_LEN, NULL, &bin_len, &end,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bin, sizeof bin);
    if (rc != 0 || bin_len != MG_TOKEN_BYTES || end != body + MG_TOKEN_TEXT_LEN)
        return MG_DECLINED;
    crypto_hash_sha256(hash, (const uint8_t *)text, len);
    return MG_OK;
}

void mg_token_csrf(const uint8_t key[32], const uint8_t session_hash[MG_TOKEN_HASH_LEN],
                   char out[MG_TOKEN_TEXT_LEN + 1])
{
    _Static_assert(crypto_auth_hmacsha256_KEYBYTES == 32, "32-byte key");
    _Static_assert(crypto_auth_hmacsha256_BYTES == MG_TOKEN_BYTES, "tag fills a token");
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)csrf_label, sizeof csrf_label - 1);
    crypto_auth_hmacsha256_update(&st, session_hash, MG_TOKEN_HASH_LEN);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
    encode(mac, out);
    sodium_memzero(mac, sizeof mac);
}

int mg_token_csrf_check(const uint8_t key[32], const uint8_t session_hash[MG_TOKEN_HASH_LEN], const char *text,
                        size_t len)
{
    if (text == NULL || len != MG_TOKEN_TEXT_LEN)
        return MG_DECLINED;
    char want[MG_TOKEN_TEXT_LEN + 1];
    mg_token_csrf(key, session_hash, want);
    int same = sodium_memcmp(want, text, MG_TOKEN_TEXT_LEN) == 0;
    sodium_memzero(want, sizeof want);
    return same ? MG_OK : MG_DECLINED;
}
