/*
 * relay.c: the request lifecycle of the gateway (docs/architecture.md,
 * "Request flow").
 *
 *   on_req -> route -> credential -> key checks -> body checks
 *          -> [owner check on the pool] -> upstream (h2o http1client)
 *          -> response: whole (bounded) or streamed through the SSE parser
 *          -> [owner record on the pool] -> usage event -> access log
 *
 * Lifetimes.  A struct relay is a shared allocation linked to the request's
 * pool; a second small allocation (the sentinel) tells the relay when h2o
 * frees the request, so work that comes back later (a pool job, a timer)
 * finds relay->req == NULL and only releases its reference.
 *
 * Billing.  Exactly one usage event per billed response, recorded before the
 * last byte goes to the client (BL-2); a client that disconnects mid-stream is
 * billed for the usage the stream carried so far.
 */
#include "gateway/gateway.h"
#include "core/apikey.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mg.h"
#include "gateway/routes.h"
#include "gateway/sse.h"
#include "gateway/usage.h"
#include "net/http.h"

#include <jansson.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_CHANNELS 64          /* per gateway; far beyond a reseller's upstream accounts */
#define REQUEST_ID_BYTES 16      /* 128 bits, hex on the wire */
#define MAX_RESOURCE_ID 128      /* task/file/voice ids are short numbers or names */
#define ERR_BODY_MAX 2048
#define BILLED_VIDEOS 4096       /* recent video tasks already billed by this node (the DB dedups across restarts) */

struct channel {
    struct mg_channel_spec spec;
    h2o_url_t url;
    SSL_CTX *ssl;                /* https only: verifies the chain and this channel's host name */
    char *auth_header;           /* "authorization: Bearer <key>\r\n" */
    size_t auth_header_len;
    _Atomic int64_t cool_until_ms;
};

struct mg_gateway {
    struct mg_gateway_config cfg;
    struct channel *ch;
    size_t nch;
    struct mg_keycache *keys;
    struct mg_meter *meter;
    struct mg_pool *pool;
    const struct mg_price_table *prices;
    uint8_t secret[64];
    size_t secret_len;
    h2o_handler_t *handler;
    _Atomic size_t inflight;
    _Atomic int draining;
    pthread_mutex_t billed_lock;
    char billed[BILLED_VIDEOS][MAX_RESOURCE_ID];
    size_t billed_next;
};

struct gw_handler {
    h2o_handler_t super;
    struct mg_gateway *gw;
};

/* Per loop thread. */
struct gw_thread {
    struct mg_gateway *gw;
    h2o_context_t *ctx;
    h2o_http1client_ctx_t client_ctx[MAX_CHANNELS]; /* one per channel: each has its own TLS context */
    h2o_timeout_t io_timeout, connect_timeout, first_byte_timeout;
    h2o_socketpool_t pools[MAX_CHANNELS];
    struct mg_pool_loop *pl;
};

enum job_kind { JOB_OWNER_GET, JOB_OWNER_PUT, JOB_OWNER_DELETE };

struct relay {
    h2o_generator_t gen;
    h2o_req_t *req;              /* NULL once h2o freed the request */
    struct gw_thread *t;
    struct mg_gateway *gw;
    const struct mg_route *route;
    char request_id[2 * REQUEST_ID_BYTES + 1];
    struct mg_key_record key;
    int authed;
    json_t *body;
    char model[96];
    /* upstream */
    h2o_http1client_t *client;
    h2o_iovec_t upbufs[2];
    size_t channel;
    int attempt;
    uint64_t tried;              /* bit per channel */
    h2o_timeout_entry_t timer;   /* connect, then first-byte deadline */
    int upstream_status;
    int streaming;
    int response_started;
    int upstream_failed;         /* mid-stream error */
    int finished;                /* access log written */
    h2o_buffer_t *leftover;      /* upstream bytes after the client detached */
    h2o_doublebuffer_t sending;
    struct mg_sse sse;
    int sse_init;
    /* billing */
    struct mg_usage_event ev;
    int usage_seen;
    int billed;
    /* timing */
    int64_t t0_us, ttfb_us;
    const char *error;
    /* pool job */
    struct mg_job job;
    enum job_kind job_kind;
    enum mg_owned_kind job_owned;  /* the kind of resource the job is about */
    char res_id[MAX_RESOURCE_ID];
    char job_id[MAX_RESOURCE_ID];  /* the id the job is about (res_id, or a granted resource) */
    int64_t owner_account;
    char owner_model[96];
    int job_rc;
    /* a finished non-streamed response waiting for its owner record */
    h2o_iovec_t held_body;
};

static int start_upstream(struct relay *rl);
static void finish(struct relay *rl, int status);
static enum mg_err upstream_error(const char *errstr);
static void on_first_byte_timeout(h2o_timeout_entry_t *entry);

/* ---- small helpers -------------------------------------------------------- */

/* Request ids must be unique, not secret: a random 64-bit prefix per loop
 * thread and a counter (no getrandom(2) per request). */
static void gen_request_id(char out[2 * REQUEST_ID_BYTES + 1])
{
    static __thread uint64_t prefix, counter;
    uint8_t b[REQUEST_ID_BYTES];
    if (prefix == 0)
        mg_random(&prefix, sizeof(prefix));
    uint64_t n = ++counter;
    memcpy(b, &prefix, 8);
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(n >> (56 - 8 * i));
    sodium_bin2hex(out, 2 * REQUEST_ID_BYTES + 1, b, sizeof(b));
}

static enum mg_err_shape shape_of(struct relay *rl)
{
    if (rl->route != NULL)
        return rl->route->shape;
    struct mg_str p = mg_http_path(rl->req);
    return mg_route_shape_for(p.ptr, p.len);
}

static void send_error(struct relay *rl, enum mg_err e, const char *detail)
{
    char body[ERR_BODY_MAX];
    const struct mg_err_def *d = mg_err_get(e);
    h2o_req_t *req = rl->req;
    size_t n = mg_err_render(body, sizeof(body), shape_of(rl), e, detail, rl->request_id);
    rl->error = d->name;
    if (e == MG_E_RATE_LIMITED || e == MG_E_CAP_REACHED || e == MG_E_OVERLOADED || e == MG_E_SHUTTING_DOWN)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
    finish(rl, d->http_status);
    mg_http_respond(req, d->http_status, "application/json", body, n);
}

/* The access log line and metrics, once per request. */
static void finish(struct relay *rl, int status)
{
    if (rl->finished)
        return;
    rl->finished = 1;
    int64_t lat = mg_monotonic_us() - rl->t0_us;
    struct mg_str path = rl->req ? mg_http_path(rl->req) : MG_STR_LIT("");
    char pathbuf[256];
    snprintf(pathbuf, sizeof(pathbuf), "%.*s", (int)MG_MIN(path.len, sizeof(pathbuf) - 1), path.ptr);
    struct mg_access_entry a = {
        .request_id = rl->request_id,
        .method = rl->route ? rl->route->method : NULL,
        .path = pathbuf,
        .route = rl->route ? rl->route->name : "unknown",
        .key_public_id = rl->authed ? rl->key.public_id : NULL,
        .account_id = rl->authed ? rl->key.account_id : 0,
        .region = rl->authed ? mg_region_name(rl->key.region) : NULL,
        .model = rl->model[0] ? rl->model : NULL,
        .channel = rl->upstream_status ? rl->gw->ch[rl->channel].spec.name : NULL,
        .error = rl->error,
        .status = status,
        .upstream_status = rl->upstream_status,
        .streamed = rl->streaming,
        .latency_us = lat,
        .ttfb_us = rl->ttfb_us,
        .input_tokens = rl->ev.input_tokens,
        .output_tokens = rl->ev.output_tokens,
        .characters = rl->ev.characters,
        .images = rl->ev.images,
        .videos = rl->ev.videos,
        .tracks = rl->ev.tracks,
        .cost_micros = rl->ev.cost_micros,
    };
    mg_log_access(&a);
    mg_metrics_request(rl->route ? rl->route->name : "unknown", status, lat, rl->ttfb_us);
}

/* ---- billing ---------------------------------------------------------------- */

static int video_already_billed(struct mg_gateway *gw, const char *task_id)
{
    int found = 0;
    pthread_mutex_lock(&gw->billed_lock);
    for (size_t i = 0; i < BILLED_VIDEOS && !found; i++)
        found = strcmp(gw->billed[i], task_id) == 0;
    if (!found) {
        mg_strlcpy(gw->billed[gw->billed_next], task_id, MAX_RESOURCE_ID);
        gw->billed_next = (gw->billed_next + 1) % BILLED_VIDEOS;
    }
    pthread_mutex_unlock(&gw->billed_lock);
    return found;
}

/* Records the usage event if the response carried billable units; once. */
static void bill(struct relay *rl, int status)
{
    struct mg_usage_event *ev = &rl->ev;
    if (rl->billed || !rl->usage_seen)
        return;
    rl->billed = 1;
    if (rl->route->usage == MG_USAGE_VIDEO) {
        /* One event per task, whoever queries it how often: keyed by task id. */
        if (video_already_billed(rl->gw, rl->res_id))
            return;
        snprintf(ev->request_id, sizeof(ev->request_id), "video-%.33s", rl->res_id);
        mg_strlcpy(ev->model, rl->owner_model[0] ? rl->owner_model : "MiniMax-Hailuo-2.3", sizeof(ev->model));
    } else {
        mg_strlcpy(ev->request_id, rl->request_id, sizeof(ev->request_id));
        mg_strlcpy(ev->model, rl->model, sizeof(ev->model));
    }
    ev->ts_ms = mg_now_ms();
    ev->account_id = rl->key.account_id;
    ev->key_id = rl->key.id;
    mg_strlcpy(ev->key_public_id, rl->key.public_id, sizeof(ev->key_public_id));
    mg_strlcpy(ev->service, mg_service_name(rl->route->service), sizeof(ev->service));
    mg_strlcpy(ev->route, rl->route->path, sizeof(ev->route));
    ev->http_status = status;
    ev->cost_micros = mg_prices_cost(rl->gw->prices, ev, rl->gw->cfg.ratio_ppm);
    mg_meter_record(rl->gw->meter, ev);
}

/* ---- lifetimes ---------------------------------------------------------------- */

struct sentinel {
    struct relay *rl;
};

static void on_req_gone(void *p)
{
    struct sentinel *s = p;
    struct relay *rl = s->rl;
    /* A client that went away mid-stream is still billed for what it got. */
    if (rl->authed && rl->route && !rl->billed && rl->usage_seen)
        bill(rl, 499);
    if (!rl->finished)
        finish(rl, 499);
    if (rl->client != NULL) {
        h2o_http1client_cancel(rl->client);
        rl->client = NULL;
    }
    if (h2o_timeout_is_linked(&rl->timer))
        h2o_timeout_unlink(&rl->timer);
    rl->req = NULL;
    atomic_fetch_sub(&rl->gw->inflight, 1);
    mg_metrics_inflight(-1);
    h2o_mem_release_shared(rl);
}

static void relay_dispose(void *p)
{
    struct relay *rl = p;
    json_decref(rl->body);
    if (rl->sse_init)
        mg_sse_free(&rl->sse);
    if (rl->leftover != NULL)
        h2o_buffer_dispose(&rl->leftover);
    h2o_doublebuffer_dispose(&rl->sending);
}

/* ---- pool jobs: resource ownership (GW-6) ------------------------------------- */

static void job_run(struct mg_job *job, struct mg_store *s)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, job, job);
    enum mg_owned_kind kind = rl->job_owned;
    if (s == NULL) {
        rl->job_rc = MG_ERR;
        return;
    }
    switch (rl->job_kind) {
    case JOB_OWNER_GET:
        rl->job_rc = s->ops->owner_get(s, kind, rl->job_id, &rl->owner_account, rl->owner_model,
                                       sizeof(rl->owner_model));
        break;
    case JOB_OWNER_PUT:
        rl->job_rc = s->ops->owner_put(s, kind, rl->job_id, rl->key.account_id, rl->model);
        break;
    case JOB_OWNER_DELETE:
        rl->job_rc = s->ops->owner_delete(s, kind, rl->job_id);
        break;
    }
}

static void send_held(struct relay *rl);
static void forward(struct relay *rl);

static void job_done(struct mg_job *job)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, job, job);
    if (rl->req == NULL) {
        h2o_mem_release_shared(rl);
        return;
    }
    switch (rl->job_kind) {
    case JOB_OWNER_GET:
        if (rl->job_rc == MG_ERR)
            send_error(rl, MG_E_INTERNAL, NULL);
        else if (rl->job_rc != MG_OK || rl->owner_account != rl->key.account_id)
            send_error(rl, MG_E_RESOURCE_NOT_FOUND, NULL); /* someone else's is as unknown as none (GW-6) */
        else
            forward(rl);
        break;
    case JOB_OWNER_PUT:
    case JOB_OWNER_DELETE:
        if (rl->job_rc == MG_ERR)
            mg_log(MG_LOG_ERROR, "request %s: could not record resource ownership", rl->request_id);
        send_held(rl);
        break;
    }
    h2o_mem_release_shared(rl);
}

static int submit(struct relay *rl, enum job_kind kind, enum mg_owned_kind owned, const char *id)
{
    rl->job_kind = kind;
    rl->job_owned = owned;
    mg_strlcpy(rl->job_id, id, sizeof(rl->job_id));
    rl->job.run = job_run;
    rl->job.done = job_done;
    h2o_mem_addref_shared(rl);
    if (mg_pool_submit(rl->t->pl, &rl->job) != MG_OK) {
        h2o_mem_release_shared(rl);
        return MG_AGAIN;
    }
    return MG_OK;
}

/* ---- the response -------------------------------------------------------------- */

/* Response headers from upstream, minus hop-by-hop and length/encoding ones. */
static void copy_headers(struct relay *rl, h2o_header_t *headers, size_t n)
{
    h2o_req_t *req = rl->req;
    for (size_t i = 0; i < n; i++) {
        h2o_iovec_t *name = headers[i].name;
        if (h2o_iovec_is_token(name)) {
            const h2o_token_t *tok = (const h2o_token_t *)name;
            if (tok->proxy_should_drop_for_res || tok == H2O_TOKEN_CONTENT_LENGTH || tok == H2O_TOKEN_TRANSFER_ENCODING ||
                tok == H2O_TOKEN_CONNECTION || tok == H2O_TOKEN_SET_COOKIE || tok == H2O_TOKEN_SERVER)
                continue;
            h2o_iovec_t v = h2o_strdup(&req->pool, headers[i].value.base, headers[i].value.len);
            h2o_add_header(&req->pool, &req->res.headers, tok, NULL, v.base, v.len);
        } else {
            if (h2o_lcstris(name->base, name->len, H2O_STRLIT("x-request-id")))
                continue;
            h2o_iovec_t nm = h2o_strdup(&req->pool, name->base, name->len);
            h2o_iovec_t v = h2o_strdup(&req->pool, headers[i].value.base, headers[i].value.len);
            h2o_add_header_by_str(&req->pool, &req->res.headers, nm.base, nm.len, 0, NULL, v.base, v.len);
        }
    }
}

static void on_sse_event(void *arg, const char *event, size_t elen, const char *data, size_t dlen, int truncated)
{
    struct relay *rl = arg;
    json_t *doc;
    if (truncated || !mg_usage_frame_may_matter(rl->route->usage, data, dlen))
        return;
    if ((doc = json_loadb(data, dlen, 0, NULL)) == NULL)
        return;
    if (mg_usage_extract(rl->route->usage, doc, &rl->ev))
        rl->usage_seen = 1;
    json_decref(doc);
}

static void stream_send(struct relay *rl)
{
    h2o_iovec_t vecs[2];
    size_t n = 0;
    int eos;
    h2o_buffer_t **src = rl->client != NULL ? &rl->client->sock->input : &rl->leftover;

    vecs[0] = h2o_doublebuffer_prepare(&rl->sending, src, rl->req->preferred_chunk_size);
    eos = rl->client == NULL && vecs[0].len == rl->sending.buf->size && rl->leftover->size == 0;
    if (vecs[0].len != 0) {
        mg_sse_feed(&rl->sse, vecs[0].base, vecs[0].len);
        n = 1;
    } else if (!eos) {
        return;
    }
    if (eos) {
        if (rl->upstream_failed) {
            char buf[ERR_BODY_MAX];
            size_t len;
            if (rl->route->shape == MG_SHAPE_ANTHROPIC)
                len = mg_err_render_sse(buf, sizeof(buf), MG_SHAPE_ANTHROPIC, MG_E_UPSTREAM_STREAM_BROKEN, NULL,
                                        rl->request_id);
            else { /* OpenAI-style streams have no named events: a data frame with the error object */
                char body[ERR_BODY_MAX - 16];
                size_t bl = mg_err_render(body, sizeof(body), rl->route->shape, MG_E_UPSTREAM_STREAM_BROKEN, NULL,
                                          rl->request_id);
                len = (size_t)snprintf(buf, sizeof(buf), "data: %.*s\n\n", (int)bl, body);
            }
            vecs[n++] = h2o_strdup(&rl->req->pool, buf, len);
            rl->error = mg_err_get(MG_E_UPSTREAM_STREAM_BROKEN)->name;
        }
        bill(rl, rl->upstream_status);
        finish(rl, rl->upstream_status);
    }
    h2o_send(rl->req, vecs, n, eos ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void stream_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct relay *rl = (struct relay *)g;
    h2o_doublebuffer_consume(&rl->sending);
    stream_send(rl);
}

static void stream_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct relay *rl = (struct relay *)g;
    if (rl->client != NULL) {
        h2o_http1client_cancel(rl->client);
        rl->client = NULL;
    }
}

static int on_body_stream(h2o_http1client_t *client, const char *errstr)
{
    struct relay *rl = client->data;
    if (errstr != NULL) {
        if (errstr != h2o_http1client_error_is_eos) {
            rl->upstream_failed = 1;
            mg_log(MG_LOG_WARN, "request %s: upstream stream broke: %s", rl->request_id, errstr);
        }
        h2o_buffer_dispose(&rl->leftover);
        rl->leftover = client->sock->input;
        h2o_buffer_init(&client->sock->input, &h2o_socket_buffer_prototype);
        rl->client = NULL;
    }
    if (rl->sending.bytes_inflight == 0)
        stream_send(rl);
    return 0;
}

/* Sends the complete non-streamed response kept in held_body. */
static void send_held(struct relay *rl)
{
    static h2o_generator_t generator = {NULL, NULL};
    bill(rl, rl->upstream_status);
    finish(rl, rl->upstream_status);
    rl->req->res.content_length = rl->held_body.len;
    h2o_start_response(rl->req, &generator);
    h2o_send(rl->req, &rl->held_body, 1, H2O_SEND_STATE_FINAL);
}

/* Reads the id named by path[] (one or two levels) from a response document. */
static int id_from(json_t *doc, const char *const path[2], char *out, size_t cap)
{
    json_t *v = json_object_get(doc, path[0]);
    if (path[1] != NULL)
        v = json_object_get(v, path[1]);
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < cap)
        mg_strlcpy(out, json_string_value(v), cap);
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else
        return MG_DECLINED;
    return MG_OK;
}

static void on_full_body(struct relay *rl, h2o_buffer_t *buf)
{
    const struct mg_route *r = rl->route;
    int ok = rl->upstream_status >= 200 && rl->upstream_status < 300;
    json_t *doc = NULL;

    rl->held_body = h2o_strdup(&rl->req->pool, buf->bytes, buf->size);
    if (ok && r->usage != MG_USAGE_NONE && mg_usage_from_body(r->usage, rl->held_body.base, rl->held_body.len, &rl->ev))
        rl->usage_seen = 1;
    if (ok && (r->own.op != MG_OWN_NONE || r->own.grants[0] != NULL))
        doc = json_loadb(rl->held_body.base, rl->held_body.len, 0, NULL);
    if (doc != NULL && mg_usage_base_code(doc) == 0) {
        char granted[MAX_RESOURCE_ID];
        if (r->own.op == MG_OWN_CREATE) {
            /* voice_clone names its id in the request, the others in the response */
            int have = r->own.body != NULL ? MG_OK : id_from(doc, r->own.resp, rl->res_id, sizeof(rl->res_id));
            if (have == MG_OK && rl->res_id[0] != '\0') {
                json_decref(doc);
                if (submit(rl, JOB_OWNER_PUT, r->own.kind, rl->res_id) != MG_OK)
                    send_error(rl, MG_E_OVERLOADED, NULL);
                return;
            }
        } else if (r->own.op == MG_OWN_DELETE) {
            json_decref(doc);
            if (submit(rl, JOB_OWNER_DELETE, r->own.kind, rl->res_id) != MG_OK)
                send_held(rl);
            return;
        } else if (r->own.grants[0] != NULL && id_from(doc, r->own.grants, granted, sizeof(granted)) == MG_OK) {
            json_decref(doc);
            if (submit(rl, JOB_OWNER_PUT, r->own.grants_kind, granted) != MG_OK)
                send_error(rl, MG_E_OVERLOADED, NULL);
            return;
        }
    }
    json_decref(doc);
    send_held(rl);
}

static int on_body_full(h2o_http1client_t *client, const char *errstr)
{
    struct relay *rl = client->data;
    if (errstr == NULL) {
        if (client->sock->input->size > rl->gw->cfg.max_upstream_body) {
            rl->client = NULL;
            send_error(rl, MG_E_UPSTREAM_BAD_RESPONSE, "The upstream response is larger than this gateway accepts.");
            return -1;
        }
        return 0;
    }
    rl->client = NULL;
    if (errstr != h2o_http1client_error_is_eos) {
        send_error(rl, upstream_error(errstr), NULL);
        return -1;
    }
    on_full_body(rl, client->sock->input);
    return 0;
}

/* ---- the upstream request --------------------------------------------------- */

static int is_retryable(int status) { return status == 429 || status >= 500; }

static void cool_down(struct relay *rl)
{
    atomic_store(&rl->gw->ch[rl->channel].cool_until_ms, mg_now_ms() + rl->gw->cfg.cooldown_ms);
}

/* 1 if a model list (comma-separated, "" = any) admits model. */
static int list_admits(const char *list, const char *model)
{
    size_t ml = strlen(model);
    const char *p = list;
    if (list[0] == '\0' || ml == 0)
        return 1;
    while ((p = strstr(p, model)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[ml] == '\0' || p[ml] == ','))
            return 1;
        p += ml;
    }
    return 0;
}

/* Picks a channel for the key's region and the model, weighted, preferring
 * ones not cooling down; -1 if none serves them.  *unknown_model is set when
 * the region has channels but none lists the model. */
static int pick_channel(struct relay *rl, int *unknown_model)
{
    struct mg_gateway *gw = rl->gw;
    int64_t now = mg_now_ms();
    int region_seen = 0;
    *unknown_model = 0;
    for (int pass = 0; pass < 2; pass++) { /* pass 1 admits cooling channels: better a try than a 503 */
        uint64_t total = 0, r;
        int ok[MAX_CHANNELS];
        for (size_t i = 0; i < gw->nch; i++) {
            struct channel *c = &gw->ch[i];
            ok[i] = 0;
            if (c->spec.region != rl->key.region)
                continue;
            region_seen = 1;
            if ((rl->tried & (1ull << i)) || !list_admits(c->spec.models, rl->model))
                continue;
            if (pass == 0 && atomic_load(&c->cool_until_ms) > now)
                continue;
            ok[i] = 1;
            total += (uint64_t)c->spec.weight;
        }
        if (total == 0)
            continue;
        r = randombytes_uniform((uint32_t)MG_MIN(total, (uint64_t)UINT32_MAX));
        for (size_t i = 0; i < gw->nch; i++) {
            if (!ok[i])
                continue;
            if (r < (uint64_t)gw->ch[i].spec.weight)
                return (int)i;
            r -= (uint64_t)gw->ch[i].spec.weight;
        }
    }
    *unknown_model = region_seen && rl->tried == 0;
    return -1;
}

/* Maps an h2o client error string to our registry. */
static enum mg_err upstream_error(const char *errstr)
{
    /* h2o reports certificate failures with OpenSSL's verify text */
    if (errstr == h2o_socket_error_ssl_cert_invalid || errstr == h2o_socket_error_ssl_cert_name_mismatch ||
        errstr == h2o_socket_error_ssl_no_cert || errstr == h2o_socket_error_ssl_decode ||
        strstr(errstr, "certificate") != NULL || strstr(errstr, "ssl") != NULL || strstr(errstr, "mismatch") != NULL)
        return MG_E_UPSTREAM_TLS;
    if (strstr(errstr, "timeout") != NULL)
        return MG_E_UPSTREAM_TIMEOUT;
    if (errstr == h2o_socket_error_conn_fail || strstr(errstr, "connection") != NULL ||
        strstr(errstr, "resolve") != NULL)
        return MG_E_UPSTREAM_CONNECT;
    return MG_E_UPSTREAM_BAD_RESPONSE;
}

/* A failure before any byte reached the client: retry once elsewhere, or answer. */
static void upstream_failed(struct relay *rl, enum mg_err e, const char *why)
{
    rl->client = NULL;
    if (h2o_timeout_is_linked(&rl->timer))
        h2o_timeout_unlink(&rl->timer);
    mg_metrics_upstream(rl->gw->ch[rl->channel].spec.name, 0);
    mg_log(MG_LOG_WARN, "request %s: channel %s failed: %s", rl->request_id, rl->gw->ch[rl->channel].spec.name, why);
    cool_down(rl);
    if (rl->attempt++ == 0 && e != MG_E_UPSTREAM_TIMEOUT && start_upstream(rl) == MG_OK)
        return;
    rl->upstream_status = 0;
    send_error(rl, e, NULL);
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *errstr, int minor_version, int status,
                                       h2o_iovec_t msg, h2o_header_t *headers, size_t num_headers, int rlen)
{
    struct relay *rl = client->data;
    if (h2o_timeout_is_linked(&rl->timer))
        h2o_timeout_unlink(&rl->timer);
    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) {
        upstream_failed(rl, upstream_error(errstr), errstr);
        return NULL;
    }
    mg_metrics_upstream(rl->gw->ch[rl->channel].spec.name, status);
    if (is_retryable(status) && rl->attempt == 0) {
        const char *name = rl->gw->ch[rl->channel].spec.name;
        cool_down(rl);
        rl->client = NULL;
        rl->attempt++;
        if (start_upstream(rl) == MG_OK) {
            mg_log(MG_LOG_WARN, "request %s: channel %s answered %d; retried on another channel", rl->request_id, name,
                   status);
            return NULL;
        }
        rl->client = client; /* no other channel: this answer stands */
    }
    rl->upstream_status = status;
    rl->req->res.status = status;
    rl->req->res.reason = "OK";
    copy_headers(rl, headers, num_headers);
    rl->ttfb_us = mg_monotonic_us() - rl->t0_us;
    ssize_t ct = h2o_find_header(&rl->req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    rl->streaming = ct >= 0 && memmem(rl->req->res.headers.entries[ct].value.base,
                                      rl->req->res.headers.entries[ct].value.len, "event-stream", 12) != NULL;
    if (errstr == h2o_http1client_error_is_eos) { /* no body at all */
        h2o_buffer_t *empty;
        h2o_buffer_init(&empty, &h2o_socket_buffer_prototype);
        rl->client = NULL;
        on_full_body(rl, empty);
        h2o_buffer_dispose(&empty);
        return NULL;
    }
    if (!rl->streaming)
        return on_body_full;
    mg_sse_init(&rl->sse, rl->gw->cfg.max_upstream_body, on_sse_event, rl);
    rl->sse_init = 1;
    rl->gen.proceed = stream_proceed;
    rl->gen.stop = stream_stop;
    rl->response_started = 1;
    h2o_start_response(rl->req, &rl->gen);
    return on_body_stream;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *errstr, h2o_iovec_t **reqbufs,
                                          size_t *reqbufcnt, int *method_is_head)
{
    struct relay *rl = client->data;
    if (h2o_timeout_is_linked(&rl->timer))
        h2o_timeout_unlink(&rl->timer);
    if (errstr != NULL) {
        /* before the request is sent, anything but a TLS failure is a connection failure */
        enum mg_err e = upstream_error(errstr);
        upstream_failed(rl, e == MG_E_UPSTREAM_TLS || e == MG_E_UPSTREAM_TIMEOUT ? e : MG_E_UPSTREAM_CONNECT, errstr);
        return NULL;
    }
    rl->timer.cb = on_first_byte_timeout;
    h2o_timeout_link(rl->t->ctx->loop, &rl->t->first_byte_timeout, &rl->timer);
    *reqbufs = rl->upbufs;
    *reqbufcnt = rl->upbufs[1].len != 0 ? 2 : 1;
    *method_is_head = 0;
    return on_head;
}

/* A deadline passed before the upstream answered: drop the attempt. */
static void timer_fired(h2o_timeout_entry_t *entry, enum mg_err e, const char *why)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, timer, entry);
    if (rl->client != NULL) {
        h2o_http1client_cancel(rl->client);
        rl->client = NULL;
    }
    upstream_failed(rl, e, why);
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    timer_fired(entry, MG_E_UPSTREAM_CONNECT, "no connection (TCP and TLS) before the connect timeout");
}

static void on_first_byte_timeout(h2o_timeout_entry_t *entry)
{
    timer_fired(entry, MG_E_UPSTREAM_TIMEOUT, "no response before the first-byte timeout");
}

/* Client headers that never go upstream: hop-by-hop ones, the length (we set
 * it), compression (usage must be readable), and every credential. */
static int drop_request_header(const h2o_header_t *h)
{
    static const char *const names[] = {"x-api-key", "api-key", "cookie", "proxy-authorization", "authorization",
                                        "host", "content-length", "transfer-encoding", "connection", "keep-alive",
                                        "te", "trailer", "upgrade", "expect", "accept-encoding", "proxy-connection"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(names); i++)
        if (h2o_lcstris(h->name->base, h->name->len, names[i], strlen(names[i])))
            return 1;
    return 0;
}

/* The upstream request head, built in the request's pool in two passes
 * (measure, then copy): no heap growth and no printf on the hot path. */
static h2o_iovec_t build_request(struct relay *rl, struct channel *c)
{
    h2o_req_t *req = rl->req;
    char clen[48];
    size_t clen_len = 0, len;
    h2o_iovec_t prefix = c->url.path.len > 1 ? c->url.path : h2o_iovec_init("", 0);
    if (req->entity.base != NULL)
        clen_len = (size_t)snprintf(clen, sizeof(clen), "content-length: %zu\r\n", req->entity.len);
    len = req->method.len + 1 + prefix.len + req->path.len + sizeof(" HTTP/1.1\r\nhost: ") - 1 +
          c->url.authority.len + 2 + c->auth_header_len + clen_len + sizeof("x-request-id: \r\n\r\n") - 1 +
          strlen(rl->request_id);
    for (size_t i = 0; i < req->headers.size; i++)
        if (!drop_request_header(&req->headers.entries[i]))
            len += req->headers.entries[i].name->len + 2 + req->headers.entries[i].value.len + 2;
    char *buf = h2o_mem_alloc_pool(&req->pool, len + 1), *p = buf;
#define PUT(ptr, n) (memcpy(p, (ptr), (n)), p += (n))
#define PUTS(lit) PUT(lit, sizeof(lit) - 1)
    PUT(req->method.base, req->method.len);
    PUTS(" ");
    PUT(prefix.base, prefix.len);
    PUT(req->path.base, req->path.len);
    PUTS(" HTTP/1.1\r\nhost: ");
    PUT(c->url.authority.base, c->url.authority.len);
    PUTS("\r\n");
    PUT(c->auth_header, c->auth_header_len);
    PUT(clen, clen_len);
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (drop_request_header(h))
            continue;
        PUT(h->orig_name ? h->orig_name : h->name->base, h->name->len);
        PUTS(": ");
        PUT(h->value.base, h->value.len);
        PUTS("\r\n");
    }
    PUTS("x-request-id: ");
    PUT(rl->request_id, strlen(rl->request_id));
    PUTS("\r\n\r\n");
#undef PUT
#undef PUTS
    return h2o_iovec_init(buf, (size_t)(p - buf));
}

/* Sends the request to a channel not tried yet.  MG_DECLINED (nothing sent)
 * if no channel is left: the caller answers. */
static int start_upstream(struct relay *rl)
{
    int unknown;
    int i = pick_channel(rl, &unknown);
    if (i < 0)
        return MG_DECLINED;
    struct channel *c = &rl->gw->ch[i];
    rl->channel = (size_t)i;
    rl->tried |= 1ull << i;
    rl->upbufs[0] = build_request(rl, c);
    rl->upbufs[1] = rl->req->entity.base ? rl->req->entity : h2o_iovec_init(NULL, 0);
    rl->timer.cb = on_connect_timeout;
    h2o_timeout_link(rl->t->ctx->loop, &rl->t->connect_timeout, &rl->timer);
    h2o_http1client_connect_with_pool(&rl->client, rl, &rl->t->client_ctx[i], &rl->t->pools[i], on_connect);
    return MG_OK;
}

/* The first attempt: no channel at all is the client's answer. */
static void forward(struct relay *rl)
{
    int unknown;
    if (start_upstream(rl) == MG_OK)
        return;
    pick_channel(rl, &unknown);
    send_error(rl, unknown ? MG_E_UNKNOWN_MODEL : MG_E_NO_CHANNEL, NULL);
}

/* ---- answers maxgate gives itself: the quota paths mmx uses (GW-1) ----------- */

static int64_t month_bounds(int64_t now_ms, int64_t *end_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    int64_t start = (int64_t)timegm(&tm) * 1000;
    tm.tm_mon += 1;
    *end_ms = (int64_t)timegm(&tm) * 1000;
    return start;
}

static void answer_quota(struct relay *rl)
{
    struct mg_buf b;
    int64_t cap = rl->key.account_cap_micros, spent = mg_meter_spend(rl->gw->meter, rl->key.account_id);
    int64_t left = cap > spent ? cap - spent : 0, now = mg_now_ms(), end, start = month_bounds(now, &end);
    char caps[32], spents[32], lefts[32];
    mg_money_format(cap, caps, sizeof(caps));
    mg_money_format(spent, spents, sizeof(spents));
    mg_money_format(left, lefts, sizeof(lefts));
    mg_buf_init(&b, 8192);
    if (rl->route->local == MG_LOCAL_TOKEN_PLAN) {
        /* One "model" for the account's monthly budget, counted in cents.
         * As MiniMax does, current_interval_usage_count holds what is LEFT. */
        int64_t total_c = cap / 10000, left_c = left / 10000;
        mg_buf_appendf(&b,
                       "{\"model_remains\":[{\"model_name\":\"maxgate-budget\",\"start_time\":%lld,\"end_time\":%lld,"
                       "\"remains_time\":%lld,\"current_interval_total_count\":%lld,"
                       "\"current_interval_usage_count\":%lld,\"current_interval_remaining_percent\":%lld,"
                       "\"current_interval_status\":%d}],"
                       "\"maxgate\":{\"cap\":\"%s\",\"spent\":\"%s\",\"remaining\":\"%s\",\"capped\":%s},"
                       "\"base_resp\":{\"status_code\":0,\"status_msg\":\"success\"}}",
                       (long long)start, (long long)end, (long long)(end - now), (long long)total_c,
                       (long long)left_c, (long long)(cap > 0 ? left * 100 / cap : 100), cap > 0 ? 1 : 3, caps,
                       spents, lefts, cap > 0 ? "true" : "false");
    } else {
        mg_buf_appendf(&b,
                       "{\"available_amount\":\"%s\",\"cash_balance\":\"%s\",\"voucher_balance\":\"0.00\","
                       "\"credit_balance\":\"0.00\",\"owed_amount\":\"0.00\",\"balance_alert_switch\":false,"
                       "\"balance_alert_threshold\":\"0.00\","
                       "\"maxgate\":{\"cap\":\"%s\",\"spent\":\"%s\",\"remaining\":\"%s\",\"capped\":%s},"
                       "\"base_resp\":{\"status_code\":0,\"status_msg\":\"success\"}}",
                       lefts, lefts, caps, spents, lefts, cap > 0 ? "true" : "false");
    }
    finish(rl, 200);
    mg_http_respond(rl->req, 200, "application/json", b.data, b.len);
    mg_buf_free(&b);
}

/* ---- admission ------------------------------------------------------------------ */

/* Query parameters that look like credentials (SECURITY-REFERENCES #38). */
static int key_in_query(h2o_req_t *req)
{
    static const char *const names[] = {"key", "api_key", "apikey", "api-key", "access_token", "token"};
    struct mg_str v;
    if (req->query_at == SIZE_MAX)
        return 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(names); i++)
        if (mg_http_query(req, names[i], &v) == MG_OK)
            return 1;
    return memmem(req->path.base + req->query_at, req->path.len - req->query_at, "mgk_", 4) != NULL;
}

static struct mg_str credential(h2o_req_t *req)
{
    struct mg_str v = mg_http_header(req, "authorization");
    if (v.ptr != NULL) {
        if (v.len > 7 && strncasecmp(v.ptr, "Bearer ", 7) == 0)
            return mg_str_make(v.ptr + 7, v.len - 7);
        return v; /* not a bearer: will fail the format check with a clear message */
    }
    v = mg_http_header(req, "x-api-key");
    if (v.ptr != NULL)
        return v;
    return mg_http_header(req, "api-key");
}

/* Checks the key and everything bound to it.  MG_OK or an error was sent. */
static int admit_key(struct relay *rl)
{
    h2o_req_t *req = rl->req;
    struct mg_gateway *gw = rl->gw;
    struct mg_str cred = credential(req);
    struct mg_key_parts parts;
    uint8_t digest[MG_KEY_DIGEST_LEN];
    char detail[512];

    if (cred.ptr == NULL || cred.len == 0) {
        send_error(rl, MG_E_KEY_MISSING, NULL);
        return MG_ERR;
    }
    if (mg_key_parse(cred.ptr, cred.len, &parts) != MG_OK) {
        send_error(rl, MG_E_KEY_MALFORMED, NULL);
        return MG_ERR;
    }
    mg_key_digest(gw->secret, gw->secret_len, cred.ptr, cred.len, digest);
    if (mg_keycache_get(gw->keys, digest, &rl->key) != MG_OK) {
        send_error(rl, MG_E_KEY_UNKNOWN, NULL);
        return MG_ERR;
    }
    rl->authed = 1;
    if (rl->key.status == MG_KEY_REVOKED) {
        send_error(rl, MG_E_KEY_REVOKED, NULL);
        return MG_ERR;
    }
    if (rl->key.expires_ms != 0 && rl->key.expires_ms <= mg_now_ms()) {
        send_error(rl, MG_E_KEY_EXPIRED, NULL);
        return MG_ERR;
    }
    if (!gw->cfg.serves[rl->key.region]) {
        const char *where = gw->cfg.region_base_url[rl->key.region];
        snprintf(detail, sizeof(detail), "The key is for region %s; this server%s%s serves %s.%s%s%s",
                 mg_region_name(rl->key.region), gw->cfg.public_base_url[0] ? " at " : "", gw->cfg.public_base_url,
                 gw->cfg.serves[MG_REGION_GLOBAL] ? "global" : gw->cfg.serves[MG_REGION_CN] ? "cn" : "no region",
                 where[0] ? " Use the base URL " : " Use a base URL that serves region ",
                 where[0] ? where : mg_region_name(rl->key.region), where[0] ? " for this key." : ".");
        send_error(rl, MG_E_KEY_WRONG_REGION, detail);
        return MG_ERR;
    }
    if (rl->route->service != MG_SVC_QUOTA && !(rl->key.scopes & MG_SCOPE(rl->route->service))) {
        snprintf(detail, sizeof(detail), "This path needs the scope '%s'.", mg_service_name(rl->route->service));
        send_error(rl, MG_E_KEY_SCOPE, detail);
        return MG_ERR;
    }
    if (rl->key.account_suspended) {
        send_error(rl, MG_E_ACCOUNT_SUSPENDED, NULL);
        return MG_ERR;
    }
    mg_keycache_touch(gw->keys, rl->key.id);
    return MG_OK;
}

/* After the body is known: model allowlist and the spending cap. */
static int admit_model_and_cap(struct relay *rl)
{
    char detail[600];
    if (!list_admits(rl->key.models, rl->model)) {
        {
            snprintf(detail, sizeof(detail), "Allowed: %s.", rl->key.models);
            send_error(rl, MG_E_MODEL_NOT_ALLOWED, detail);
            return MG_ERR;
        }
    }
    if (rl->key.account_cap_micros > 0 && rl->route->service != MG_SVC_QUOTA &&
        mg_meter_spend(rl->gw->meter, rl->key.account_id) >= rl->key.account_cap_micros) {
        send_error(rl, MG_E_CAP_REACHED, NULL);
        return MG_ERR;
    }
    return MG_OK;
}

/* Body rules of the route (GW-8).  MG_OK or an error was sent. */
static int admit_body(struct relay *rl)
{
    h2o_req_t *req = rl->req;
    const struct mg_route *r = rl->route;
    struct mg_gateway *gw = rl->gw;
    char detail[256];
    json_error_t jerr;

    if (r->body == MG_BODY_NONE)
        return MG_OK;
    size_t limit = r->body == MG_BODY_MULTIPART ? gw->cfg.max_upload_body : gw->cfg.max_json_body;
    if (req->entity.len > limit) {
        snprintf(detail, sizeof(detail), "The limit for this path is %zu bytes; this body has %zu.", limit,
                 req->entity.len);
        send_error(rl, MG_E_BODY_TOO_LARGE, detail);
        return MG_ERR;
    }
    if (req->entity.base == NULL || req->entity.len == 0) {
        send_error(rl, MG_E_BODY_MISSING, NULL);
        return MG_ERR;
    }
    struct mg_str ct = mg_http_header(req, "content-type");
    if (r->body == MG_BODY_MULTIPART) {
        if (ct.ptr == NULL || ct.len < 19 || strncasecmp(ct.ptr, "multipart/form-data", 19) != 0) {
            send_error(rl, MG_E_CONTENT_TYPE, "This path takes multipart/form-data.");
            return MG_ERR;
        }
        return MG_OK;
    }
    if (ct.ptr == NULL || ct.len < 16 || strncasecmp(ct.ptr, "application/json", 16) != 0 ||
        (ct.len > 16 && ct.ptr[16] != ';' && ct.ptr[16] != ' ')) {
        send_error(rl, MG_E_CONTENT_TYPE, NULL);
        return MG_ERR;
    }
    rl->body = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, &jerr);
    if (rl->body == NULL) {
        snprintf(detail, sizeof(detail), "At line %d, column %d: %s.", jerr.line, jerr.column, jerr.text);
        send_error(rl, MG_E_JSON_MALFORMED, detail);
        return MG_ERR;
    }
    if (!json_is_object(rl->body)) {
        send_error(rl, MG_E_JSON_NOT_OBJECT, NULL);
        return MG_ERR;
    }
    json_t *m = json_object_get(rl->body, "model");
    if (json_is_string(m) && json_string_length(m) < sizeof(rl->model))
        mg_strlcpy(rl->model, json_string_value(m), sizeof(rl->model));
    else if (r->needs_model || m != NULL) {
        send_error(rl, MG_E_MODEL_MISSING, NULL);
        return MG_ERR;
    }
    json_t *st = json_object_get(rl->body, "stream");
    if (st != NULL && !json_is_boolean(st)) {
        send_error(rl, MG_E_FIELD_INVALID, "'stream' must be true or false.");
        return MG_ERR;
    }
    return MG_OK;
}

/* The id of the resource a USE/DELETE route names.  MG_OK, or an error was sent. */
static int resource_id(struct relay *rl)
{
    const struct mg_own_rule *o = &rl->route->own;
    struct mg_str v;
    if (o->query != NULL && mg_http_query(rl->req, o->query, &v) == MG_OK && v.len > 0 && v.len < MAX_RESOURCE_ID) {
        snprintf(rl->res_id, sizeof(rl->res_id), "%.*s", (int)v.len, v.ptr);
        return MG_OK;
    }
    if (o->body != NULL && rl->body != NULL) {
        const char *const path[2] = {o->body, NULL};
        if (id_from(rl->body, path, rl->res_id, sizeof(rl->res_id)) == MG_OK)
            return MG_OK;
    }
    char detail[128];
    snprintf(detail, sizeof(detail), "Name the resource with '%s'.", o->query ? o->query : o->body);
    send_error(rl, MG_E_FIELD_INVALID, detail);
    return MG_ERR;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct gw_handler *h = (struct gw_handler *)self;
    struct mg_gateway *gw = h->gw;
    struct relay *rl = h2o_mem_alloc_shared(NULL, sizeof(*rl), relay_dispose);
    struct sentinel *sen;
    int method_ok;

    memset(rl, 0, sizeof(*rl));
    rl->req = req;
    rl->gw = gw;
    rl->t = h2o_context_get_handler_context(req->conn->ctx, self);
    rl->t0_us = mg_monotonic_us();
    h2o_buffer_init(&rl->leftover, &h2o_socket_buffer_prototype);
    h2o_doublebuffer_init(&rl->sending, &h2o_socket_buffer_prototype);
    sen = h2o_mem_alloc_shared(&req->pool, sizeof(*sen), on_req_gone);
    sen->rl = rl;
    atomic_fetch_add(&gw->inflight, 1);
    mg_metrics_inflight(1);
    gen_request_id(rl->request_id);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, rl->request_id,
                          strlen(rl->request_id));

    struct mg_str path = mg_http_path(req);
    rl->route = mg_route_find(path.ptr, path.len, req->method.base, req->method.len, &method_ok);
    if (atomic_load(&gw->draining)) {
        send_error(rl, MG_E_SHUTTING_DOWN, NULL);
        return 0;
    }
    if (rl->route == NULL) {
        send_error(rl, method_ok ? MG_E_NOT_FOUND : MG_E_METHOD_NOT_ALLOWED, NULL);
        return 0;
    }
    if (key_in_query(req)) {
        send_error(rl, MG_E_KEY_IN_QUERY, NULL);
        return 0;
    }
    if (admit_key(rl) != MG_OK || admit_body(rl) != MG_OK || admit_model_and_cap(rl) != MG_OK)
        return 0;
    if (rl->route->local != MG_LOCAL_NONE) {
        answer_quota(rl);
        return 0;
    }
    if (rl->route->own.op == MG_OWN_USE || rl->route->own.op == MG_OWN_DELETE) {
        if (resource_id(rl) != MG_OK)
            return 0;
        if (submit(rl, JOB_OWNER_GET, rl->route->own.kind, rl->res_id) != MG_OK)
            send_error(rl, MG_E_OVERLOADED, NULL);
        return 0;
    }
    if (rl->route->own.op == MG_OWN_CREATE && rl->route->own.body != NULL && resource_id(rl) != MG_OK)
        return 0;
    forward(rl);
    return 0;
}

/* ---- set-up ------------------------------------------------------------------------ */

static void on_context_init(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct mg_gateway *gw = ((struct gw_handler *)self)->gw;
    struct gw_thread *t = mg_calloc(1, sizeof(*t));
    t->gw = gw;
    t->ctx = ctx;
    h2o_timeout_init(ctx->loop, &t->io_timeout, (uint64_t)gw->cfg.idle_timeout_ms);
    h2o_timeout_init(ctx->loop, &t->connect_timeout, (uint64_t)gw->cfg.connect_timeout_ms);
    h2o_timeout_init(ctx->loop, &t->first_byte_timeout, (uint64_t)gw->cfg.first_byte_timeout_ms);
    for (size_t i = 0; i < gw->nch; i++) {
        struct channel *c = &gw->ch[i];
        t->client_ctx[i].loop = ctx->loop;
        t->client_ctx[i].getaddr_receiver = &ctx->receivers.hostinfo_getaddr;
        t->client_ctx[i].io_timeout = &t->io_timeout;
        t->client_ctx[i].ssl_ctx = c->ssl;
        h2o_socketpool_init_by_hostport(&t->pools[i], c->url.host, h2o_url_get_port(&c->url),
                                        c->url.scheme == &H2O_URL_SCHEME_HTTPS, gw->cfg.upstream_pool_size);
        h2o_socketpool_set_timeout(&t->pools[i], ctx->loop, 2000 /* idle keep-alive sockets live 2 s */);
    }
    t->pl = mg_pool_attach(gw->pool, ctx->loop);
    h2o_context_set_handler_context(ctx, self, t);
}

/* The TLS context of an https channel (GW-7): the system's trust store plus
 * ca_file, and the channel's host name (or IP address) checked by OpenSSL
 * during verification, so a wrong-host or untrusted certificate fails the
 * handshake. */
static SSL_CTX *upstream_tls(struct channel *c, const char *ca_file)
{
    char host[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    snprintf(host, sizeof(host), "%.*s", (int)c->url.host.len, c->url.host.base);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_default_verify_paths(ctx);
    if (ca_file[0] && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        mg_log(MG_LOG_ERROR, "[upstream] ca_file %s is not a readable PEM certificate file", ca_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1) {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, host, 0);
    }
    return ctx;
}

struct mg_gateway *mg_gateway_new(const struct mg_gateway_config *cfg, struct mg_channel_spec *channels,
                                  size_t nchannels, struct mg_keycache *keys, struct mg_meter *meter,
                                  struct mg_pool *pool, const struct mg_price_table *prices,
                                  const uint8_t *secret, size_t secret_len)
{
    struct mg_gateway *gw = mg_calloc(1, sizeof(*gw));
    if (nchannels > MAX_CHANNELS) {
        mg_log(MG_LOG_ERROR, "at most %d channels are supported; %zu configured", MAX_CHANNELS, nchannels);
        free(gw);
        return NULL;
    }
    gw->cfg = *cfg;
    gw->keys = keys;
    gw->meter = meter;
    gw->pool = pool;
    gw->prices = prices;
    gw->secret_len = MG_MIN(secret_len, sizeof(gw->secret));
    memcpy(gw->secret, secret, gw->secret_len);
    pthread_mutex_init(&gw->billed_lock, NULL);
    gw->ch = mg_calloc(nchannels ? nchannels : 1, sizeof(*gw->ch));
    for (size_t i = 0; i < nchannels; i++) {
        struct channel *c = &gw->ch[gw->nch];
        c->spec = channels[i];
        if (h2o_url_parse(c->spec.base_url, strlen(c->spec.base_url), &c->url) != 0) {
            mg_log(MG_LOG_ERROR, "channel %s: base URL '%s' is not an http(s) URL", c->spec.name, c->spec.base_url);
            continue;
        }
        if (c->url.scheme == &H2O_URL_SCHEME_HTTPS && (c->ssl = upstream_tls(c, gw->cfg.upstream_ca_file)) == NULL) {
            mg_gateway_free(gw);
            free(channels);
            return NULL;
        }
        size_t n = strlen(c->spec.api_key) + 32;
        c->auth_header = mg_malloc(n);
        c->auth_header_len = (size_t)snprintf(c->auth_header, n, "authorization: Bearer %s\r\n", c->spec.api_key);
        gw->cfg.serves[c->spec.region] = 1;
        gw->nch++;
    }
    free(channels);
    return gw;
}

void mg_gateway_free(struct mg_gateway *gw)
{
    if (gw == NULL)
        return;
    for (size_t i = 0; i < gw->nch; i++) {
        if (gw->ch[i].auth_header) {
            sodium_memzero(gw->ch[i].auth_header, gw->ch[i].auth_header_len);
            free(gw->ch[i].auth_header);
        }
        if (gw->ch[i].spec.api_key) {
            sodium_memzero(gw->ch[i].spec.api_key, strlen(gw->ch[i].spec.api_key));
            free(gw->ch[i].spec.api_key);
        }
    }
    for (size_t i = 0; i < gw->nch; i++)
        SSL_CTX_free(gw->ch[i].ssl);
    free(gw->ch);
    sodium_memzero(gw->secret, sizeof(gw->secret));
    free(gw);
}

void mg_gateway_register(struct mg_gateway *gw, h2o_hostconf_t *hostconf, const char *path)
{
    h2o_pathconf_t *pc = h2o_config_register_path(hostconf, path, 0);
    struct gw_handler *h = (struct gw_handler *)h2o_create_handler(pc, sizeof(*h));
    h->gw = gw;
    h->super.on_req = on_req;
    h->super.on_context_init = on_context_init;
    gw->handler = &h->super;
}

size_t mg_gateway_inflight(struct mg_gateway *gw) { return atomic_load(&gw->inflight); }

void mg_gateway_begin_drain(struct mg_gateway *gw) { atomic_store(&gw->draining, 1); }
