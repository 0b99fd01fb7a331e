/*
 * upstream.c: one upstream attempt of a request (GW-7): the request head for
 * the chosen channel (its Bearer key; the client's credentials and
 * hop-by-hop headers never go upstream), the exchange on the loop thread's
 * pool for that channel, and what a failure before the first byte means:
 * one retry on another channel (a 429/5xx answer, or a connection that
 * failed), except after a first-byte timeout (the upstream may be working on
 * it), and a cool-down for the channel that failed.
 */
#include "gateway/relay.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/http.h"

#include <stdio.h>
#include <string.h>

/* What an upstream client error means for the caller; one default. */
static const struct {
    const char *err;
    enum mg_err e;
} upstream_errors[] = {
    {mg_upc_err_resolve, MG_E_UPSTREAM_CONNECT},
    {mg_upc_err_connect, MG_E_UPSTREAM_CONNECT},
    {mg_upc_err_connect_timeout, MG_E_UPSTREAM_CONNECT},
    {mg_upc_err_pool_full, MG_E_OVERLOADED}, /* our own cap, not the channel's fault */
    {mg_upc_err_proxy, MG_E_UPSTREAM_CONNECT},
    {mg_upc_err_tls, MG_E_UPSTREAM_TLS},
    {mg_upc_err_first_byte_timeout, MG_E_UPSTREAM_TIMEOUT},
    {mg_upc_err_io_timeout, MG_E_UPSTREAM_TIMEOUT},
};

enum mg_err rl_upstream_err(const char *err)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(upstream_errors); i++)
        if (upstream_errors[i].err == err)
            return upstream_errors[i].e;
    return MG_E_UPSTREAM_BAD_RESPONSE;
}

/* Client headers that never go upstream: hop-by-hop ones, the length (we set
 * it), compression (usage must be readable), and every credential. */
static int drop_request_header(const h2o_header_t *h)
{
#define N(s) {s, sizeof(s) - 1}
    static const struct {
        const char *name;
        size_t len;
    } names[] = {N("x-api-key"), N("api-key"), N("cookie"), N("proxy-authorization"), N("authorization"), N("host"),
                 N("content-length"), N("transfer-encoding"), N("connection"), N("keep-alive"), N("te"),
                 N("trailer"), N("upgrade"), N("expect"), N("accept-encoding"), N("proxy-connection")};
#undef N
    for (size_t i = 0; i < MG_ARRAY_SIZE(names); i++)
        if (h->name->len == names[i].len && h2o_lcstris(h->name->base, h->name->len, names[i].name, names[i].len))
            return 1;
    return 0;
}

/* The upstream request head, built in the request's pool in two passes
 * (measure, then copy): no heap growth and no printf on the hot path. */
static h2o_iovec_t build_request(struct relay *rl, const struct mg_channel *c)
{
    h2o_req_t *req = rl->req;
    char clen[48];
    size_t clen_len = 0, len;
    h2o_iovec_t prefix = c->url.path.len > 1 ? c->url.path : h2o_iovec_init("", 0);
    if (req->entity.base != NULL) { /* "content-length: N\r\n" without printf */
        char digits[24];
        size_t nd = 0, v = req->entity.len;
        do
            digits[nd++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        memcpy(clen, "content-length: ", 16);
        clen_len = 16;
        while (nd > 0)
            clen[clen_len++] = digits[--nd];
        clen[clen_len++] = '\r';
        clen[clen_len++] = '\n';
    }
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

/* Response headers from upstream, minus hop-by-hop, length/encoding, cookies
 * and the upstream's own request id (ours is the one the client sees). */
static void copy_headers(struct relay *rl, const struct mg_h1_head *h)
{
    h2o_req_t *req = rl->req;
    for (size_t i = 0; i < h->num_headers; i++) {
        const struct phr_header *x = &h->headers[i];
        h2o_iovec_t name = h2o_strdup(&req->pool, x->name, x->name_len);
        h2o_strtolower(name.base, name.len);
        h2o_iovec_t v = h2o_strdup(&req->pool, x->value, x->value_len);
        const h2o_token_t *tok = h2o_lookup_token(name.base, name.len);
        if (tok != NULL) {
            if (tok->proxy_should_drop_for_res || tok == H2O_TOKEN_CONTENT_LENGTH || tok == H2O_TOKEN_TRANSFER_ENCODING ||
                tok == H2O_TOKEN_CONNECTION || tok == H2O_TOKEN_SET_COOKIE || tok == H2O_TOKEN_SERVER)
                continue;
            h2o_add_header(&req->pool, &req->res.headers, tok, NULL, v.base, v.len);
        } else if (!h2o_memis(name.base, name.len, H2O_STRLIT("x-request-id"))) {
            h2o_add_header_by_str(&req->pool, &req->res.headers, name.base, name.len, 0, NULL, v.base, v.len);
        }
    }
}

static int is_retryable(int status) { return status == 429 || status >= 500; }

static void start_attempt(struct relay *rl, int i);

/* Another channel for a retry, or -1. */
static int retry_channel(struct relay *rl)
{
    int unknown;
    if (rl->up.attempt != 0)
        return -1;
    return mg_channel_pick(&rl->gw->tab, rl->in.key.region, rl->in.model, (int)rl->up.channel, &unknown);
}

static void attempt_failed(struct relay *rl, enum mg_err e, const char *err, const char *detail)
{
    struct mg_channel *c = gw_channel(rl->gw, rl->up.channel);
    int next;
    mg_metrics_upstream(c->spec.name, 0);
    mg_log(MG_LOG_WARN, "request %s: channel %s failed: %s%s%s", rl->request_id, c->spec.name, err,
           detail ? ": " : "", detail ? detail : "");
    if (err != mg_upc_err_pool_full)
        mg_channel_cool(c, rl->gw->cfg.cooldown_ms);
    if (e != MG_E_UPSTREAM_TIMEOUT && (next = retry_channel(rl)) >= 0) {
        rl->up.attempt++;
        start_attempt(rl, next);
        return;
    }
    rl->up.status = 0;
    rl_send_error(rl, e, NULL);
}

static void on_head(struct mg_upc *u, const char *err)
{
    struct relay *rl = u->data;
    struct mg_channel *c = gw_channel(rl->gw, rl->up.channel);
    assert(rl->phase == RL_UPSTREAM);
    if (err != NULL) {
        attempt_failed(rl, rl_upstream_err(err), err, u->detail);
        return;
    }
    int status = u->head.status, next;
    mg_metrics_upstream(c->spec.name, status);
    if (is_retryable(status) && (next = retry_channel(rl)) >= 0) {
        mg_log(MG_LOG_WARN, "request %s: channel %s answered %d; retried on another channel", rl->request_id,
               c->spec.name, status);
        mg_channel_cool(c, rl->gw->cfg.cooldown_ms);
        mg_upc_cancel(u);
        rl->up.attempt++;
        start_attempt(rl, next);
        return;
    }
    if (is_retryable(status))
        mg_channel_cool(c, rl->gw->cfg.cooldown_ms);
    rl->up.status = status;
    rl->req->res.status = status;
    rl->req->res.reason = mg_http_reason(status);
    copy_headers(rl, &u->head);
    rl->up.ttfb_us = mg_monotonic_us() - rl->t0_us;
    ssize_t ct = h2o_find_header(&rl->req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    int streaming = ct >= 0 && memmem(rl->req->res.headers.entries[ct].value.base,
                                      rl->req->res.headers.entries[ct].value.len, "event-stream", 12) != NULL;
    if (streaming)
        rl_stream_start(rl);
    else
        rl_whole_start(rl);
}

static void start_attempt(struct relay *rl, int i)
{
    struct mg_channel *c = gw_channel(rl->gw, (size_t)i);
    struct mg_upc_pool *pool = gw_thread_hold(rl->t, (size_t)i);
    size_t n = 1;
    if (rl->up.holding)
        gw_thread_release(rl->t, rl->up.channel); /* a retry: the first slot is this request's no more */
    rl->phase = RL_UPSTREAM;
    rl->up.channel = (size_t)i;
    rl->up.holding = 1;
    rl->up.bufs[0] = build_request(rl, c);
    if (rl->req->entity.base != NULL && rl->req->entity.len != 0)
        rl->up.bufs[n++] = rl->req->entity;
    rl->up.upc.data = rl;
    rl->up.upc.on_head = on_head;
    mg_upc_start(&rl->up.upc, pool, rl->up.bufs, n);
}

void rl_forward(struct relay *rl)
{
    int unknown;
    gw_thread_sweep(rl->t); /* a channel changed since: let go of what was retired first */
    int i = mg_channel_pick(&rl->gw->tab, rl->in.key.region, rl->in.model, -1, &unknown);
    if (i < 0) {
        rl_send_error(rl, unknown ? MG_E_UNKNOWN_MODEL : MG_E_NO_CHANNEL, NULL);
        return;
    }
    start_attempt(rl, i);
}
