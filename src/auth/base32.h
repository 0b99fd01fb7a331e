/*
 * base32.h: RFC 4648 §6 base32 (alphabet A-Z 2-7), the text form of TOTP
 * secrets in authenticator apps and otpauth:// URIs.
 *
 * Output carries no '=' padding (what the apps expect).  Input is read
 * leniently as people type it: either case, spaces anywhere, '=' padding at
 * the end; anything else, a length no encoding has, or non-zero unused bits
 * in the last character is refused, so each byte string has one text.
 */
#ifndef MG_AUTH_BASE32_H
#define MG_AUTH_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters (without the NUL) in the encoding of n bytes. */
#define MG_BASE32_LEN(n) (((n) * 8 + 4) / 5)

/* Encodes in[0..n) into out as MG_BASE32_LEN(n) upper-case characters and a
 * NUL.  Returns the number of characters written (without the NUL), or 0 with
 * out[0] = '\0' (if cap > 0) when cap < MG_BASE32_LEN(n) + 1. */
size_t mg_base32_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Decodes in[0..n) into out[0..cap).  MG_OK and *outlen = bytes written;
 * MG_DECLINED for a character outside the alphabet (after case folding,
 * spaces and trailing '=' removed), an impossible length or non-zero unused
 * bits; MG_ERR if the result would not fit in cap bytes.  *outlen is 0 on
 * any failure. */
int mg_base32_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);

#endif
