/*
 * fuzz_apikey.c: mg_key_parse and mg_key_mask on arbitrary bytes (a key comes
 * straight from a client's Authorization header).
 *
 * Checked for every input:
 *   - parse accepts only the KY-1 shape: 57 bytes, "mgk_gl_"/"mgk_cn_", base62
 *     body, and a checksum that mg_key_checksum recomputes; the public id it
 *     returns is the 12 characters after the region tag;
 *   - the mask fits its buffer, is terminated, and never shows the secret
 *     (for a key: exactly "mgk_<tag>_<public id>…"; otherwise at most the
 *     first 8 bytes of the input);
 *   - the input turned into a well-formed key (body mapped onto base62, the
 *     checksum recomputed) parses, and every single-character change of it
 *     is rejected.
 */
#include "core/apikey.h"
#include "core/mg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define BODY_OFF 7 /* "mgk_gl_" */
#define SUM_OFF (BODY_OFF + MG_KEY_PUBID_LEN + MG_KEY_SECRET_LEN)
#define MASK_CAP 64 /* what log lines use; "mgk_gl_" + 12 + "…" is 22 bytes */

static int is_b62(char c) { return c != '\0' && memchr(b62, c, sizeof(b62) - 1) != NULL; }

static void fail(const char *what, const char *s, size_t n)
{
    fprintf(stderr, "%s: [%.*s]\n", what, (int)n, s);
    abort();
}

static void check_mask(const char *key, size_t len, int is_key, const struct mg_key_parts *p)
{
    char m[MASK_CAP];
    memset(m, 'X', sizeof(m));
    mg_key_mask(key, len, m, sizeof(m));
    size_t ml = strnlen(m, sizeof(m));
    if (ml == sizeof(m))
        fail("mask not terminated", key, len);
    if (is_key) {
        char want[MASK_CAP];
        snprintf(want, sizeof(want), "mgk_%.2s_%s\xe2\x80\xa6", key + 4, p->public_id);
        if (strcmp(m, want) != 0)
            fail("mask of a key is not prefix + public id + ellipsis", m, ml);
        return;
    }
    /* Not a key: nothing beyond the first 8 bytes of the input may show. */
    const char *ell = strstr(m, "\xe2\x80\xa6");
    size_t shown = ell ? (size_t)(ell - m) : ml;
    if (shown > 8 || (shown > 0 && (shown > len || memcmp(m, key, shown) != 0)))
        fail("mask of a non-key shows more than its first 8 bytes", m, ml);
    /* A short input (under 13 bytes) could be most of a secret: show none of it. */
    if (len <= 12 && shown != 0)
        fail("mask of a short string shows part of it", m, ml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_key_parts p;
    char key[MG_KEY_LEN + 1];

    if (size > 4096)
        return 0;
    /* A NUL-terminated copy: callers may hand either form to the mask. */
    char *z = mg_malloc(size + 1);
    memcpy(z, data, size);
    z[size] = '\0';

    memset(&p, 0x55, sizeof(p));
    int ok = mg_key_parse(z, size, &p) == MG_OK;
    if (ok) {
        char sum[MG_KEY_CHECKSUM_LEN];
        if (size != MG_KEY_LEN || memcmp(z, "mgk_", 4) != 0 || z[6] != '_')
            fail("accepted a key of the wrong shape", z, size);
        if (!((z[4] == 'g' && z[5] == 'l' && p.region == MG_REGION_GLOBAL) ||
              (z[4] == 'c' && z[5] == 'n' && p.region == MG_REGION_CN)))
            fail("accepted a wrong region tag, or returned the wrong region", z, size);
        for (size_t i = BODY_OFF; i < size; i++)
            if (!is_b62(z[i]))
                fail("accepted a non-base62 character", z, size);
        mg_key_checksum(z, SUM_OFF, sum);
        if (memcmp(sum, z + SUM_OFF, sizeof(sum)) != 0)
            fail("accepted a wrong checksum", z, size);
        if (strlen(p.public_id) != MG_KEY_PUBID_LEN || memcmp(p.public_id, z + BODY_OFF, MG_KEY_PUBID_LEN) != 0)
            fail("wrong public id", z, size);
    }
    check_mask(z, size, ok, &p);
    free(z);

    /* Build a well-formed key from the input and mutate it. */
    if (size < 2)
        return 0;
    memcpy(key, data[0] & 1 ? "mgk_cn_" : "mgk_gl_", BODY_OFF);
    for (size_t i = 0; i < MG_KEY_PUBID_LEN + MG_KEY_SECRET_LEN; i++)
        key[BODY_OFF + i] = b62[data[1 + i % (size - 1)] % 62];
    mg_key_checksum(key, SUM_OFF, key + SUM_OFF);
    key[MG_KEY_LEN] = '\0';
    if (mg_key_parse(key, MG_KEY_LEN, &p) != MG_OK)
        fail("a well-formed key was rejected", key, MG_KEY_LEN);
    check_mask(key, MG_KEY_LEN, 1, &p);
    size_t pos = data[0] % MG_KEY_LEN;
    char orig = key[pos];
    for (int c = 1; c < 256; c++) {
        if ((char)c == orig)
            continue;
        key[pos] = (char)c;
        if (mg_key_parse(key, MG_KEY_LEN, NULL) == MG_OK)
            fail("a one-character change was accepted", key, MG_KEY_LEN);
    }
    return 0;
}
