/*
 * recovery.c: recovery codes and their stored hash (recovery.h).
 */
#include "auth/recovery.h"

#include <sodium.h>
#include <string.h>

#include "core/mg.h"

static const char alphabet[] = MG_RECOVERY_ALPHABET;

_Static_assert(sizeof alphabet - 1 == 32, "5 bits per character, no modulo bias");
_Static_assert(MG_RECOVERY_CODE_CHARS * 5 >= 112, "at least 112 bits for a plain SHA-256");
_Static_assert(MG_RECOVERY_CODE_TEXT ==
                   MG_RECOVERY_CODE_CHARS + MG_RECOVERY_CODE_CHARS / MG_RECOVERY_CODE_GROUP - 1,
               "groups and dashes");

void mg_recovery_code_new(char out[MG_RECOVERY_CODE_TEXT + 1], uint8_t hash[MG_RECOVERY_HASH_LEN])
{
    uint8_t rnd[MG_RECOVERY_CODE_CHARS];
    char norm[MG_RECOVERY_CODE_CHARS];
    mg_random(rnd, sizeof rnd);
    size_t o = 0;
    for (size_t i = 0; i < MG_RECOVERY_CODE_CHARS; i++) {
        norm[i] = alphabet[rnd[i] & 31]; /* 256 is a multiple of 32: uniform */
        if (i > 0 && i % MG_RECOVERY_CODE_GROUP == 0)
            out[o++] = '-';
        out[o++] = norm[i];
    }
    out[o] = '\0';
    crypto_hash_sha256(hash, (const uint8_t *)norm, sizeof norm);
    sodium_memzero(rnd, sizeof rnd);
    sodium_memzero(norm, sizeof norm);
}

int mg_recovery_code_hash(const char *text, size_t len, uint8_t hash[MG_RECOVERY_HASH_LEN])
{
    memset(hash, 0, MG_RECOVERY_HASH_LEN);
    if (len > MG_RECOVERY_CODE_INPUT_MAX)
        return MG_DECLINED;
    char norm[MG_RECOVERY_CODE_CHARS];
    size_t n = 0;
    int ok = 1;
    for (size_t i = 0; i < len && ok; i++) {
        char c = text[i];
        if (c == ' ' || c == '-')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c == '\0' || !memchr(alphabet, c, sizeof alphabet - 1) || n == MG_RECOVERY_CODE_CHARS)
            ok = 0;
        else
            norm[n++] = c;
    }
    if (ok && n == MG_RECOVERY_CODE_CHARS)
        crypto_hash_sha256(hash, (const uint8_t *)norm, sizeof norm);
    else
        ok = 0;
    sodium_memzero(norm, sizeof norm);
    return ok ? MG_OK : MG_DECLINED;
}
