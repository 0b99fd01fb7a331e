/*
 * totp.h: one-time passwords for the authenticator-app second factor.
 *
 * HOTP is RFC 4226 (HMAC over the 8-byte big-endian counter, dynamic
 * truncation to 31 bits, the last `digits` decimal digits); TOTP is RFC 6238
 * (the counter is floor(unix time / step), 64-bit, so T = 20000000000 works).
 * The platform uses one profile only: HMAC-SHA1, 6 digits, 30 s, a 160-bit
 * secret (RFC 4226 R6), which is what authenticator apps support; the
 * SHA-256/SHA-512 variants exist for the RFC's test vectors.
 *
 * Replay (SECURITY-REFERENCES §2, §8 items 13-14): mg_totp_verify() takes the
 * last step accepted for the secret and accepts a code only for a later step
 * among now-1, now, now+1.  The caller then stores the matched step with
 * `UPDATE ... SET last_step = s WHERE ... AND last_step < s` and treats 0 rows
 * changed as a refusal, which makes two concurrent submissions yield one
 * success.
 *
 * At rest a secret is sealed with XChaCha20-Poly1305 under a key the caller
 * derives from the server secret (never stored in the database), with the
 * account id as associated data: a sealed secret copied to another account's
 * row does not open.
 * All functions are thread-safe.
 */
#ifndef MG_AUTH_TOTP_H
#define MG_AUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define MG_TOTP_SECRET_LEN 20 /* 160 bits, RFC 4226 R6's recommendation */
#define MG_TOTP_DIGITS 6
#define MG_TOTP_STEP_S 30
#define MG_TOTP_SKEW_STEPS 1 /* RFC 6238 §5.2: at most one step of network delay */
#define MG_HOTP_MAC_MAX 64   /* SHA-512 */
#define MG_HOTP_KEY_MAX 128  /* longer keys have no use here; refuse them */
/* version byte + 24-byte nonce + ciphertext + 16-byte tag */
#define MG_TOTP_SEALED_LEN (1 + 24 + MG_TOTP_SECRET_LEN + 16)
/* otpauth:// URI: issuer and account are each at most this many bytes */
#define MG_TOTP_LABEL_MAX 128

/* HMAC-alg(key, counter as 8 bytes big-endian) into mac (MG_HOTP_MAC_MAX
 * bytes of room), *maclen = 20, 32 or 64.  alg is "SHA1", "SHA256" or
 * "SHA512".  MG_OK; MG_ERR for an unknown alg or keylen outside
 * 1..MG_HOTP_KEY_MAX. */
int mg_hotp_hmac(const char *alg, const uint8_t *key, size_t keylen, uint64_t counter,
                 uint8_t mac[MG_HOTP_MAC_MAX], size_t *maclen);

/* RFC 4226 §5.3 dynamic truncation of an HMAC of maclen (>= 20) bytes: the
 * 31-bit value at the offset named by the low nibble of the last byte. */
uint32_t mg_hotp_truncate(const uint8_t *mac, size_t maclen);

/* RFC 4226 HOTP with HMAC-SHA1: *code = truncate(HMAC) mod 10^digits.
 * MG_OK; MG_ERR if digits is outside 6..8 or keylen outside
 * 1..MG_HOTP_KEY_MAX.  The caller prints the code with leading zeros. */
int mg_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits, uint32_t *code);

/* RFC 6238 TOTP at unix time unix_s (>= 0) with step step_s (> 0), alg as in
 * mg_hotp_hmac().  MG_OK; MG_ERR for a bad argument. */
int mg_totp_at(const uint8_t *key, size_t keylen, int64_t unix_s, int step_s, int digits, const char *alg,
               uint32_t *code);

/* The platform's verifier: SHA-1, 6 digits, 30 s steps, at server time now_ms
 * (milliseconds since the epoch; never a client's time).  code[0..len) must
 * be 6 ASCII digits equal to the code of a step s in {now-1, now, now+1}
 * with s > last_step (pass -1 for a secret never used).  MG_OK and
 * *matched_step = s; MG_DECLINED for a wrong code, a used or older step, a
 * wrong length or a non-digit; MG_ERR for a bad key or a negative clock.
 * The code is compared in constant time and every candidate step is
 * computed whatever matches. */
int mg_totp_verify(const uint8_t *key, size_t keylen, const char *code, size_t len, int64_t now_ms,
                   int64_t last_step, int64_t *matched_step);

/* A new secret: MG_TOTP_SECRET_LEN bytes from the CSPRNG. */
void mg_totp_secret_new(uint8_t out[MG_TOTP_SECRET_LEN]);

/* The otpauth:// URI an authenticator app scans:
 *   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded (all but RFC 3986 unreserved
 * characters) and the secret in unpadded base32.  MG_OK and a NUL-terminated
 * out; MG_DECLINED if issuer or account is empty, longer than
 * MG_TOTP_LABEL_MAX or holds a ':' or a control character, or n is outside
 * 1..MG_HOTP_KEY_MAX; MG_ERR (out[0] = '\0') if cap is too small. */
int mg_totp_uri(const char *issuer, const char *account, const uint8_t *secret, size_t n, char *out, size_t cap);

/* Seals secret for account_id under key: writes MG_TOTP_SEALED_LEN bytes
 * (version 1, a random nonce, ciphertext and tag) and returns that length, or
 * 0 if cap < MG_TOTP_SEALED_LEN. */
size_t mg_totp_seal(const uint8_t key[32], int64_t account_id, const uint8_t secret[MG_TOTP_SECRET_LEN],
                    uint8_t *out, size_t cap);

/* Opens what mg_totp_seal() wrote for the same key and account_id.  MG_OK;
 * MG_DECLINED (secret zeroed) for a wrong length or version, another key or
 * account, or any changed byte. */
int mg_totp_open(const uint8_t key[32], int64_t account_id, const uint8_t *sealed, size_t len,
                 uint8_t secret[MG_TOTP_SECRET_LEN]);

#endif
