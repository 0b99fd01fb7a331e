/* err.c: the error registry's rows and the three wire shapes (GW-4). */
#include "core/err.h"
#include "core/buf.h"
#include "core/mg.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct mg_err_def defs[MG_E__COUNT] = {
    [MG_E_NONE] = {"NONE", 200, 0, 0, "", "", ""},
#define MG_ERR_ROW(name, http, retry, mmx, oai, anth, msg) [MG_E_##name] = {#name, http, retry, mmx, oai, anth, msg},
    MG_ERRORS(MG_ERR_ROW)
#undef MG_ERR_ROW
};

const struct mg_err_def *mg_err_get(enum mg_err e)
{
    if ((int)e < 0 || e >= MG_E__COUNT)
        e = MG_E_INTERNAL;
    return &defs[e];
}

/* The user-facing message: registry text, then the detail sentence. */
static void message(struct mg_buf *b, const struct mg_err_def *d, const char *detail)
{
    char msg[1024];
    if (detail != NULL && *detail != '\0')
        snprintf(msg, sizeof(msg), "%s %s", d->message, detail);
    else
        snprintf(msg, sizeof(msg), "%s", d->message);
    mg_buf_append_json_str(b, msg, strlen(msg));
}

/* The wire code of a row: its name in lower case. */
static void code_of(const struct mg_err_def *d, char *code, size_t cap)
{
    size_t i;
    for (i = 0; d->name[i] && i < cap - 1; i++)
        code[i] = (char)tolower((unsigned char)d->name[i]);
    code[i] = '\0';
}

static void render(struct mg_buf *b, enum mg_err_shape shape, enum mg_err e, const char *detail,
                   const char *request_id)
{
    const struct mg_err_def *d = mg_err_get(e);
    const char *rid = request_id ? request_id : "";
    char code[64];
    switch (shape) {
    case MG_SHAPE_PLATFORM: /* the field, when there is one, is added by mg_err_render_platform */
        code_of(d, code, sizeof(code));
        mg_buf_appendf(b, "{\"error\":{\"code\":\"%s\",\"message\":", code);
        message(b, d, detail);
        mg_buf_appendf(b, "},\"request_id\":\"%s\"}", rid);
        break;
    case MG_SHAPE_NATIVE:
        mg_buf_appendf(b, "{\"base_resp\":{\"status_code\":%d,\"status_msg\":", d->minimax_code);
        message(b, d, detail);
        mg_buf_appendf(b, "},\"request_id\":\"%s\"}", rid);
        break;
    case MG_SHAPE_OPENAI: {
        code_of(d, code, sizeof(code));
        mg_buf_append(b, "{\"error\":{\"message\":", 20);
        message(b, d, detail);
        mg_buf_appendf(b, ",\"type\":\"%s\",\"code\":\"%s\",\"minimax_code\":%d,\"request_id\":\"%s\"}}",
                       d->openai_type, code, d->minimax_code, rid);
        break;
    }
    case MG_SHAPE_ANTHROPIC:
        mg_buf_appendf(b, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":", d->anthropic_type);
        message(b, d, detail);
        mg_buf_appendf(b, ",\"code\":%d},\"request_id\":\"%s\"}", d->minimax_code, rid);
        break;
    }
}

static size_t finish(struct mg_buf *b, char *buf, size_t cap, enum mg_err_shape shape, enum mg_err e,
                     const char *request_id, const char *prefix, const char *suffix)
{
    size_t plen = strlen(prefix);
    if (b->len + 1 > cap) {
        /* Too long for the caller's buffer: drop the detail, which is the
         * only unbounded part, so the body stays valid JSON. */
        mg_buf_reset(b);
        mg_buf_append(b, prefix, plen);
        render(b, shape, e, NULL, request_id);
        mg_buf_append(b, suffix, strlen(suffix));
    }
    size_t n = MG_MIN(b->len, cap - 1);
    memcpy(buf, b->data, n);
    buf[n] = '\0';
    mg_buf_free(b);
    return n;
}

size_t mg_err_render(char *buf, size_t cap, enum mg_err_shape shape, enum mg_err e, const char *detail,
                     const char *request_id)
{
    struct mg_buf b;
    mg_buf_init(&b, 8192);
    render(&b, shape, e, detail, request_id);
    return finish(&b, buf, cap, shape, e, request_id, "", "");
}

size_t mg_err_render_sse(char *buf, size_t cap, enum mg_err_shape shape, enum mg_err e, const char *detail,
                         const char *request_id)
{
    struct mg_buf b;
    const char *prefix = shape == MG_SHAPE_ANTHROPIC ? "event: error\ndata: " : "data: ";
    mg_buf_init(&b, 8192);
    mg_buf_append(&b, prefix, strlen(prefix));
    render(&b, shape, e, detail, request_id);
    mg_buf_append(&b, "\n\n", 2);
    return finish(&b, buf, cap, shape, e, request_id, prefix, "\n\n");
}

size_t mg_err_render_platform(char *buf, size_t cap, enum mg_err e, const char *detail, const char *field,
                              const char *request_id)
{
    struct mg_buf b;
    char code[64];
    const struct mg_err_def *d = mg_err_get(e);
    if (field == NULL || *field == '\0')
        return mg_err_render(buf, cap, MG_SHAPE_PLATFORM, e, detail, request_id);
    code_of(d, code, sizeof(code));
    mg_buf_init(&b, 8192);
    mg_buf_appendf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", code);
    message(&b, d, detail);
    mg_buf_append(&b, ",\"field\":", 9);
    mg_buf_append_json_str(&b, field, strlen(field));
    mg_buf_appendf(&b, "},\"request_id\":\"%s\"}", request_id ? request_id : "");
    if (b.len + 1 > cap) { /* the detail is the unbounded part */
        mg_buf_free(&b);
        return mg_err_render_platform(buf, cap, e, NULL, NULL, request_id);
    }
    size_t n = b.len;
    memcpy(buf, b.data, n);
    buf[n] = '\0';
    mg_buf_free(&b);
    return n;
}
