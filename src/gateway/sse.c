/*
 * sse.c: incremental SSE parsing (WHATWG "event stream" rules, reduced to
 * what gateways need: event + data).  State survives between feeds in the
 * three buffers, so a split at any byte boundary yields the same events.
 */
#include "gateway/sse.h"
#include "core/mg.h"

#include <string.h>

#define MAX_LINE 4096 /* a field line other than data; longer ones are cut (only their start matters) */

void mg_sse_init(struct mg_sse *p, size_t max_event, mg_sse_event_cb cb, void *arg)
{
    memset(p, 0, sizeof(*p));
    p->cb = cb;
    p->arg = arg;
    mg_buf_init(&p->line, max_event + 16);
    mg_buf_init(&p->event, MAX_LINE);
    mg_buf_init(&p->data, max_event);
}

void mg_sse_free(struct mg_sse *p)
{
    mg_buf_free(&p->line);
    mg_buf_free(&p->event);
    mg_buf_free(&p->data);
}

static void dispatch(struct mg_sse *p)
{
    if (p->has_data)
        p->cb(p->arg, p->event.data ? p->event.data : "", p->event.len, p->data.data ? p->data.data : "", p->data.len,
              p->truncated);
    mg_buf_reset(&p->event);
    mg_buf_reset(&p->data);
    p->has_data = 0;
    p->truncated = 0;
}

static void on_line(struct mg_sse *p, const char *l, size_t n)
{
    const char *colon;
    size_t name_len, vlen;
    const char *v;

    if (n == 0) {
        dispatch(p);
        return;
    }
    if (l[0] == ':')
        return;
    colon = memchr(l, ':', n);
    name_len = colon ? (size_t)(colon - l) : n;
    v = colon ? colon + 1 : l + n;
    vlen = colon ? n - name_len - 1 : 0;
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (name_len == 4 && memcmp(l, "data", 4) == 0) {
        if (p->has_data && mg_buf_append(&p->data, "\n", 1) != MG_OK)
            p->truncated = 1;
        if (mg_buf_append(&p->data, v, vlen) != MG_OK)
            p->truncated = 1;
        p->has_data = 1;
    } else if (name_len == 5 && memcmp(l, "event", 5) == 0) {
        mg_buf_reset(&p->event);
        mg_buf_append(&p->event, v, MG_MIN(vlen, (size_t)MAX_LINE - 1));
    }
}

void mg_sse_feed(struct mg_sse *p, const char *bytes, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (p->after_cr) {
            p->after_cr = 0;
            if (bytes[i] == '\n') {
                i++;
                continue;
            }
        }
        /* find the next line end in this chunk: LF with memchr, then a CR before it (rare) */
        const char *lf = memchr(bytes + i, '\n', len - i);
        size_t j = lf ? (size_t)(lf - bytes) : len;
        const char *cr = memchr(bytes + i, '\r', j - i);
        if (cr != NULL)
            j = (size_t)(cr - bytes);
        if (j == len) {
            if (mg_buf_append(&p->line, bytes + i, j - i) != MG_OK)
                p->truncated = 1; /* keep the start; the rest is dropped */
            return;
        }
        if (p->line.len > 0) {
            if (mg_buf_append(&p->line, bytes + i, j - i) != MG_OK)
                p->truncated = 1;
            on_line(p, p->line.data, p->line.len);
            mg_buf_reset(&p->line);
        } else {
            on_line(p, bytes + i, j - i);
        }
        if (bytes[j] == '\r')
            p->after_cr = 1;
        i = j + 1;
    }
}
