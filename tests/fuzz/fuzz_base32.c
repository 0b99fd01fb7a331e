/*
 * fuzz_base32.c: the decoders of what a user types or pastes for a second
 * factor: base32 (RFC 4648, the authenticator secret), recovery codes and
 * TOTP codes, on arbitrary bytes.
 *
 * Checked for every input:
 *   - decoding never writes past its buffer and reports a length within it;
 *   - what decodes re-encodes to text that decodes to the same bytes, and the
 *     encoding is canonical (upper case, no padding, no spaces);
 *   - a recovery code that hashes has 24 alphabet characters once dashes,
 *     spaces and case are removed, and every spelling of it hashes alike;
 *   - the TOTP verifier accepts nothing but 6 ASCII digits.
 */
#include "auth/base32.h"
#include "auth/recovery.h"
#include "auth/totp.h"
#include "core/mg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_CAP 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    uint8_t out[OUT_CAP + 8], again[OUT_CAP + 8], hash[32], hash2[32];
    char enc[2 * OUT_CAP + 16];
    size_t n = 0, m = 0;
    memset(out + OUT_CAP, 0xA5, 8);
    if (mg_base32_decode(text, size, out, OUT_CAP, &n) == MG_OK) {
        if (n > OUT_CAP || out[OUT_CAP] != 0xA5)
            abort();
        size_t el = mg_base32_encode(out, n, enc, sizeof(enc));
        if (n > 0 && el == 0)
            abort();
        for (size_t i = 0; i < el; i++)
            if (enc[i] == '=' || enc[i] == ' ' || (enc[i] >= 'a' && enc[i] <= 'z'))
                abort();
        if (mg_base32_decode(enc, el, again, OUT_CAP, &m) != MG_OK || m != n || memcmp(out, again, n) != 0)
            abort();
    }
    if (mg_recovery_code_hash(text, size, hash) == MG_OK) {
        char canon[MG_RECOVERY_CODE_INPUT_MAX + 1];
        size_t k = 0;
        for (size_t i = 0; i < size; i++) {
            char ch = text[i];
            if (ch == '-' || ch == ' ')
                continue;
            if (ch >= 'a' && ch <= 'z')
                ch = (char)(ch - 32);
            if (strchr(MG_RECOVERY_ALPHABET, ch) == NULL || ch == '\0')
                abort();
            canon[k++] = ch;
        }
        if (k != MG_RECOVERY_CODE_CHARS)
            abort();
        if (mg_recovery_code_hash(canon, k, hash2) != MG_OK || memcmp(hash, hash2, sizeof(hash)) != 0)
            abort();
    }
    static const uint8_t key[MG_TOTP_SECRET_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    int64_t step = 0;
    if (mg_totp_verify(key, sizeof(key), text, size, 1700000000000LL, -1, &step) == MG_OK) {
        if (size != 6)
            abort();
        for (size_t i = 0; i < 6; i++)
            if (text[i] < '0' || text[i] > '9')
                abort();
    }
    return 0;
}
