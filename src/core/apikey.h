/*
 * apikey.h: the maxgate API key format (KY-1).
 *
 *   mgk_<region>_<public id><secret><checksum>
 *   region   "gl" or "cn"
 *   public id 12 base62 chars (shown in logs and screens)
 *   secret   32 base62 chars (CSPRNG, rejection-sampled)
 *   checksum 6 base62 chars: CRC32 (IEEE, zlib) of everything before it,
 *            base62 with alphabet 0-9A-Za-z, left-padded with '0'
 *
 * Parsing checks shape and checksum only, with no store access, so a mistyped
 * or forged key is rejected before any lookup.  Lives in core: the CLI uses
 * the parse to detect the region of a key.
 */
#ifndef MG_CORE_APIKEY_H
#define MG_CORE_APIKEY_H

#include <stddef.h>
#include <stdint.h>
#include "core/region.h"

#define MG_KEY_PUBID_LEN 12
#define MG_KEY_SECRET_LEN 32
#define MG_KEY_CHECKSUM_LEN 6
#define MG_KEY_LEN (4 + 2 + 1 + MG_KEY_PUBID_LEN + MG_KEY_SECRET_LEN + MG_KEY_CHECKSUM_LEN) /* 57 */
#define MG_KEY_DIGEST_LEN 32

struct mg_key_parts {
    enum mg_region region;
    char public_id[MG_KEY_PUBID_LEN + 1];
};

/* MG_OK, or MG_DECLINED if `key` is not a well-formed maxgate key (wrong
 * prefix, length, alphabet, region tag or checksum). */
int mg_key_parse(const char *key, size_t len, struct mg_key_parts *out);

/* A new random key for `region`, NUL-terminated into out; parts may be NULL. */
void mg_key_generate(enum mg_region region, char out[MG_KEY_LEN + 1], struct mg_key_parts *parts);

/* CRC32 (IEEE) of s, as 6 base62 chars (not terminated). */
void mg_key_checksum(const char *s, size_t len, char out[MG_KEY_CHECKSUM_LEN]);

/* The stored form: HMAC-SHA256(secret, key), one-shot (admin and CLI paths;
 * the request path uses struct mg_key_hasher, which gives the same bytes). */
void mg_key_digest(const uint8_t *secret, size_t secret_len, const char *key, size_t len,
                   uint8_t out[MG_KEY_DIGEST_LEN]);

/* HMAC-SHA256 with the server secret absorbed once: the two SHA-256 states
 * after hashing (secret ^ ipad) and (secret ^ opad).  A digest copies them
 * and hashes only the key and the inner hash, about a quarter of the one-shot
 * cost (docs/benchmarks.md).  The states are never written after init, so one
 * hasher is shared by every thread without a lock.  Holds secret-derived
 * state: free it when the secret goes. */
struct mg_key_hasher {
    struct evp_md_ctx_st *inner; /* OpenSSL EVP_MD_CTX */
    struct evp_md_ctx_st *outer;
};

/* Prepares h from the secret (any length; one longer than SHA-256's 64-byte
 * block is hashed first, as HMAC says).  Aborts if OpenSSL cannot (out of
 * memory), like mg_malloc. */
void mg_key_hasher_init(struct mg_key_hasher *h, const uint8_t *secret, size_t len);
/* out = HMAC-SHA256(secret, key[0..len)), identical to mg_key_digest.  Any
 * number of threads at once on one hasher. */
void mg_key_hasher_digest(const struct mg_key_hasher *h, const char *key, size_t len, uint8_t out[MG_KEY_DIGEST_LEN]);
/* Wipes and releases the prepared states; h may be zeroed or freed twice. */
void mg_key_hasher_free(struct mg_key_hasher *h);

/* "mgk_gl_AbCdEfGhIjKl…" style mask for logs and --verbose: prefix + public id
 * + "…".  Works on any string (a MiniMax key gets its first 8 chars). */
void mg_key_mask(const char *key, size_t len, char *out, size_t cap);

#endif
