/*
 * recovery.h: single-use recovery codes, the fallback second factor.
 *
 * A code is 24 characters from a 32-character alphabet without the
 * look-alikes 0, 1, I and O (so 5 bits each: 120 bits, above the 112 bits
 * that make a plain SHA-256 enough, SECURITY-REFERENCES §8 item 16), shown
 * as four dash-separated groups of six ("ABCDEF-GHJKLM-NPQRST-UVWXYZ").
 * Only SHA-256 of the normalized code (the 24 characters, upper case, no
 * separators) is stored.  A user may type it in either case, with or
 * without dashes and spaces.
 * All functions are thread-safe.
 */
#ifndef MG_AUTH_RECOVERY_H
#define MG_AUTH_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#define MG_RECOVERY_CODES 10         /* codes in a set (§8 item 16: at least 10) */
#define MG_RECOVERY_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define MG_RECOVERY_CODE_CHARS 24    /* alphabet characters in a code: 120 bits */
#define MG_RECOVERY_CODE_GROUP 6     /* characters between dashes */
#define MG_RECOVERY_CODE_TEXT 27     /* shown form: 4 groups of 6 and 3 dashes */
#define MG_RECOVERY_CODE_INPUT_MAX 64 /* longest text mg_recovery_code_hash() reads */
#define MG_RECOVERY_HASH_LEN 32      /* SHA-256 */

/* A new code from the CSPRNG: out gets its shown form (27 characters and a
 * NUL), hash gets SHA-256 of its normalized form, the value to store. */
void mg_recovery_code_new(char out[MG_RECOVERY_CODE_TEXT + 1], uint8_t hash[MG_RECOVERY_HASH_LEN]);

/* Normalizes what a user typed (drops spaces and dashes, folds to upper
 * case) and hashes it.  MG_OK; MG_DECLINED (hash zeroed) if len exceeds
 * MG_RECOVERY_CODE_INPUT_MAX or the rest is not exactly
 * MG_RECOVERY_CODE_CHARS characters of the alphabet. */
int mg_recovery_code_hash(const char *text, size_t len, uint8_t hash[MG_RECOVERY_HASH_LEN]);

#endif
