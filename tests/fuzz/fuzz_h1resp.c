/*
 * fuzz_h1resp.c: the upstream response reader (src/net/h1resp.c), as the
 * upstream client drives it: heads (skipping 1xx) then body framing, fed
 * the same bytes once whole and once in pieces of fuzzer-chosen sizes.
 *
 * Checks: both feeds agree on the outcome (a head or not, its status,
 * framing, length and keep-alive; the body bytes; where the body ended or
 * that it was refused; bytes after its end); a head never has a folded line, a length above the
 * ceiling, or both a length and chunked; decoded bytes never outnumber the
 * input; keep-alive never goes with a body that ends at close.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/h1resp.h"

#define MAX_INPUT 65536

struct outcome {
    int head_rc;      /* 1 head, 0 incomplete, -1 refused */
    int status, framing, keep_alive;
    uint64_t length;
    int body_rc;      /* 1 ended, 0 goes on, -1 refused */
    size_t extra;
    unsigned char body[MAX_INPUT];
    size_t body_len;
};

static void check_head(const struct mg_h1_head *h)
{
    int cl = 0, te = 0;
    if (h->status < 100 || h->status > 599 || h->status == 101)
        abort();
    for (size_t i = 0; i < h->num_headers; i++) {
        if (h->headers[i].name == NULL)
            abort();
        cl |= h->headers[i].name_len == 14 && strncasecmp(h->headers[i].name, "content-length", 14) == 0;
        te |= h->headers[i].name_len == 17 && strncasecmp(h->headers[i].name, "transfer-encoding", 17) == 0;
    }
    if (cl && te)
        abort();
    if (h->framing == MG_H1_LENGTH && h->content_length > MG_H1_MAX_LENGTH)
        abort();
    if (h->framing == MG_H1_TO_CLOSE && h->keep_alive)
        abort();
}

/* Feeds data in pieces: sizes[] cycles (0 = everything at once). */
static void run(const unsigned char *data, size_t n, const uint8_t *sizes, size_t nsizes, struct outcome *o)
{
    static char buf[MAX_INPUT];
    size_t have = 0, fed = 0, k = 0;
    struct mg_h1_head h;
    struct mg_h1_body b;
    int in_body = 0;
    memset(o, 0, offsetof(struct outcome, body));
    o->body_len = 0;
    while (fed < n || (have > 0 && !in_body)) {
        size_t piece = nsizes ? (size_t)sizes[k++ % nsizes] + 1 : n;
        if (piece > n - fed)
            piece = n - fed;
        memcpy(buf + have, data + fed, piece);
        have += piece;
        fed += piece;
        while (!in_body) {
            const char *why = NULL;
            int r = mg_h1_parse_head(buf, have, &h, &why);
            if (r < 0) {
                if (why == NULL)
                    abort();
                o->head_rc = -1;
                return;
            }
            if (r == 0) {
                if (have > MG_H1_MAX_HEAD) {
                    o->head_rc = -1;
                    return;
                }
                break;
            }
            check_head(&h);
            memmove(buf, buf + r, have - (size_t)r);
            have -= (size_t)r;
            if (h.status < 200)
                continue;
            o->head_rc = 1;
            o->status = h.status;
            o->framing = h.framing;
            o->keep_alive = h.keep_alive;
            o->length = h.content_length;
            mg_h1_body_init(&b, &h);
            in_body = 1;
        }
        if (!in_body) {
            if (piece == 0)
                break;
            continue;
        }
        if (have == 0 && h.framing != MG_H1_NO_BODY && fed < n)
            continue;
        size_t len = have, extra = 0, total = have;
        int rc = mg_h1_body_feed(&b, buf, &len, &extra);
        if (len > total || extra > total)
            abort();
        memcpy(o->body + o->body_len, buf, len);
        o->body_len += len;
        have = 0;
        if (rc != 0) {
            o->body_rc = rc;
            o->extra = rc > 0 ? extra : 0;
            return;
        }
        if (fed >= n)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct outcome whole, split;
    if (size < 1 || size > MAX_INPUT)
        return 0;
    size_t nsizes = (size_t)(data[0] % 8) + 1;
    if (size < 1 + nsizes)
        return 0;
    const uint8_t *sizes = data + 1;
    const unsigned char *wire = data + 1 + nsizes;
    size_t n = size - 1 - nsizes;
    run(wire, n, NULL, 0, &whole);
    run(wire, n, sizes, nsizes, &split);
    if (whole.head_rc != split.head_rc) {
        fprintf(stderr, "head outcome differs: whole %d, split %d\n", whole.head_rc, split.head_rc);
        abort();
    }
    if (whole.head_rc != 1)
        return 0;
    if (whole.status != split.status || whole.framing != split.framing || whole.keep_alive != split.keep_alive ||
        whole.length != split.length) {
        fprintf(stderr, "head differs\n");
        abort();
    }
    if (whole.body_len > n)
        abort();
    if (whole.body_rc != split.body_rc) {
        fprintf(stderr, "body outcome differs: whole %d, split %d\n", whole.body_rc, split.body_rc);
        abort();
    }
    /* bytes decoded before a refusal may stop at different points; otherwise
     * equal.  Bytes after the end: a piece holds at most what the whole had
     * (the rest arrives on the then idle connection, which closes on it). */
    if (whole.body_rc >= 0 && (whole.body_len != split.body_len || memcmp(whole.body, split.body, whole.body_len) != 0 ||
                               split.extra > whole.extra)) {
        fprintf(stderr, "body differs: whole %zu bytes, split %zu\n", whole.body_len, split.body_len);
        abort();
    }
    return 0;
}
