/*
 * apikey.c: maxgate API keys (format in apikey.h).  The checksum lets us
 * reject a mistyped or invented key before any lookup; the digest is what the
 * store keeps.
 */
#include "core/apikey.h"
#include "core/mg.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define PREFIX "mgk_"
#define PREFIX_LEN 4
#define BODY_OFF (PREFIX_LEN + 3) /* "mgk_gl_" */
#define CHECKSUM_OFF (BODY_OFF + MG_KEY_PUBID_LEN + MG_KEY_SECRET_LEN)

static int is_b62(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The public "mgk_" prefix (not secret, so a plain comparison is fine). */
static int starts_with_prefix(const char *s) { return strncmp(s, PREFIX, PREFIX_LEN) == 0; }

void mg_key_checksum(const char *s, size_t len, char out[MG_KEY_CHECKSUM_LEN])
{
    uint32_t v = (uint32_t)crc32(0L, (const Bytef *)s, (uInt)len);
    for (int i = MG_KEY_CHECKSUM_LEN - 1; i >= 0; i--) {
        out[i] = b62[v % 62];
        v /= 62;
    }
}

int mg_key_parse(const char *key, size_t len, struct mg_key_parts *out)
{
    char sum[MG_KEY_CHECKSUM_LEN];
    enum mg_region region;
    char tag[3];

    if (len != MG_KEY_LEN || !starts_with_prefix(key) || key[PREFIX_LEN + 2] != '_')
        return MG_DECLINED;
    memcpy(tag, key + PREFIX_LEN, 2);
    tag[2] = '\0';
    if (strcmp(tag, "gl") == 0)
        region = MG_REGION_GLOBAL;
    else if (strcmp(tag, "cn") == 0)
        region = MG_REGION_CN;
    else
        return MG_DECLINED;
    for (size_t i = BODY_OFF; i < len; i++)
        if (!is_b62(key[i]))
            return MG_DECLINED;
    mg_key_checksum(key, CHECKSUM_OFF, sum);
    if (CRYPTO_memcmp(sum, key + CHECKSUM_OFF, MG_KEY_CHECKSUM_LEN) != 0)
        return MG_DECLINED;
    if (out != NULL) {
        out->region = region;
        memcpy(out->public_id, key + BODY_OFF, MG_KEY_PUBID_LEN);
        out->public_id[MG_KEY_PUBID_LEN] = '\0';
    }
    return MG_OK;
}

/* Uniform base62 characters: bytes >= 248 (= 4 * 62) are rejected so every
 * character is equally likely. */
static void random_b62(char *out, size_t n)
{
    uint8_t buf[64];
    size_t have = 0, pos = sizeof(buf);
    while (have < n) {
        if (pos == sizeof(buf)) {
            mg_random(buf, sizeof(buf));
            pos = 0;
        }
        uint8_t b = buf[pos++];
        if (b < 248)
            out[have++] = b62[b % 62];
    }
}

void mg_key_generate(enum mg_region region, char out[MG_KEY_LEN + 1], struct mg_key_parts *parts)
{
    memcpy(out, PREFIX, PREFIX_LEN);
    memcpy(out + PREFIX_LEN, mg_region_tag(region), 2);
    out[PREFIX_LEN + 2] = '_';
    random_b62(out + BODY_OFF, MG_KEY_PUBID_LEN + MG_KEY_SECRET_LEN);
    mg_key_checksum(out, CHECKSUM_OFF, out + CHECKSUM_OFF);
    out[MG_KEY_LEN] = '\0';
    if (parts != NULL) {
        parts->region = region;
        memcpy(parts->public_id, out + BODY_OFF, MG_KEY_PUBID_LEN);
        parts->public_id[MG_KEY_PUBID_LEN] = '\0';
    }
}

void mg_key_digest(const uint8_t *secret, size_t secret_len, const char *key, size_t len,
                   uint8_t out[MG_KEY_DIGEST_LEN])
{
    unsigned int outlen = MG_KEY_DIGEST_LEN;
    HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)key, len, out, &outlen);
}

/* HMAC (RFC 2104) by hand on two prepared digest states: the one-shot HMAC()
 * fetches SHA-256 from the provider and derives the pads on every call.
 * EVP_MD_CTX_copy_ex reads its source only, so the shared states stay const;
 * each call copies them into a context of its own.  (Measured against
 * EVP_MAC_CTX_dup of a keyed HMAC context, which is ~2.5x slower: it
 * duplicates three digest contexts.) */
#define SHA256_BLOCK 64

static void crypto_check(int ok)
{
    if (!ok) {
        fprintf(stderr, "maxgate: OpenSSL SHA-256 failed (out of memory?)\n");
        abort();
    }
}

static struct evp_md_ctx_st *padded_state(const EVP_MD *md, const uint8_t key[SHA256_BLOCK], uint8_t pad)
{
    uint8_t block[SHA256_BLOCK];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    crypto_check(c != NULL);
    for (size_t i = 0; i < SHA256_BLOCK; i++)
        block[i] = key[i] ^ pad;
    crypto_check(EVP_DigestInit_ex2(c, md, NULL) && EVP_DigestUpdate(c, block, sizeof(block)));
    OPENSSL_cleanse(block, sizeof(block));
    return c;
}

void mg_key_hasher_init(struct mg_key_hasher *h, const uint8_t *secret, size_t len)
{
    uint8_t key[SHA256_BLOCK] = {0};
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    crypto_check(md != NULL);
    if (len > SHA256_BLOCK) {
        unsigned int n = 0;
        crypto_check(EVP_Digest(secret, len, key, &n, md, NULL));
    } else if (len > 0) {
        memcpy(key, secret, len);
    }
    h->inner = padded_state(md, key, 0x36);
    h->outer = padded_state(md, key, 0x5c);
    OPENSSL_cleanse(key, sizeof(key));
    EVP_MD_free(md); /* the contexts hold their own reference */
}

void mg_key_hasher_digest(const struct mg_key_hasher *h, const char *key, size_t len, uint8_t out[MG_KEY_DIGEST_LEN])
{
    uint8_t inner[MG_KEY_DIGEST_LEN];
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    crypto_check(c != NULL);
    crypto_check(EVP_MD_CTX_copy_ex(c, h->inner) && EVP_DigestUpdate(c, key, len) &&
                 EVP_DigestFinal_ex(c, inner, NULL));
    crypto_check(EVP_MD_CTX_copy_ex(c, h->outer) && EVP_DigestUpdate(c, inner, sizeof(inner)) &&
                 EVP_DigestFinal_ex(c, out, NULL));
    EVP_MD_CTX_free(c); /* EVP_MD_CTX_free cleanses the state */
    OPENSSL_cleanse(inner, sizeof(inner));
}

void mg_key_hasher_free(struct mg_key_hasher *h)
{
    EVP_MD_CTX_free(h->inner);
    EVP_MD_CTX_free(h->outer);
    h->inner = h->outer = NULL;
}

void mg_key_mask(const char *key, size_t len, char *out, size_t cap)
{
    struct mg_key_parts p;
    if (mg_key_parse(key, len, &p) == MG_OK)
        snprintf(out, cap, "mgk_%s_%s…", mg_region_tag(p.region), p.public_id);
    else if (len > 12)
        snprintf(out, cap, "%.8s…", key);
    else
        snprintf(out, cap, "…");
}
