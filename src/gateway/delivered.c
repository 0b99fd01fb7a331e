/*
 * delivered.c: counting the generated text of chat stream frames (the ratio
 * and what counts: delivered.h).
 *
 * Each "delta" object of a frame is found with mg_needle_find and walked as JSON
 * tokens, without building anything: a stack of containers and the key
 * that names the next value.  A string value whose key is one of the text
 * keys, anywhere inside the delta object, is counted.  Input from the
 * upstream may be invalid or cut: the walker never reads past len, stops at
 * MAX_DEPTH, and otherwise counts what it recognises.
 */
#include "gateway/delivered.h"
#include "core/mg.h"

#include <string.h>

#define MAX_DEPTH 64 /* chat frames nest 4-6 levels; deeper is not a frame we know */

enum key { KEY_OTHER, KEY_TEXT, KEY_DELTA };

static enum key classify(const char *k, size_t n)
{
    static const char *const text[] = {"content", "text", "thinking", "reasoning_content", "arguments", "partial_json"};
    if (n == 5 && memcmp(k, "delta", 5) == 0)
        return KEY_DELTA;
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        if (strlen(text[i]) == n && memcmp(k, text[i], n) == 0)
            return KEY_TEXT;
    return KEY_OTHER;
}

static int is_delim(char c)
{
    return c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Walks the string whose body starts at s[i] (after the opening quote);
 * counts its characters into est when est != NULL.  Returns the index after
 * the closing quote (or len). */
static size_t string_end(const char *s, size_t i, size_t len, struct mg_est *est)
{
    while (i < len) {
        unsigned char b = (unsigned char)s[i];
        if (b == '"')
            return i + 1;
        if (b == '\\') {
            if (i + 1 >= len)
                return len;
            if (s[i + 1] == 'u') {
                unsigned cp = 0;
                size_t k;
                for (k = 0; k < 4 && i + 2 + k < len && hexval(s[i + 2 + k]) >= 0; k++)
                    cp = cp << 4 | (unsigned)hexval(s[i + 2 + k]);
                if (est != NULL && k == 4 && !(cp >= 0xDC00 && cp <= 0xDFFF)) /* a low surrogate ends a pair */
                    *(cp < 0x80 ? &est->ascii : &est->wide) += 1;
                i += 2 + k;
            } else {
                if (est != NULL)
                    est->ascii++;
                i += 2;
            }
            continue;
        }
        if (est != NULL) {
            if (b < 0x80)
                est->ascii++;
            else if ((b & 0xC0) != 0x80) /* a UTF-8 lead byte: one code point */
                est->wide++;
        }
        i++;
    }
    return len;
}

/* Walks the delta object whose '{' is at s[i], counting the text strings in
 * it at any depth; returns the index after its closing '}' (or len). */
static size_t walk_delta(struct mg_est *est, const char *s, size_t i, size_t len)
{
    char obj[MAX_DEPTH]; /* 1: object, 0: array */
    int depth = 0, expect_key = 0;
    enum key pending = KEY_OTHER;
    while (i < len) {
        char c = s[i];
        switch (c) {
        case '{':
        case '[':
            if (depth == MAX_DEPTH)
                return len;
            obj[depth++] = c == '{';
            expect_key = c == '{';
            pending = KEY_OTHER;
            i++;
            break;
        case '}':
        case ']':
            i++;
            if (--depth == 0)
                return i;
            expect_key = 0;
            pending = KEY_OTHER;
            break;
        case ',':
            expect_key = obj[depth - 1];
            pending = KEY_OTHER;
            i++;
            break;
        case '"':
            if (expect_key) {
                size_t end = string_end(s, i + 1, len, NULL);
                pending = s[end - 1] == '"' && end >= i + 2 ? classify(s + i + 1, end - i - 2) : KEY_OTHER;
                expect_key = 0;
                i = end;
            } else {
                i = string_end(s, i + 1, len, pending == KEY_TEXT && obj[depth - 1] ? est : NULL);
                pending = KEY_OTHER;
            }
            break;
        case ':':
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            i++;
            break;
        default: /* a number, a literal or a stray byte */
            do
                i++;
            while (i < len && !is_delim(s[i]));
            pending = KEY_OTHER;
            break;
        }
    }
    return len;
}

static size_t skip_ws(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* Only the delta objects are walked: an unescaped "delta" followed by ':'
 * can only be the key (in valid JSON a quote inside a string is escaped),
 * and most of a frame (ids, model, usage) is never looked at. */
const struct mg_needle mg_needle_delta = MG_NEEDLE("\"delta\"", 1);

void mg_est_frame(struct mg_est *est, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *p = mg_needle_find(&mg_needle_delta, s + i, len - i);
        if (p == NULL)
            return;
        size_t at = (size_t)(p - s), bs = 0;
        while (bs < at && s[at - 1 - bs] == '\\')
            bs++;
        i = skip_ws(s, at + 7, len);
        if (bs % 2 == 0 && i < len && s[i] == ':') { /* an escaped quote is inside a string (a key "x\"delta") */
            i = skip_ws(s, i + 1, len);
            if (i < len && s[i] == '{')
                i = walk_delta(est, s, i, len);
        }
    }
}

int64_t mg_est_tokens(const struct mg_est *est)
{
    int64_t units = est->ascii + MG_EST_WIDE_UNITS * est->wide;
    return (units + MG_EST_UNITS_PER_TOKEN - 1) / MG_EST_UNITS_PER_TOKEN;
}

int64_t mg_est_input_tokens(size_t body_len)
{
    if (body_len == 0)
        return 0;
    if (body_len <= MG_EST_REQUEST_OVERHEAD)
        return 1;
    return (int64_t)((body_len - MG_EST_REQUEST_OVERHEAD + MG_EST_UNITS_PER_TOKEN - 1) / MG_EST_UNITS_PER_TOKEN);
}
