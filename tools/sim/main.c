/*
 * maxgate-sim: a MiniMax API simulator for tests, benchmarks and demos.
 *
 * It answers every GW-1 path in MiniMax's shapes (MINIMAX-API.md, CLIENTS.md),
 * checks the upstream credential the way each region does, records what it
 * received, and misbehaves on demand (x-sim-fault header or sim-* models).
 * One event-loop thread; streams are paced with h2o timers, never sleeps.
 */
#include "core/buf.h"
#include "core/mg.h"
#include "net/http.h"
#include "sim/sim.h"

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RECORD_MAX 1000         /* requests kept for /__sim/requests */
#define RECORD_BODY_MAX 4096    /* body bytes kept per recorded request */
#define MAX_KEYS 16
#define MAX_TASKS 4096          /* video / speech tasks remembered */
#define MAX_FILES 1024
#define MAX_VOICES 256          /* custom voices listed by get_voice */
#define DEFAULT_TOKENS 8
#define MAX_TOKENS 100000       /* x-sim-tokens ceiling: bounds a stream's memory */
#define MAX_DELAYS 8            /* distinct pacing delays in use at once */

static struct {
    const char *keys[MAX_KEYS];
    size_t nkeys;
    int cn;
    int record;
    char public_url[256];
    h2o_globalconf_t gconf;
    h2o_context_t ctx;
    h2o_accept_ctx_t plain, tls;
    json_t *records;      /* array, ring by trimming the head */
    struct task {
        char id[32];
        unsigned queries;
        int fail;
        char kind;
    } tasks[MAX_TASKS];
    size_t ntasks;
    uint64_t next_id;
    struct file {
        char id[32];
        char name[128];
        char purpose[32];
        size_t bytes;
        int deleted;
    } files[MAX_FILES];
    size_t nfiles;
    struct voice {
        char id[260];
        char kind; /* 'c' cloned, 'g' designed */
        int deleted;
    } voices[MAX_VOICES];
    size_t nvoices;
    h2o_timeout_t delays[MAX_DELAYS];
    uint64_t delay_ms[MAX_DELAYS];
    size_t ndelays;
} sim;

/* A tiny valid PNG (1x1) and an MP4-looking file for downloads. */
static const uint8_t png_1x1[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49,
                                  0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
                                  0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44,
                                  0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xff, 0xff, 0x3f, 0x00, 0x05, 0xfe, 0x02,
                                  0xfe, 0xa7, 0x35, 0x81, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
                                  0xae, 0x42, 0x60, 0x82};
static const uint8_t mp4_stub[] = {0x00, 0x00, 0x00, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2',
                                   0x00, 0x00, 0x00, 0x00, 'm', 'p', '4', '2', 'i', 's', 'o', 'm'};
/* One MPEG audio frame header (MPEG-1 layer III, 128 kbit/s, 32 kHz) plus padding. */
static const uint8_t mp3_frame[] = {0xff, 0xfb, 0x90, 0x64, 0x00, 0x00, 0x00, 0x00};

static h2o_timeout_t *delay_timeout(uint64_t ms)
{
    for (size_t i = 0; i < sim.ndelays; i++)
        if (sim.delay_ms[i] == ms)
            return &sim.delays[i];
    size_t i = sim.ndelays < MAX_DELAYS ? sim.ndelays++ : MAX_DELAYS - 1;
    if (sim.delay_ms[i] != ms) {
        h2o_timeout_init(sim.ctx.loop, &sim.delays[i], ms);
        sim.delay_ms[i] = ms;
    }
    return &sim.delays[i];
}

/* ---- request helpers ---------------------------------------------------- */

enum shape { NATIVE, OPENAI, ANTHROPIC };

static enum shape shape_of(struct mg_str path)
{
    if (path.len >= 10 && memcmp(path.ptr, "/anthropic", 10) == 0)
        return ANTHROPIC;
    if (mg_str_eq(path, "/v1/chat/completions") || mg_str_eq(path, "/v1/models"))
        return OPENAI;
    return NATIVE;
}

static int64_t header_int(h2o_req_t *req, const char *name, int64_t dflt, int64_t max)
{
    struct mg_str v = mg_http_header(req, name);
    int64_t n;
    if (v.ptr == NULL || mg_parse_i64(v.ptr, v.len, &n) != MG_OK || n < 0)
        return dflt;
    return n > max ? max : n;
}

static void send_json(h2o_req_t *req, int status, struct mg_buf *b)
{
    mg_http_respond(req, status, "application/json", b->data, b->len);
    mg_buf_free(b);
}

static void send_err(h2o_req_t *req, enum shape sh, int http, int code, const char *type, const char *msg)
{
    struct mg_buf b;
    mg_buf_init(&b, 4096);
    if (sh == NATIVE)
        mg_buf_appendf(&b, "{\"base_resp\":{\"status_code\":%d,\"status_msg\":\"%s\"}}", code, msg);
    else
        mg_buf_appendf(&b,
                       "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"%s (%d)\",\"http_code\":\"%d\"},"
                       "\"request_id\":\"sim\"}",
                       type, msg, code, http);
    send_json(req, http, &b);
}

/* A JSON string of bytes that may not be UTF-8 (a binary upload): such
 * bytes are recorded as a placeholder, so the record stays valid JSON. */
static json_t *safe_string(const char *p, size_t n)
{
    json_t *s = json_stringn(p, n);
    if (s == NULL) {
        char note[64];
        snprintf(note, sizeof(note), "<%zu bytes, not UTF-8>", n);
        s = json_string(note);
    }
    return s;
}

static void record(h2o_req_t *req)
{
    json_t *o, *h;
    struct mg_str path = mg_http_path(req);
    if (!sim.record)
        return;
    o = json_object();
    h = json_object();
    for (size_t i = 0; i < req->headers.size; i++) {
        char name[128];
        h2o_header_t *hd = &req->headers.entries[i];
        size_t n = MG_MIN(hd->name->len, sizeof(name) - 1);
        for (size_t k = 0; k < n; k++)
            name[k] = (char)h2o_tolower(hd->name->base[k]);
        name[n] = '\0';
        json_object_set_new(h, name, safe_string(hd->value.base, hd->value.len));
    }
    json_object_set_new(o, "method", safe_string(req->method.base, req->method.len));
    json_object_set_new(o, "path", safe_string(path.ptr, path.len));
    json_object_set_new(o, "query", req->query_at == SIZE_MAX
                                        ? json_string("")
                                        : safe_string(req->path.base + req->query_at + 1,
                                                      req->path.len - req->query_at - 1));
    json_object_set_new(o, "headers", h);
    json_object_set_new(o, "body_len", json_integer((json_int_t)req->entity.len));
    json_object_set_new(o, "body",
                        safe_string(req->entity.base ? req->entity.base : "",
                                    MG_MIN(req->entity.len, (size_t)RECORD_BODY_MAX)));
    if (json_array_size(sim.records) >= RECORD_MAX)
        json_array_remove(sim.records, 0);
    json_array_append_new(sim.records, o);
}

/* 0 if the caller may proceed; otherwise the error was sent. */
static int check_auth(h2o_req_t *req, enum shape sh)
{
    struct mg_str bearer = mg_http_header(req, "authorization");
    struct mg_str xkey = mg_http_header(req, "x-api-key");
    struct mg_str key = MG_STR_NULL;

    if (bearer.ptr != NULL && bearer.len > 7 && strncasecmp(bearer.ptr, "Bearer ", 7) == 0)
        key = mg_str_make(bearer.ptr + 7, bearer.len - 7);
    else if (xkey.ptr != NULL) {
        if (sim.cn) { /* seed 001: the cn endpoint wants the Authorization header */
            if (sh == ANTHROPIC)
                send_err(req, sh, 500, 1033, "api_error", "system error");
            else
                send_err(req, sh, 200, 1004,
                         "authorized_error",
                         "login fail: Please carry the API secret key in the 'Authorization' field of the request header");
            return -1;
        }
        if (sh == ANTHROPIC)
            key = xkey;
    }
    if (key.ptr == NULL || key.len == 0) {
        send_err(req, sh, 401, 1004, "authorized_error",
                 "login fail: Please carry the API secret key in the 'Authorization' field of the request header");
        return -1;
    }
    if (sim.nkeys == 0)
        return 0;
    for (size_t i = 0; i < sim.nkeys; i++)
        if (mg_str_eq(key, sim.keys[i]))
            return 0;
    send_err(req, sh, 401, 2049, "authorized_error", "invalid api key");
    return -1;
}

/* ---- streams ------------------------------------------------------------- */

struct stream {
    h2o_generator_t gen; /* first: h2o hands it back to us */
    h2o_req_t *req;
    h2o_timeout_entry_t timer;
    h2o_timeout_t *pace;
    h2o_iovec_t *chunks;
    size_t n, next;
    size_t drop_at; /* SIZE_MAX = never */
    int started;
};

static void stream_send_next(struct stream *s)
{
    if (s->next == s->drop_at) {
        h2o_send(s->req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    h2o_iovec_t *c = &s->chunks[s->next++];
    h2o_send(s->req, c, 1, s->next == s->n ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void stream_on_timer(h2o_timeout_entry_t *entry)
{
    struct stream *s = H2O_STRUCT_FROM_MEMBER(struct stream, timer, entry);
    if (!s->started) {
        s->started = 1;
        h2o_start_response(s->req, &s->gen);
    }
    stream_send_next(s);
}

static void stream_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct stream *s = (struct stream *)g;
    if (s->pace != NULL)
        h2o_timeout_link(sim.ctx.loop, s->pace, &s->timer);
    else
        stream_send_next(s);
}

static void stream_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct stream *s = (struct stream *)g;
    if (h2o_timeout_is_linked(&s->timer))
        h2o_timeout_unlink(&s->timer);
}

static void stream_dispose(void *p)
{
    struct stream *s = p;
    if (h2o_timeout_is_linked(&s->timer))
        h2o_timeout_unlink(&s->timer);
}

/* Starts an SSE response of chunks (kept in req's pool), paced by the
 * request's x-sim-delay-ms, the first byte after slow_ms. */
static void stream_start(h2o_req_t *req, struct mg_buf *chunks, size_t n, size_t drop_at, int64_t slow_ms)
{
    struct stream *s = h2o_mem_alloc_shared(&req->pool, sizeof(*s), stream_dispose);
    int64_t delay = header_int(req, "x-sim-delay-ms", 0, 60000);
    memset(s, 0, sizeof(*s));
    s->gen.proceed = stream_proceed;
    s->gen.stop = stream_stop;
    s->req = req;
    s->n = n;
    s->drop_at = drop_at;
    s->timer.cb = stream_on_timer;
    s->chunks = h2o_mem_alloc_pool(&req->pool, n * sizeof(*s->chunks));
    for (size_t i = 0; i < n; i++) {
        s->chunks[i] = h2o_strdup(&req->pool, chunks[i].data, chunks[i].len);
        mg_buf_free(&chunks[i]);
    }
    s->pace = delay > 0 ? delay_timeout((uint64_t)delay) : NULL;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/event-stream"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
    if (slow_ms > 0) {
        h2o_timeout_link(sim.ctx.loop, delay_timeout((uint64_t)slow_ms), &s->timer);
        return;
    }
    s->started = 1;
    h2o_start_response(req, &s->gen);
    stream_send_next(s);
}

/* ---- chat ---------------------------------------------------------------- */

struct chat_req {
    char model[96];
    int stream;
    int64_t prompt_tokens, tokens;
    int fault_drop;
    int64_t slow_ms;
};

static const char *const words[] = {"Hello", "!", " I", " am", " a", " simulated", " MiniMax", " model", "."};

static void chat_openai(h2o_req_t *req, struct chat_req *c, int native)
{
    char id[40];
    snprintf(id, sizeof(id), "sim%016llx", (unsigned long long)++sim.next_id);
    int64_t total = c->prompt_tokens + c->tokens;
    if (!c->stream) {
        struct mg_buf b;
        mg_buf_init(&b, 1 << 20);
        mg_buf_appendf(&b, "{\"id\":\"%s\",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":\"",
                       id);
        for (int64_t i = 0; i < c->tokens; i++)
            mg_buf_appendf(&b, "%s", words[i % (int64_t)MG_ARRAY_SIZE(words)]);
        mg_buf_appendf(&b,
                       "\",\"role\":\"assistant\",\"name\":\"MiniMax AI\",\"audio_content\":\"\"}}],\"created\":1755153113,"
                       "\"model\":\"%s\",\"object\":\"chat.completion\",\"usage\":{\"total_tokens\":%lld,"
                       "\"total_characters\":0,\"prompt_tokens\":%lld,\"completion_tokens\":%lld},"
                       "\"input_sensitive\":false,\"output_sensitive\":false,\"input_sensitive_type\":0,"
                       "\"output_sensitive_type\":0,\"output_sensitive_int\":0,"
                       "\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}",
                       c->model, (long long)total, (long long)c->prompt_tokens, (long long)c->tokens);
        send_json(req, 200, &b);
        return;
    }
    size_t n = (size_t)c->tokens + 3;
    struct mg_buf *ch = mg_calloc(n, sizeof(*ch));
    size_t k = 0;
    for (int64_t i = 0; i < c->tokens; i++, k++) {
        mg_buf_init(&ch[k], 4096);
        mg_buf_appendf(&ch[k],
                       "data: {\"id\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\",\"role\":\"assistant\"},"
                       "\"finish_reason\":null}],\"created\":1755153113,\"model\":\"%s\",\"object\":\"chat.completion.chunk\","
                       "\"usage\":{\"total_tokens\":0,\"total_characters\":0}}\n\n",
                       id, words[i % (int64_t)MG_ARRAY_SIZE(words)], c->model);
    }
    mg_buf_init(&ch[k], 4096);
    mg_buf_appendf(&ch[k++],
                   "data: {\"id\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                   "\"created\":1755153113,\"model\":\"%s\",\"object\":\"chat.completion.chunk\","
                   "\"usage\":{\"total_tokens\":0,\"total_characters\":0}}\n\n",
                   id, c->model);
    mg_buf_init(&ch[k], 1 << 20);
    mg_buf_appendf(&ch[k], "data: {\"id\":\"%s\",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":\"", id);
    for (int64_t i = 0; i < c->tokens; i++)
        mg_buf_appendf(&ch[k], "%s", words[i % (int64_t)MG_ARRAY_SIZE(words)]);
    mg_buf_appendf(&ch[k++],
                   "\",\"role\":\"assistant\"}}],\"created\":1755153113,\"model\":\"%s\",\"object\":\"chat.completion\","
                   "\"usage\":{\"total_tokens\":%lld,\"total_characters\":0,\"prompt_tokens\":%lld,"
                   "\"completion_tokens\":%lld},\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\n\n",
                   c->model, (long long)total, (long long)c->prompt_tokens, (long long)c->tokens);
    mg_buf_init(&ch[k], 64);
    mg_buf_append(&ch[k++], "data: [DONE]\n\n", 14);
    (void)native;
    stream_start(req, ch, k, c->fault_drop ? (size_t)c->tokens / 2 : SIZE_MAX, c->slow_ms);
    free(ch);
}

static void chat_anthropic(h2o_req_t *req, struct chat_req *c)
{
    char id[40];
    snprintf(id, sizeof(id), "sim%016llx", (unsigned long long)++sim.next_id);
    if (!c->stream) {
        struct mg_buf b;
        mg_buf_init(&b, 1 << 20);
        mg_buf_appendf(&b,
                       "{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":["
                       "{\"type\":\"thinking\",\"thinking\":\"The user greets me.\",\"signature\":\"sim\"},"
                       "{\"type\":\"text\",\"text\":\"",
                       id, c->model);
        for (int64_t i = 0; i < c->tokens; i++)
            mg_buf_appendf(&b, "%s", words[i % (int64_t)MG_ARRAY_SIZE(words)]);
        mg_buf_appendf(&b,
                       "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":%lld,"
                       "\"output_tokens\":%lld},\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}",
                       (long long)c->prompt_tokens, (long long)c->tokens);
        send_json(req, 200, &b);
        return;
    }
    size_t n = (size_t)c->tokens + 10;
    struct mg_buf *ch = mg_calloc(n, sizeof(*ch));
    size_t k = 0;
#define ADD(...) (mg_buf_init(&ch[k], 4096), mg_buf_appendf(&ch[k++], __VA_ARGS__))
    ADD("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"%s\",\"type\":\"message\","
        "\"role\":\"assistant\",\"model\":\"%s\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":%lld,\"output_tokens\":0}}}\n\n",
        id, c->model, (long long)c->prompt_tokens);
    ADD("event: ping\ndata: {\"type\":\"ping\"}\n\n");
    ADD("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        "{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n");
    ADD("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        "{\"type\":\"thinking_delta\",\"thinking\":\"The user greets me.\"}}\n\n");
    ADD("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    ADD("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
        "{\"type\":\"text\",\"text\":\"\"}}\n\n");
    for (int64_t i = 0; i < c->tokens; i++)
        ADD("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
            "{\"type\":\"text_delta\",\"text\":\"%s\"}}\n\n",
            words[i % (int64_t)MG_ARRAY_SIZE(words)]);
    ADD("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n");
    ADD("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
        "\"stop_sequence\":null},\"usage\":{\"output_tokens\":%lld}}\n\n",
        (long long)c->tokens);
    ADD("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
#undef ADD
    stream_start(req, ch, k, c->fault_drop ? 6 + (size_t)c->tokens / 2 : SIZE_MAX, c->slow_ms);
    free(ch);
}

/* ---- other families ------------------------------------------------------ */

static void ok_json(h2o_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok_json(h2o_req_t *req, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mg_http_respond(req, 200, "application/json", buf, (size_t)MG_MIN(n, (int)sizeof(buf) - 1));
}

#define BASE_OK "\"base_resp\":{\"status_code\":0,\"status_msg\":\"success\"}"

static struct task *task_new(char kind, int fail)
{
    struct task *t = &sim.tasks[sim.ntasks++ % MAX_TASKS];
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%llu", (unsigned long long)(1760000000000000ULL + ++sim.next_id));
    t->kind = kind;
    t->fail = fail;
    return t;
}

static struct task *task_find(struct mg_str id)
{
    for (size_t i = 0; i < MG_MIN(sim.ntasks, (size_t)MAX_TASKS); i++)
        if (mg_str_eq(id, sim.tasks[i].id))
            return &sim.tasks[i];
    return NULL;
}

static struct file *file_new(const char *name, const char *purpose, size_t bytes)
{
    struct file *f = &sim.files[sim.nfiles++ % MAX_FILES];
    memset(f, 0, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "%llu", (unsigned long long)(300000000000ULL + ++sim.next_id));
    mg_strlcpy(f->name, name, sizeof(f->name));
    mg_strlcpy(f->purpose, purpose, sizeof(f->purpose));
    f->bytes = bytes;
    return f;
}

static struct file *file_find(struct mg_str id)
{
    for (size_t i = 0; i < MG_MIN(sim.nfiles, (size_t)MAX_FILES); i++)
        if (!sim.files[i].deleted && mg_str_eq(id, sim.files[i].id))
            return &sim.files[i];
    return NULL;
}

static void voice_add(const char *id, char kind)
{
    struct voice *v = &sim.voices[sim.nvoices++ % MAX_VOICES];
    mg_strlcpy(v->id, id, sizeof(v->id));
    v->kind = kind;
    v->deleted = 0;
}

/* get_voice: the system voices, then the custom ones of this (upstream) account */
static void voices_list(h2o_req_t *req)
{
    struct mg_buf b;
    mg_buf_init(&b, 1 << 20);
    mg_buf_appendf(&b, "{\"system_voice\":[{\"voice_id\":\"English_expressive_narrator\",\"voice_name\":\"Expressive "
                       "Narrator\",\"description\":[\"English\"]},{\"voice_id\":\"Chinese_calm_female\",\"voice_name\":"
                       "\"Calm Female\",\"description\":[\"Chinese\"]}]");
    for (int pass = 0; pass < 2; pass++) {
        int first = 1;
        mg_buf_appendf(&b, pass == 0 ? ",\"voice_cloning\":[" : ",\"voice_generation\":[");
        for (size_t i = 0; i < MG_MIN(sim.nvoices, (size_t)MAX_VOICES); i++) {
            struct voice *v = &sim.voices[i];
            if (v->deleted || v->kind != (pass == 0 ? 'c' : 'g'))
                continue;
            mg_buf_appendf(&b, "%s{\"voice_id\":\"%s\",\"description\":[],\"created_time\":\"2026-01-01\"}",
                           first ? "" : ",", v->id);
            first = 0;
        }
        mg_buf_appendf(&b, "]");
    }
    mg_buf_appendf(&b, ",%s}", BASE_OK);
    send_json(req, 200, &b);
}

static void speech(h2o_req_t *req, json_t *body, const char *model)
{
    json_t *text = json_object_get(body, "text");
    size_t chars = json_is_string(text) ? json_string_length(text) : 0;
    char hex[2 * sizeof(mp3_frame) * 4 + 1];
    uint8_t audio[sizeof(mp3_frame) * 4];
    for (size_t i = 0; i < 4; i++)
        memcpy(audio + i * sizeof(mp3_frame), mp3_frame, sizeof(mp3_frame));
    sim_hex(audio, sizeof(audio), hex);
    if (json_is_true(json_object_get(body, "stream"))) {
        struct mg_buf ch[3];
        char half[sizeof(hex)];
        snprintf(half, sizeof(half), "%.*s", (int)(sizeof(hex) / 2), hex);
        for (int i = 0; i < 3; i++)
            mg_buf_init(&ch[i], 8192);
        mg_buf_appendf(&ch[0], "data: {\"data\":{\"audio\":\"%s\",\"status\":1},\"trace_id\":\"sim\",%s}\n\n", half, BASE_OK);
        mg_buf_appendf(&ch[1], "data: {\"data\":{\"audio\":\"%s\",\"status\":1},\"trace_id\":\"sim\",%s}\n\n",
                       hex + sizeof(hex) / 2, BASE_OK);
        mg_buf_appendf(&ch[2],
                       "data: {\"data\":{\"audio\":\"%s\",\"status\":2},\"extra_info\":{\"audio_length\":1000,"
                       "\"audio_sample_rate\":32000,\"audio_size\":%zu,\"bitrate\":128000,\"usage_characters\":%zu,"
                       "\"audio_format\":\"mp3\",\"audio_channel\":1},\"trace_id\":\"sim\",%s}\n\n",
                       hex, sizeof(audio), chars, BASE_OK);
        stream_start(req, ch, 3, SIZE_MAX, 0);
        return;
    }
    ok_json(req,
            "{\"data\":{\"audio\":\"%s\",\"status\":2},\"extra_info\":{\"audio_length\":1000,\"audio_sample_rate\":32000,"
            "\"audio_size\":%zu,\"bitrate\":128000,\"word_count\":1,\"invisible_character_ratio\":0,"
            "\"usage_characters\":%zu,\"audio_format\":\"mp3\",\"audio_channel\":1},\"trace_id\":\"sim\",%s}",
            hex, sizeof(audio), chars, BASE_OK);
    (void)model;
}

static void image(h2o_req_t *req, json_t *body)
{
    json_int_t n = json_integer_value(json_object_get(body, "n"));
    const char *fmt = json_string_value(json_object_get(body, "response_format"));
    struct mg_buf b;
    if (n < 1 || n > 9)
        n = 1;
    mg_buf_init(&b, 1 << 16);
    mg_buf_appendf(&b, "{\"id\":\"sim%llu\",\"data\":{", (unsigned long long)++sim.next_id);
    if (fmt != NULL && strcmp(fmt, "base64") == 0) {
        static const char b64png[] =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4//8/AAX+Av6nNYGEAAAAAElFTkSuQmCC";
        mg_buf_appendf(&b, "\"image_base64\":[");
        for (json_int_t i = 0; i < n; i++)
            mg_buf_appendf(&b, "%s\"%s\"", i ? "," : "", b64png);
    } else {
        mg_buf_appendf(&b, "\"image_urls\":[");
        for (json_int_t i = 0; i < n; i++)
            mg_buf_appendf(&b, "%s\"%s/download/img/%llu.png\"", i ? "," : "", sim.public_url,
                           (unsigned long long)sim.next_id + (unsigned long long)i);
    }
    mg_buf_appendf(&b, "]},\"metadata\":{\"success_count\":\"%lld\",\"failed_count\":\"0\"},%s}", (long long)n, BASE_OK);
    send_json(req, 200, &b);
}

static void files_upload(h2o_req_t *req)
{
    struct mg_str ct = mg_http_header(req, "content-type");
    char filename[128] = "upload.bin", purpose[32];
    size_t bytes = 0;
    const char *bp = ct.ptr ? memmem(ct.ptr, ct.len, "boundary=", 9) : NULL;
    if (bp == NULL) {
        send_err(req, NATIVE, 200, 2013, "", "invalid params, expected multipart/form-data");
        return;
    }
    bp += 9;
    size_t blen = (size_t)(ct.ptr + ct.len - bp);
    if (blen > 1 && bp[0] == '"') {
        bp++;
        blen -= 2;
    }
    if (sim_multipart_scan(req->entity.base, req->entity.len, bp, blen, filename, sizeof(filename), purpose,
                           sizeof(purpose), &bytes) != 0) {
        send_err(req, NATIVE, 200, 2013, "", "invalid params, missing file");
        return;
    }
    struct file *f = file_new(filename, purpose[0] ? purpose : "retrieval", bytes);
    ok_json(req, "{\"file\":{\"file_id\":%s,\"bytes\":%zu,\"created_at\":1760000000,\"filename\":\"%s\",\"purpose\":\"%s\"},%s}",
            f->id, f->bytes, f->name, f->purpose, BASE_OK);
}

static void files_list(h2o_req_t *req)
{
    struct mg_buf b;
    int first = 1;
    mg_buf_init(&b, 1 << 20);
    mg_buf_appendf(&b, "{\"files\":[");
    for (size_t i = 0; i < MG_MIN(sim.nfiles, (size_t)MAX_FILES); i++) {
        struct file *f = &sim.files[i];
        if (f->deleted)
            continue;
        mg_buf_appendf(&b, "%s{\"file_id\":%s,\"bytes\":%zu,\"created_at\":1760000000,\"filename\":\"%s\",\"purpose\":\"%s\"}",
                       first ? "" : ",", f->id, f->bytes, f->name, f->purpose);
        first = 0;
    }
    mg_buf_appendf(&b, "],%s}", BASE_OK);
    send_json(req, 200, &b);
}

static void handle_get_query(h2o_req_t *req, struct mg_str path)
{
    struct mg_str id;
    if (mg_str_eq(path, "/v1/query/video_generation") || mg_str_eq(path, "/v1/query/t2a_async_query_v2")) {
        struct task *t;
        if (mg_http_query(req, "task_id", &id) != MG_OK || (t = task_find(id)) == NULL) {
            send_err(req, NATIVE, 200, 2013, "", "invalid params, task not found");
            return;
        }
        enum sim_video_state st = sim_video_state(++t->queries, t->fail);
        if (t->kind == 's') {
            ok_json(req, "{\"task_id\":%s,\"status\":\"%s\",\"file_id\":%s,%s}", t->id,
                    st == SIM_SUCCESS ? "success" : st == SIM_FAILED ? "failed" : "processing", t->id, BASE_OK);
            return;
        }
        if (st == SIM_SUCCESS) {
            struct file *f = file_new("video.mp4", "video_generation", sizeof(mp4_stub));
            ok_json(req, "{\"task_id\":\"%s\",\"status\":\"Success\",\"file_id\":\"%s\",\"video_width\":1366,"
                         "\"video_height\":768,%s}", t->id, f->id, BASE_OK);
        } else if (st == SIM_FAILED) {
            ok_json(req, "{\"task_id\":\"%s\",\"status\":\"Failed\",\"base_resp\":{\"status_code\":1026,"
                         "\"status_msg\":\"video generation failed: input new_sensitive\"}}", t->id);
        } else {
            ok_json(req, "{\"task_id\":\"%s\",\"status\":\"%s\",%s}", t->id, sim_video_state_name(st), BASE_OK);
        }
        return;
    }
    if (mg_str_eq(path, "/v1/files/retrieve") || mg_str_eq(path, "/v1/files/retrieve_content")) {
        struct file *f;
        if (mg_http_query(req, "file_id", &id) != MG_OK || (f = file_find(id)) == NULL) {
            send_err(req, NATIVE, 200, 2013, "", "invalid params, file not found");
            return;
        }
        if (path.len > 18) { /* retrieve_content: the bytes */
            mg_http_respond(req, 200, "application/octet-stream", (const char *)mp4_stub, sizeof(mp4_stub));
            return;
        }
        ok_json(req, "{\"file\":{\"file_id\":%s,\"bytes\":%zu,\"created_at\":1760000000,\"filename\":\"%s\","
                     "\"purpose\":\"%s\",\"download_url\":\"%s/download/file/%s\"},%s}",
                f->id, f->bytes, f->name, f->purpose, sim.public_url, f->id, BASE_OK);
        return;
    }
    if (mg_str_eq(path, "/v1/files/list")) {
        files_list(req);
        return;
    }
    if (mg_str_eq(path, "/v1/models")) {
        ok_json(req, "{\"object\":\"list\",\"data\":[{\"id\":\"MiniMax-M3\",\"object\":\"model\",\"created\":1760000000,"
                     "\"owned_by\":\"minimax\"},{\"id\":\"MiniMax-M2.7\",\"object\":\"model\",\"created\":1750000000,"
                     "\"owned_by\":\"minimax\"}]}");
        return;
    }
    if (mg_str_eq(path, "/anthropic/v1/models")) {
        ok_json(req, "{\"data\":[{\"id\":\"MiniMax-M3\",\"created_at\":\"2026-01-01T00:00:00Z\",\"display_name\":"
                     "\"MiniMax M3\",\"type\":\"model\"},{\"id\":\"MiniMax-M2.7\",\"created_at\":\"2025-06-01T00:00:00Z\","
                     "\"display_name\":\"MiniMax M2.7\",\"type\":\"model\"}],\"first_id\":\"MiniMax-M3\","
                     "\"last_id\":\"MiniMax-M2.7\",\"has_more\":false}");
        return;
    }
    if (mg_str_eq(path, "/v1/token_plan/remains")) {
        ok_json(req, "{\"model_remains\":[{\"model_name\":\"general\",\"start_time\":1760000000000,\"end_time\":"
                     "1760018000000,\"remains_time\":3600000,\"current_interval_total_count\":1500,"
                     "\"current_interval_usage_count\":1400,\"current_interval_remaining_percent\":93},"
                     "{\"model_name\":\"video\",\"start_time\":1760000000000,\"end_time\":1760086400000,\"remains_time\":"
                     "3600000,\"current_interval_total_count\":2,\"current_interval_usage_count\":2,"
                     "\"current_interval_remaining_percent\":100}],%s}", BASE_OK);
        return;
    }
    if (mg_str_eq(path, "/account/query_balance")) {
        ok_json(req, "{\"available_amount\":\"98.00\",\"cash_balance\":\"98.00\",\"voucher_balance\":\"0.00\","
                     "\"credit_balance\":\"0.00\",\"owed_amount\":\"0.00\",\"balance_alert_switch\":false,"
                     "\"balance_alert_threshold\":\"0.00\",%s}", BASE_OK);
        return;
    }
    send_err(req, NATIVE, 404, 2013, "not_found_error", "unknown path");
}

static void handle_post(h2o_req_t *req, struct mg_str path, enum shape sh)
{
    json_error_t jerr;
    json_t *body;
    const char *model;
    struct mg_str fault = mg_http_header(req, "x-sim-fault");

    if (mg_str_eq(path, "/v1/files/upload")) {
        files_upload(req);
        return;
    }
    body = json_loadb(req->entity.base ? req->entity.base : "", req->entity.len, 0, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        send_err(req, sh, 400, 2013, "invalid_request_error", "invalid params, body is not a JSON object");
        return;
    }
    model = json_string_value(json_object_get(body, "model"));
    if (model == NULL)
        model = "";
    if (mg_str_eq(fault, "429") || strcmp(model, "sim-429") == 0) {
        send_err(req, sh, 429, 1002, "rate_limit_error", "rate limit triggered");
        goto done;
    }
    if (mg_str_eq(fault, "500") || strcmp(model, "sim-500") == 0) {
        send_err(req, sh, 500, 1033, "api_error", "system error");
        goto done;
    }
    if (strncmp(model, "sim-br", 6) == 0)
        fault = mg_str_make(model + 4, strlen(model + 4));
    if (fault.len > 2 && memcmp(fault.ptr, "br", 2) == 0) { /* HTTP 200 with a business error, as MiniMax does */
        int64_t code;
        if (mg_parse_i64(fault.ptr + 2, fault.len - 2, &code) == MG_OK) {
            send_err(req, NATIVE, 200, (int)code, "", "simulated business error");
            goto done;
        }
    }
    if (mg_str_eq(path, "/v1/text/chatcompletion_v2") || mg_str_eq(path, "/v1/chat/completions") ||
        mg_str_eq(path, "/anthropic/v1/messages")) {
        struct chat_req c;
        memset(&c, 0, sizeof(c));
        mg_strlcpy(c.model, model, sizeof(c.model));
        c.stream = json_is_true(json_object_get(body, "stream"));
        c.prompt_tokens = sim_prompt_tokens(req->entity.base, req->entity.len);
        c.tokens = header_int(req, "x-sim-tokens", DEFAULT_TOKENS, MAX_TOKENS);
        c.fault_drop = mg_str_eq(fault, "drop") || strcmp(model, "sim-drop") == 0;
        if (fault.len > 5 && memcmp(fault.ptr, "slow:", 5) == 0) {
            int64_t ms;
            if (mg_parse_i64(fault.ptr + 5, fault.len - 5, &ms) == MG_OK)
                c.slow_ms = ms;
        } else if (strcmp(model, "sim-slow") == 0) {
            c.slow_ms = header_int(req, "x-sim-delay-ms", 3000, 60000);
        }
        if (c.slow_ms > 0 && !c.stream) {
            c.stream = 1; /* a slow first byte is simulated on the streaming path */
        }
        if (sh == ANTHROPIC)
            chat_anthropic(req, &c);
        else
            chat_openai(req, &c, sh == NATIVE);
    } else if (mg_str_eq(path, "/v1/t2a_v2")) {
        speech(req, body, model);
    } else if (mg_str_eq(path, "/v1/t2a_async_v2")) {
        struct task *t = task_new('s', 0);
        json_t *text = json_object_get(body, "text");
        ok_json(req, "{\"task_id\":%s,\"task_token\":\"sim\",\"file_id\":%s,\"usage_characters\":%zu,%s}", t->id, t->id,
                json_is_string(text) ? json_string_length(text) : 0, BASE_OK);
    } else if (mg_str_eq(path, "/v1/get_voice")) {
        voices_list(req);
    } else if (mg_str_eq(path, "/v1/delete_voice")) {
        const char *vid = json_string_value(json_object_get(body, "voice_id"));
        for (size_t i = 0; vid != NULL && i < MG_MIN(sim.nvoices, (size_t)MAX_VOICES); i++)
            if (strcmp(sim.voices[i].id, vid) == 0)
                sim.voices[i].deleted = 1;
        ok_json(req, "{\"voice_id\":\"%s\",\"created_time\":\"1760000000\",%s}", vid ? vid : "", BASE_OK);
    } else if (mg_str_eq(path, "/v1/voice_clone")) {
        const char *vid = json_string_value(json_object_get(body, "voice_id"));
        if (vid != NULL)
            voice_add(vid, 'c');
        ok_json(req, "{\"input_sensitive\":false,\"input_sensitive_type\":0,\"demo_audio\":\"\",%s}", BASE_OK);
    } else if (mg_str_eq(path, "/v1/voice_design")) {
        const char *vid = json_string_value(json_object_get(body, "voice_id"));
        char gen[40];
        snprintf(gen, sizeof(gen), "sim_voice_%llu", (unsigned long long)++sim.next_id);
        voice_add(vid ? vid : gen, 'g');
        ok_json(req, "{\"voice_id\":\"%s\",\"trial_audio\":\"fffb9064\",%s}", vid ? vid : gen, BASE_OK);
    } else if (mg_str_eq(path, "/v1/video_generation")) {
        const char *prompt = json_string_value(json_object_get(body, "prompt"));
        struct task *t = task_new('v', prompt != NULL && strstr(prompt, "fail") != NULL);
        ok_json(req, "{\"task_id\":\"%s\",%s}", t->id, BASE_OK);
    } else if (mg_str_eq(path, "/v1/image_generation")) {
        image(req, body);
    } else if (mg_str_eq(path, "/v1/music_generation")) {
        char hex[2 * sizeof(mp3_frame) + 1];
        sim_hex(mp3_frame, sizeof(mp3_frame), hex);
        ok_json(req, "{\"data\":{\"status\":2,\"audio\":\"%s\"},\"trace_id\":\"sim\",\"extra_info\":{\"music_duration\":"
                     "1000,\"music_sample_rate\":44100,\"music_channel\":2,\"bitrate\":256000,\"music_size\":%zu},%s}",
                hex, sizeof(mp3_frame), BASE_OK);
    } else if (mg_str_eq(path, "/v1/files/delete")) {
        json_t *fid = json_object_get(body, "file_id");
        char idbuf[32];
        struct file *f;
        if (json_is_integer(fid))
            snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(fid));
        else
            snprintf(idbuf, sizeof(idbuf), "%s", json_string_value(fid) ? json_string_value(fid) : "");
        if ((f = file_find(mg_str_make(idbuf, strlen(idbuf)))) == NULL) {
            send_err(req, NATIVE, 200, 2013, "", "invalid params, file not found");
        } else {
            f->deleted = 1;
            ok_json(req, "{\"file_id\":%s,%s}", f->id, BASE_OK);
        }
    } else {
        send_err(req, sh, 404, 2013, "not_found_error", "unknown path");
    }
done:
    json_decref(body);
}

static void handle_download(h2o_req_t *req, struct mg_str path)
{
    if (path.len > 14 && memcmp(path.ptr, "/download/img/", 14) == 0)
        mg_http_respond(req, 200, "image/png", (const char *)png_1x1, sizeof(png_1x1));
    else
        mg_http_respond(req, 200, "video/mp4", (const char *)mp4_stub, sizeof(mp4_stub));
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct mg_str path = mg_http_path(req);
    enum shape sh = shape_of(path);

    if (mg_str_eq(path, "/__sim/health")) {
        mg_http_respond(req, 200, "text/plain", "ok", 2);
        return 0;
    }
    if (mg_str_eq(path, "/__sim/requests")) {
        char *s = json_dumps(sim.records, JSON_COMPACT);
        mg_http_respond(req, 200, "application/json", s, strlen(s));
        free(s);
        return 0;
    }
    if (mg_str_eq(path, "/__sim/reset")) {
        json_array_clear(sim.records);
        mg_http_respond(req, 200, "application/json", "{}", 2);
        return 0;
    }
    if (path.len > 10 && memcmp(path.ptr, "/download/", 10) == 0) {
        record(req);
        handle_download(req, path);
        return 0;
    }
    record(req);
    if (check_auth(req, sh) != 0)
        return 0;
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        handle_post(req, path, sh);
    else
        handle_get_query(req, path);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: maxgate-sim --listen HOST:PORT [--tls-listen HOST:PORT --tls-cert PEM --tls-key PEM]\n"
                    "                   [--region global|cn] [--key KEY]... [--public-url URL] [--no-record]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},   {"tls-listen", required_argument, NULL, 't'},
        {"tls-cert", required_argument, NULL, 'c'}, {"tls-key", required_argument, NULL, 'k'},
        {"region", required_argument, NULL, 'r'},   {"key", required_argument, NULL, 'K'},
        {"public-url", required_argument, NULL, 'u'}, {"no-record", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *listen = NULL, *tls_listen = NULL, *cert = NULL, *key = NULL;
    char err[256];
    int c;
    uint16_t port = 0, tls_port = 0;

    sim.record = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen = optarg; break;
        case 't': tls_listen = optarg; break;
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'r':
            if (strcmp(optarg, "cn") != 0 && strcmp(optarg, "global") != 0) {
                fprintf(stderr, "maxgate-sim: --region must be global or cn\n");
                return 2;
            }
            sim.cn = strcmp(optarg, "cn") == 0;
            break;
        case 'K':
            if (sim.nkeys == MAX_KEYS) {
                fprintf(stderr, "maxgate-sim: at most %d --key\n", MAX_KEYS);
                return 2;
            }
            sim.keys[sim.nkeys++] = optarg;
            break;
        case 'u': mg_strlcpy(sim.public_url, optarg, sizeof(sim.public_url)); break;
        case 'n': sim.record = 0; break;
        default: usage(); return c == 'h' ? 0 : 2;
        }
    }
    if (listen == NULL || (tls_listen && (!cert || !key))) {
        usage();
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sim.records = json_array();
    h2o_config_init(&sim.gconf);
    sim.gconf.server_name = h2o_iovec_init(H2O_STRLIT("maxgate-sim"));
    sim.gconf.max_request_entity_size = 64 * 1024 * 1024; /* uploads in tests stay far below */
    h2o_hostconf_t *host = h2o_config_register_host(&sim.gconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = on_req;
    h2o_context_init(&sim.ctx, h2o_evloop_create(), &sim.gconf);

    int fd = mg_net_listen(listen, &port, err, sizeof(err));
    if (fd < 0) {
        fprintf(stderr, "maxgate-sim: %s\n", err);
        return 1;
    }
    sim.plain.ctx = &sim.ctx;
    sim.plain.hosts = sim.gconf.hosts;
    mg_net_accept_start(sim.ctx.loop, fd, &sim.plain, NULL);
    char host_only[128];
    mg_strlcpy(host_only, listen, sizeof(host_only));
    *strrchr(host_only, ':') = '\0';
    printf("maxgate-sim listening on http://%s:%u (region %s)\n", host_only, port, sim.cn ? "cn" : "global");
    if (tls_listen) {
        int tfd = mg_net_listen(tls_listen, &tls_port, err, sizeof(err));
        SSL_CTX *ssl = tfd >= 0 ? mg_net_tls_server(cert, key, err, sizeof(err)) : NULL;
        if (ssl == NULL) {
            fprintf(stderr, "maxgate-sim: %s\n", err);
            return 1;
        }
        sim.tls = sim.plain;
        sim.tls.ssl_ctx = ssl;
        mg_net_accept_start(sim.ctx.loop, tfd, &sim.tls, NULL);
        mg_strlcpy(host_only, tls_listen, sizeof(host_only));
        *strrchr(host_only, ':') = '\0';
        printf("maxgate-sim listening on https://%s:%u\n", host_only, tls_port);
        if (sim.public_url[0] == '\0')
            snprintf(sim.public_url, sizeof(sim.public_url), "https://%s:%u", host_only, tls_port);
    }
    if (sim.public_url[0] == '\0')
        snprintf(sim.public_url, sizeof(sim.public_url), "http://%s:%u", host_only, port);
    fflush(stdout);
    for (;;)
        h2o_evloop_run(sim.ctx.loop, INT32_MAX);
}
