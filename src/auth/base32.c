/*
 * base32.c: RFC 4648 base32 without padding on output (base32.h).
 */
#include "auth/base32.h"

#include "core/mg.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t mg_base32_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need = MG_BASE32_LEN(n);
    if (cap > 0)
        out[0] = '\0';
    if (n > (SIZE_MAX - 4) / 8 || cap < need + 1)
        return 0;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = alphabet[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return o;
}

/* The 5-bit value of c, or -1. */
static int value(char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int mg_base32_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    *outlen = 0;
    size_t o = 0, chars = 0;
    uint32_t acc = 0;
    int bits = 0, padding = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == ' ')
            continue;
        if (c == '=') {
            padding = 1;
            continue;
        }
        int v = value(c);
        if (v < 0 || padding) /* padding only at the end */
            return MG_DECLINED;
        chars++;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return MG_ERR;
            out[o++] = (uint8_t)(acc >> bits);
        }
        acc &= (1u << bits) - 1; /* keep only the unread bits */
    }
    /* A final group of 1, 3 or 6 characters is not a whole number of bytes;
     * the leftover bits (< 5) must be zero for the text to be canonical. */
    size_t r = chars % 8;
    if (r == 1 || r == 3 || r == 6 || acc != 0)
        return MG_DECLINED;
    *outlen = o;
    return MG_OK;
}
