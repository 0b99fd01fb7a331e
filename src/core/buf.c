/* buf.c: capped growable buffer. */
#include "core/buf.h"
#include "core/mg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mg_buf_init(struct mg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void mg_buf_free(struct mg_buf *b)
{
    free(b->data);
    mg_buf_init(b, b->max);
}

void mg_buf_reset(struct mg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct mg_buf *b, size_t n)
{
    if (n > b->max || b->len + n > b->max)
        return MG_DECLINED;
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->len + n + 1)
            c *= 2;
        b->data = mg_realloc(b->data, c);
        b->cap = c;
    }
    return MG_OK;
}

int mg_buf_append(struct mg_buf *b, const void *p, size_t n)
{
    if (reserve(b, n) != MG_OK)
        return MG_DECLINED;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MG_OK;
}

int mg_buf_appendf(struct mg_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return MG_ERR;
    if ((size_t)n < sizeof(small))
        return mg_buf_append(b, small, (size_t)n);
    if (reserve(b, (size_t)n) != MG_OK)
        return MG_DECLINED;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MG_OK;
}

int mg_buf_append_json_str(struct mg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (mg_buf_append(b, "\"", 1) != MG_OK)
        return MG_DECLINED;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t el = 0;
        switch (c) {
        case '"': esc[0] = '\\'; esc[1] = '"'; el = 2; break;
        case '\\': esc[0] = '\\'; esc[1] = '\\'; el = 2; break;
        case '\n': esc[0] = '\\'; esc[1] = 'n'; el = 2; break;
        case '\r': esc[0] = '\\'; esc[1] = 'r'; el = 2; break;
        case '\t': esc[0] = '\\'; esc[1] = 't'; el = 2; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
                esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
                el = 6;
            }
        }
        if (el == 0 && c >= 0x80) { /* copy a whole valid UTF-8 sequence, or write U+FFFD */
            size_t need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
            size_t k = 1;
            while (need && k < need && i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
                k++;
            if (need == 0 || k != need) {
                if (mg_buf_append(b, "\\ufffd", 6) != MG_OK)
                    return MG_DECLINED;
                continue;
            }
            if (mg_buf_append(b, s + i, need) != MG_OK)
                return MG_DECLINED;
            i += need - 1;
            continue;
        }
        int r = el ? mg_buf_append(b, esc, el) : mg_buf_append(b, s + i, 1);
        if (r != MG_OK)
            return MG_DECLINED;
    }
    return mg_buf_append(b, "\"", 1);
}
