/* mg.c: allocation that aborts, small string helpers, randomness. */
#include "core/mg.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "{\"level\":\"error\",\"msg\":\"out of memory allocating %zu bytes\"}\n", n);
    abort();
}

void *mg_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *mg_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *mg_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

char *mg_strndup(const char *s, size_t n)
{
    char *d = mg_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mg_strdup(const char *s)
{
    return mg_strndup(s, strlen(s));
}

int mg_str_eq(struct mg_str a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && memcmp(a.ptr, lit, n) == 0;
}

int mg_str_eq_nocase(struct mg_str a, const char *lit)
{
    size_t n = strlen(lit);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)lit[i]))
            return 0;
    return 1;
}

size_t mg_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (cap > 0) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

/* How common a byte is in JSON text (API answers and stream frames: their keys are English words joined by
 * '_'), from 1 (the quote) up; 0 = rarer than any listed. */
static const uint8_t json_common[256] = {
    ['"'] = 1,  [':'] = 2,  [','] = 3,  ['e'] = 4,  ['t'] = 5,  ['a'] = 6,  ['o'] = 7,  ['i'] = 8,
    ['n'] = 9,  ['s'] = 10, ['r'] = 11, ['_'] = 12, ['l'] = 13, ['c'] = 14, ['d'] = 15, ['u'] = 16,
    ['m'] = 17, ['h'] = 18, ['k'] = 19, ['{'] = 20, ['}'] = 21, ['0'] = 22, ['1'] = 23, ['2'] = 24,
    ['p'] = 25, ['g'] = 26, ['f'] = 27, ['y'] = 28, ['b'] = 29, ['w'] = 30, ['v'] = 31, ['['] = 32,
    [']'] = 33, ['.'] = 34, ['-'] = 35, [' '] = 36,
};

size_t mg_needle_rarest(const char *s, size_t len)
{
    size_t a = 0;
    unsigned best = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned r = json_common[(uint8_t)s[i]];
        if (r == 0)
            return i;
        if (r > best) {
            a = i;
            best = r;
        }
    }
    return a;
}

const char *mg_needle_find(const struct mg_needle *nd, const char *hay, size_t n)
{
    size_t a = nd->at, nlen = nd->len;
    if (nlen == 0 || nlen > n)
        return nlen == 0 ? hay : NULL;
    const char *p = hay + a, *end = hay + n - (nlen - 1 - a);
    while (p < end && (p = memchr(p, nd->s[a], (size_t)(end - p))) != NULL) {
        if (memcmp(p - a, nd->s, nlen) == 0)
            return p - a;
        p++;
    }
    return NULL;
}

int mg_parse_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len)
        return MG_DECLINED;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MG_DECLINED;
        if (v > (UINT64_C(9223372036854775808) - (uint64_t)(s[i] - '0')) / 10)
            return MG_DECLINED;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (!neg && v > INT64_MAX)
        return MG_DECLINED;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return MG_OK;
}

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static void sodium_start(void)
{
    if (sodium_init() < 0)
        abort();
}

void mg_random(void *buf, size_t n)
{
    pthread_once(&sodium_once, sodium_start);
    randombytes_buf(buf, n);
}
