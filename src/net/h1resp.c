/* h1resp.c: strict HTTP/1.1 response heads and body framing (see h1resp.h). */
#include "net/h1resp.h"
#include "core/mg.h"

#include <string.h>
#include <strings.h>

static int name_is(const struct phr_header *h, const char *lname, size_t n)
{
    return h->name_len == n && strncasecmp(h->name, lname, n) == 0;
}

static void trim(const char **p, size_t *n)
{
    while (*n > 0 && (**p == ' ' || **p == '\t'))
        (*p)++, (*n)--;
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

static int parse_length(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    trim(&p, &n);
    if (n == 0 || n > 13) /* 13 digits already exceed MG_H1_MAX_LENGTH */
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > MG_H1_MAX_LENGTH)
        return -1;
    *out = v;
    return 0;
}

/* 1 if a comma-separated header value lists token (case-insensitive). */
static int lists_token(const char *p, size_t n, const char *tok, size_t tn)
{
    while (n > 0) {
        const char *comma = memchr(p, ',', n);
        size_t part = comma ? (size_t)(comma - p) : n;
        const char *q = p;
        size_t qn = part;
        trim(&q, &qn);
        if (qn == tn && strncasecmp(q, tok, tn) == 0)
            return 1;
        if (comma == NULL)
            break;
        p += part + 1;
        n -= part + 1;
    }
    return 0;
}

int mg_h1_parse_head(const char *buf, size_t len, struct mg_h1_head *h, const char **why)
{
    const char *msg;
    size_t msg_len;
    int have_length = 0, have_te = 0, conn_close = 0, conn_keep = 0;
    h->num_headers = MG_H1_MAX_HEADERS;
    int r = phr_parse_response(buf, len, &h->minor_version, &h->status, &msg, &msg_len, h->headers, &h->num_headers, 0);
    if (r == -2)
        return 0;
    if (r < 0) {
        *why = "malformed status line or headers";
        return -1;
    }
    if (h->status < 100 || h->status > 599 || h->status == 101) {
        *why = "status code out of range";
        return -1;
    }
    h->content_length = 0;
    for (size_t i = 0; i < h->num_headers; i++) {
        const struct phr_header *x = &h->headers[i];
        if (x->name == NULL) {
            *why = "folded header line";
            return -1;
        }
        if (name_is(x, "content-length", 14)) {
            uint64_t v;
            if (parse_length(x->value, x->value_len, &v) != 0 || (have_length && v != h->content_length)) {
                *why = "bad or conflicting content-length";
                return -1;
            }
            have_length = 1;
            h->content_length = v;
        } else if (name_is(x, "transfer-encoding", 17)) {
            const char *v = x->value;
            size_t vn = x->value_len;
            trim(&v, &vn);
            if (have_te || vn != 7 || strncasecmp(v, "chunked", 7) != 0) {
                *why = "transfer-encoding other than a single chunked";
                return -1;
            }
            have_te = 1;
        } else if (name_is(x, "connection", 10)) {
            conn_close |= lists_token(x->value, x->value_len, "close", 5);
            conn_keep |= lists_token(x->value, x->value_len, "keep-alive", 10);
        }
    }
    if (have_length && have_te) {
        *why = "both content-length and transfer-encoding";
        return -1;
    }
    if (h->status < 200 || h->status == 204 || h->status == 304)
        h->framing = MG_H1_NO_BODY;
    else if (have_te)
        h->framing = MG_H1_CHUNKED;
    else if (have_length)
        h->framing = MG_H1_LENGTH;
    else
        h->framing = MG_H1_TO_CLOSE;
    h->keep_alive = h->framing != MG_H1_TO_CLOSE && !conn_close && (h->minor_version >= 1 || conn_keep);
    return r;
}

void mg_h1_body_init(struct mg_h1_body *b, const struct mg_h1_head *h)
{
    memset(b, 0, sizeof(*b));
    b->framing = h->framing;
    b->left = h->content_length;
    b->chunked.consume_trailer = 1;
}

int mg_h1_body_feed(struct mg_h1_body *b, char *buf, size_t *len, size_t *extra)
{
    *extra = 0;
    switch (b->framing) {
    case MG_H1_NO_BODY:
        *extra = *len;
        *len = 0;
        return 1;
    case MG_H1_LENGTH:
        if (*len >= b->left) {
            *extra = *len - (size_t)b->left;
            *len = (size_t)b->left;
            b->left = 0;
            return 1;
        }
        b->left -= *len;
        return 0;
    case MG_H1_CHUNKED: {
        ssize_t r = phr_decode_chunked(&b->chunked, buf, len);
        if (r == -1)
            return -1;
        if (r == -2)
            return 0;
        *extra = (size_t)r;
        return 1;
    }
    case MG_H1_TO_CLOSE:
        return 0;
    }
    return -1;
}
