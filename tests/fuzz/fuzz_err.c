/*
 * fuzz_err.c: mg_err_render / mg_err_render_sse with arbitrary details.
 *
 * Contract checked (err.h): the result fits the caller's buffer, is
 * NUL-terminated at the returned length, and is one JSON object that jansson
 * accepts (for the SSE form: the data line of one "event: error" frame), in
 * the shape asked for, whose message starts with the registry's message.
 *
 * Input: byte 0 picks the shape and the SSE form, byte 1 the error, byte 2
 * the buffer size and where the detail comes from; the rest is the detail.
 * Detail sources:
 *   raw      the bytes as given, cut at the first NUL
 *   utf8     the bytes with every invalid UTF-8 sequence replaced by '?':
 *            what a caller that builds details from text should pass
 *   jansson  the bytes parsed as a request body; on a parse error the detail
 *            the gateway builds from jansson's error text ("At line ...").
 *
 * The message may be cut to fit (err.c joins message and detail in a 1 KiB
 * buffer) and JSON string output writes U+FFFD for every byte that does not
 * start a valid UTF-8 sequence (buf.h: a cut character, binary input).  So
 * what follows the registry's message must be a prefix of the detail as JSON
 * writes it, possibly ending in one U+FFFD per byte of a character that the
 * cut split.  Seeds corpus/err/regress_json_cut_utf8 (jansson's error text
 * quotes half a character of the client's body) and regress_msg_cut_1024 (a
 * long detail cut inside a character) are the two findings that led to that
 * rule.
 *
 * Raw details are checked only when FUZZ_ERR_RAW is set in the environment:
 * callers build details from text, and the raw source spends most runs on
 * binary input that the utf8 source already covers.
 */
#include "core/err.h"
#include "core/mg.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sizes callers use: the gateway's ERR_BODY_MAX (2048), and sizes around
 * the 1 KiB message buffer inside err.c.  err.h promises that 512 fits the
 * fixed part (the longest, UPSTREAM_TLS in the OpenAI shape as an SSE frame
 * with a 32-char request id, is 290 bytes); set FUZZ_ERR_SMALL to fuzz 256,
 * below that promise, as well. */
static const size_t caps[] = {512, 600, 1000, 1024, 1100, 1500, 2048, 4096};

#define SSE_HEAD "event: error\ndata: "
#define SSE_TAIL "\n\n"
#define DETAIL_MAX 8192 /* a bound on the harness's own buffers, above FUZZ_MAX_LEN */
#define FFFD "\xef\xbf\xbd" /* U+FFFD REPLACEMENT CHARACTER in UTF-8 */

/* Length of the valid UTF-8 sequence at s, or 0 (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void make_utf8(const unsigned char *in, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n && in[i] != 0) {
        size_t l = utf8_seq(in + i, n - i);
        if (l == 0) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, in + i, l);
        o += l;
        i += l;
    }
    out[o] = '\0';
}

/* s as a JSON string writes it (buf.h): valid UTF-8 sequences as they are,
 * U+FFFD for each byte that does not start one. */
static void as_written(const char *s, char *out)
{
    size_t n = strlen(s), i = 0, o = 0;
    while (i < n) {
        size_t l = utf8_seq((const unsigned char *)s + i, n - i);
        if (l == 0) {
            memcpy(out + o, FFFD, 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, s + i, l);
        o += l;
        i += l;
    }
    out[o] = '\0';
}

/* Whether tail (what follows "message ") is the written detail w, whole or
 * cut: a prefix of w, or a prefix of w that ends before a character of l
 * bytes followed by k < l U+FFFDs (the cut kept k of its bytes). */
static int is_written_prefix(const char *tail, const char *w)
{
    size_t tl = strlen(tail);
    if (strncmp(w, tail, tl) == 0)
        return 1;
    for (size_t k = 1; k <= 3 && 3 * k <= tl; k++) {
        size_t pl = tl - 3 * k;
        if (memcmp(tail + pl, FFFD, 3) != 0)
            return 0;
        if (strncmp(w, tail, pl) == 0 && utf8_seq((const unsigned char *)w + pl, strlen(w + pl)) > k)
            return 1;
    }
    return 0;
}

static const char *message_of(json_t *doc, enum mg_err_shape shape)
{
    switch (shape) {
    case MG_SHAPE_NATIVE:
        return json_string_value(json_object_get(json_object_get(doc, "base_resp"), "status_msg"));
    case MG_SHAPE_OPENAI:
        return json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    case MG_SHAPE_ANTHROPIC:
    case MG_SHAPE_PLATFORM:
        return json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    }
    return NULL;
}

static void check(const char *buf, size_t n, size_t cap, int sse, enum mg_err_shape shape, enum mg_err e,
                  const char *detail, const char *rid)
{
    const struct mg_err_def *d = mg_err_get(e);
    json_error_t jerr;
    const char *js = buf;
    size_t jl = n;

    if (n >= cap || buf[n] != '\0' || strlen(buf) != n) {
        fprintf(stderr, "length contract broken: n=%zu cap=%zu strlen=%zu\n", n, cap, strlen(buf));
        abort();
    }
    if (sse) {
        /* Anthropic streams name their events; native and OpenAI ones do not */
        const char *head = shape == MG_SHAPE_ANTHROPIC ? SSE_HEAD : "data: ";
        size_t hl = strlen(head), tl = strlen(SSE_TAIL);
        if (n < hl + tl || memcmp(buf, head, hl) != 0 || memcmp(buf + n - tl, SSE_TAIL, tl) != 0) {
            fprintf(stderr, "not one SSE error frame: [%s]\n", buf);
            abort();
        }
        js = buf + hl;
        jl = n - hl - tl;
        if (memchr(js, '\n', jl) != NULL || memchr(js, '\r', jl) != NULL) {
            fprintf(stderr, "line break inside the data line: [%s]\n", buf);
            abort();
        }
    }
    json_t *doc = json_loadb(js, jl, 0, &jerr);
    if (!json_is_object(doc)) {
        fprintf(stderr, "not a JSON object (%s at %d) for cap %zu detail [%s]: [%s]\n", jerr.text, jerr.position,
                cap, detail ? detail : "(null)", buf);
        abort();
    }
    const char *msg = message_of(doc, shape);
    if (msg == NULL || strncmp(msg, d->message, strlen(d->message)) != 0) {
        fprintf(stderr, "message missing or not the registry's: [%s]\n", buf);
        abort();
    }
    /* The detail may be dropped or cut to fit, but what is there must be the
     * detail as JSON writes it. */
    static char written[DETAIL_MAX * 3 + 16];
    size_t ml = strlen(d->message);
    if (msg[ml] != '\0') {
        if (detail != NULL)
            as_written(detail, written);
        if (detail == NULL || msg[ml] != ' ' || !is_written_prefix(msg + ml + 1, written)) {
            fprintf(stderr, "message tail is not a prefix of the detail as written: [%s]\n", msg);
            abort();
        }
    }
    if (rid != NULL && strstr(buf, rid) == NULL) {
        fprintf(stderr, "request id dropped: [%s]\n", buf);
        abort();
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char detail[DETAIL_MAX * 2 + 256];
    static char out[8192];
    static const char rid[] = "0123456789abcdef0123456789abcdef"; /* the gateway's form: 32 hex digits */

    if (size < 3 || size > DETAIL_MAX)
        return 0;
    enum mg_err_shape shape = (enum mg_err_shape)(data[0] % 4);
    int sse = (data[0] >> 2) & 1;
    int no_rid = (data[0] >> 3) & 1;
    enum mg_err e = (enum mg_err)(1 + data[1] % (MG_E__COUNT - 1));
    size_t cap = caps[data[2] % MG_ARRAY_SIZE(caps)];
    if ((data[2] & 0x80) && getenv("FUZZ_ERR_SMALL") != NULL)
        cap = 256;
    int source = (data[2] >> 3) % 3;
    const uint8_t *p = data + 3;
    size_t n = size - 3;
    const char *det = detail;

    switch (source) {
    case 0: /* raw */
        if (getenv("FUZZ_ERR_RAW") == NULL)
            return 0;
        memcpy(detail, p, n);
        detail[n] = '\0';
        break;
    case 1:
        make_utf8(p, n, detail);
        break;
    default: {
        json_error_t jerr;
        json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
        if (j != NULL) {
            json_decref(j);
            det = NULL;
        } else {
            /* exactly as relay.c builds it for MG_E_JSON_MALFORMED */
            char buf[512];
            snprintf(buf, sizeof(buf), "At line %d, column %d: %s.", jerr.line, jerr.column, jerr.text);
            snprintf(detail, sizeof(detail), "%s", buf);
            e = MG_E_JSON_MALFORMED;
            cap = 2048;
        }
    }
    }
    size_t len = sse ? mg_err_render_sse(out, cap, shape, e, det, no_rid ? NULL : rid)
                     : mg_err_render(out, cap, shape, e, det, no_rid ? NULL : rid);
    check(out, len, cap, sse, shape, e, det, no_rid ? NULL : rid);
    return 0;
}
