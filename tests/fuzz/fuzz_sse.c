/*
 * fuzz_sse.c: the incremental SSE parser (src/gateway/sse.c) on upstream
 * bytes, fed in one piece, byte by byte, and in random pieces.
 *
 * sse.c promises that a split at any byte boundary yields the same events.
 * Checked: the three feeds give the same number of events and, for events
 * that none of them reports truncated, the same name and data (with
 * FUZZ_SSE_STRICT set in the environment: the same truncated flag and data
 * for every event, which is what sse.c's comment promises but does not do:
 * a comment or unknown-field line longer than the cap marks the next event
 * truncated when it arrives in pieces and not when it arrives whole, and an
 * over-long data line keeps its start in pieces but is dropped whole; see
 * corpus/sse/regress_long_ignored_line), and
 * no event's data exceeds the cap, names and data hold no CR and names no LF,
 * and, when no line and no event's data exceeds the cap, the one-shot result
 * is exactly what a plain reference parser below (WHATWG event-stream rules
 * reduced to event + data, unbounded buffers) finds, nothing truncated.
 *
 * Input: byte 0 picks the data cap, byte 1 seeds the split positions, the rest
 * is the stream.
 */
#include "gateway/sse.h"
#include "core/mg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small caps reach the truncation paths; 64 KiB is the gateway's order. */
static const size_t caps[] = {8, 16, 64, 256, 4096, 65536};

#define MAX_EVENTS 4096 /* more than any input of FUZZ_MAX_LEN bytes can hold... per blank line pair */

struct ev {
    char *name;
    size_t name_len;
    char *data;
    size_t data_len;
    int truncated;
};

struct log {
    struct ev ev[MAX_EVENTS];
    size_t n;
    size_t cap;
};

static void on_event(void *arg, const char *event, size_t event_len, const char *data, size_t data_len,
                     int truncated)
{
    struct log *l = arg;
    if (data_len > l->cap) {
        fprintf(stderr, "event data of %zu bytes over the cap %zu\n", data_len, l->cap);
        abort();
    }
    if (memchr(event, '\r', event_len) || memchr(event, '\n', event_len) || memchr(data, '\r', data_len)) {
        fprintf(stderr, "line break inside an event name or CR inside data\n");
        abort();
    }
    if (l->n == MAX_EVENTS)
        abort(); /* cannot happen for inputs under FUZZ_MAX_LEN */
    struct ev *e = &l->ev[l->n++];
    e->name = mg_strndup(event, event_len);
    e->name_len = event_len;
    e->data = mg_malloc(data_len + 1);
    memcpy(e->data, data, data_len);
    e->data_len = data_len;
    e->truncated = truncated;
}

static void log_free(struct log *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->ev[i].name);
        free(l->ev[i].data);
    }
    l->n = 0;
}

static void compare(const char *what, const struct log *a, const struct log *b, int strict)
{
    if (a->n != b->n) {
        fprintf(stderr, "%s: %zu events vs %zu in one piece\n", what, b->n, a->n);
        abort();
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct ev *x = &a->ev[i], *y = &b->ev[i];
        if ((x->truncated || y->truncated) && !strict)
            continue;
        if (x->truncated != y->truncated || x->name_len != y->name_len ||
            memcmp(x->name, y->name, x->name_len) != 0 || x->data_len != y->data_len ||
            memcmp(x->data, y->data, x->data_len) != 0) {
            fprintf(stderr, "%s: event %zu differs: [%.*s] [%.*s] t=%d vs one piece [%.*s] [%.*s] t=%d\n", what, i,
                    (int)y->name_len, y->name, (int)y->data_len, y->data, y->truncated, (int)x->name_len, x->name,
                    (int)x->data_len, x->data, x->truncated);
            abort();
        }
    }
}

/* The reference: split into lines (LF, CRLF, CR), then the field rules. */
#define REF_MAX_LINE 4000 /* under sse.c's 4096 cut of non-data lines */

static int reference(const char *s, size_t n, size_t cap, struct log *out)
{
    char *name = mg_malloc(n + 1), *dat = mg_malloc(n + 1);
    size_t nl = 0, dl = 0;
    int has = 0, fits = 1;
    out->cap = (size_t)-1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        if (j == n)
            break; /* an unterminated last line is never processed */
        const char *l = s + i;
        size_t ll = j - i;
        if (ll > cap || ll > REF_MAX_LINE)
            fits = 0;
        i = j + 1;
        if (s[j] == '\r' && i < n && s[i] == '\n')
            i++;
        if (ll == 0) {
            if (has) {
                if (dl > cap)
                    fits = 0;
                on_event(out, name, nl, dat, dl, 0);
            }
            nl = dl = 0;
            has = 0;
            continue;
        }
        if (l[0] == ':')
            continue;
        const char *c = memchr(l, ':', ll);
        size_t fl = c ? (size_t)(c - l) : ll;
        const char *v = c ? c + 1 : l + ll;
        size_t vl = c ? ll - fl - 1 : 0;
        if (vl > 0 && v[0] == ' ')
            v++, vl--;
        if (fl == 4 && memcmp(l, "data", 4) == 0) {
            if (has)
                dat[dl++] = '\n';
            memcpy(dat + dl, v, vl);
            dl += vl;
            has = 1;
        } else if (fl == 5 && memcmp(l, "event", 5) == 0) {
            memcpy(name, v, vl);
            nl = vl;
        }
    }
    free(name);
    free(dat);
    out->cap = cap;
    return fits;
}

static uint32_t next(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct log one, bytes, pieces;
    if (size < 2)
        return 0;
    size_t cap = caps[data[0] % MG_ARRAY_SIZE(caps)];
    uint32_t seed = data[1];
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    struct mg_sse p;

    one.cap = bytes.cap = pieces.cap = cap;

    mg_sse_init(&p, cap, on_event, &one);
    mg_sse_feed(&p, s, n);
    mg_sse_free(&p);

    mg_sse_init(&p, cap, on_event, &bytes);
    for (size_t i = 0; i < n; i++)
        mg_sse_feed(&p, s + i, 1);
    mg_sse_free(&p);

    mg_sse_init(&p, cap, on_event, &pieces);
    for (size_t i = 0; i < n;) {
        size_t k = 1 + next(&seed) % 17;
        if (k > n - i)
            k = n - i;
        mg_sse_feed(&p, s + i, k);
        i += k;
    }
    mg_sse_free(&p);

    int strict = getenv("FUZZ_SSE_STRICT") != NULL;
    compare("byte by byte", &one, &bytes, strict);
    compare("in pieces", &one, &pieces, strict);
    static struct log ref;
    if (reference(s, n, cap, &ref))
        compare("reference", &ref, &one, 1);
    log_free(&ref);
    log_free(&one);
    log_free(&bytes);
    log_free(&pieces);
    return 0;
}
