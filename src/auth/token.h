/*
 * token.h: opaque random tokens (sessions, mail links) and CSRF tokens.
 *
 * A token is 32 CSPRNG bytes (256 bits) in base64url without padding: 43
 * characters of [A-Za-z0-9_-].  A kind may put a short prefix in front
 * ("mgs_" for sessions: 47 characters).  Only SHA-256 of the whole text
 * (prefix included) is ever stored, so a database dump holds no usable token
 * (SECURITY-REFERENCES §8 items 25, 31).  mg_token_parse() refuses a text of
 * the wrong length, charset or prefix before any database query.
 *
 * A CSRF token is HMAC-SHA256(key, "mg-csrf-v1" || session hash) in the same
 * 43-character shape: bound to one session, nothing stored.
 * All functions are thread-safe.
 */
#ifndef MG_AUTH_TOKEN_H
#define MG_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define MG_TOKEN_BYTES 32    /* random bytes in a token: 256 bits */
#define MG_TOKEN_TEXT_LEN 43 /* base64url, no padding, of 32 bytes */
#define MG_TOKEN_HASH_LEN 32 /* SHA-256 */
#define MG_TOKEN_PREFIX_MAX 16
#define MG_TOKEN_SESSION_PREFIX "mgs_"
#define MG_TOKEN_SESSION_LEN (sizeof(MG_TOKEN_SESSION_PREFIX) - 1 + MG_TOKEN_TEXT_LEN) /* 47 */

/* Makes a new token: out gets its 43 characters and a NUL, hash gets
 * SHA-256(out), the value to store. */
void mg_token_new(char out[MG_TOKEN_TEXT_LEN + 1], uint8_t hash[MG_TOKEN_HASH_LEN]);

/* As mg_token_new() with prefix (at most MG_TOKEN_PREFIX_MAX bytes of
 * [a-z0-9_]) in front: out gets prefix + 43 characters + NUL and hash gets
 * SHA-256 of that whole text.  MG_OK; MG_ERR (out untouched but for a NUL) if
 * cap < strlen(prefix) + MG_TOKEN_TEXT_LEN + 1 or the prefix is too long. */
int mg_token_new_prefixed(const char *prefix, char *out, size_t cap, uint8_t hash[MG_TOKEN_HASH_LEN]);

/* Checks the shape of a token a client sent: text[0..len) must be prefix (if
 * not NULL) followed by exactly 43 base64url characters that decode to 32
 * bytes (canonical: the last character's two unused bits are zero).  MG_OK
 * and hash = SHA-256(text) for the lookup; MG_DECLINED (hash zeroed) for any
 * wrong length, charset or prefix. */
int mg_token_parse(const char *text, size_t len, const char *prefix, uint8_t hash[MG_TOKEN_HASH_LEN]);

/* The CSRF token of a session: base64url(HMAC-SHA256(key, "mg-csrf-v1" ||
 * session_hash)), 43 characters and a NUL. */
void mg_token_csrf(const uint8_t key[32], const uint8_t session_hash[MG_TOKEN_HASH_LEN],
                   char out[MG_TOKEN_TEXT_LEN + 1]);

/* MG_OK if text[0..len) is the CSRF token of that session, else MG_DECLINED.
 * The comparison is constant-time (sodium_memcmp); only the length, which is
 * public, is checked first. */
int mg_token_csrf_check(const uint8_t key[32], const uint8_t session_hash[MG_TOKEN_HASH_LEN], const char *text,
                        size_t len);

#endif
