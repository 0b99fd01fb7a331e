/*
 * buf.h: a growable byte buffer with a ceiling (as curl's dynbuf).  Appends
 * past the ceiling fail with MG_DECLINED and leave the buffer unchanged, so a
 * caller can answer "too large" instead of growing without bound.
 */
#ifndef MG_CORE_BUF_H
#define MG_CORE_BUF_H

#include <stddef.h>

struct mg_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* ceiling for len */
};

void mg_buf_init(struct mg_buf *b, size_t max);
void mg_buf_free(struct mg_buf *b);
void mg_buf_reset(struct mg_buf *b);
int mg_buf_append(struct mg_buf *b, const void *p, size_t n);
int mg_buf_appendf(struct mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included; bytes that are not
 * valid UTF-8 (a cut sequence, binary input) become U+FFFD. */
int mg_buf_append_json_str(struct mg_buf *b, const char *s, size_t n);

#endif
