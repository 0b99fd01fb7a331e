/*
 * relay.c: a gateway request from on_req to the access log line (see
 * relay.h for the modules and the request's phases).
 *
 *   on_req -> route -> credential -> key checks -> body checks
 *          -> [owner check on the pool] -> upstream attempt(s)
 *          -> whole answer (respond.c) or stream (stream.c)
 *          -> usage event (bill.c) -> access log line
 */
#include "gateway/relay.h"
#include "billing/reserve.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/http.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

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

void rl_send_error(struct relay *rl, enum mg_err e, const char *detail)
{
    char body[ERR_BODY_MAX], secs[24];
    const struct mg_err_def *d = mg_err_get(e);
    h2o_req_t *req = rl->req;
    size_t n = mg_err_render(body, sizeof(body), shape_of(rl), e, detail, rl->request_id);
    rl->error = d->name;
    rl->phase = RL_DONE;
    if (d->retry_after == MG_RETRY_NEVER && rl->retry_after_s == 0) {
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-should-retry"), 0, NULL,
                              H2O_STRLIT("false"));
    } else if (rl->retry_after_s > 0 || d->retry_after != 0) {
        /* The openai and anthropic SDKs retry a 429 unless told not to (the Python ones back off and
         * retry twice past 60 s, the Node one sleeps for Retry-After): a period-long wait says "don't". */
        long long wait = rl->retry_after_s > 0               ? (long long)rl->retry_after_s
                         : d->retry_after == MG_RETRY_PERIOD ? (long long)mg_reserve_period_left_s()
                                                             : d->retry_after;
        int sl = snprintf(secs, sizeof(secs), "%lld", wait);
        h2o_iovec_t v = h2o_strdup(&req->pool, secs, (size_t)sl);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v.base, v.len);
        if (d->retry_after == MG_RETRY_PERIOD && rl->retry_after_s == 0)
            h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-should-retry"), 0, NULL,
                                  H2O_STRLIT("false"));
    }
    rl_finish(rl, d->http_status);
    mg_http_respond(req, d->http_status, "application/json", body, n);
}

/* What a request holds against the caps and the TPM goes back when its
 * answer is known: rl_bill has settled it by then if an event was recorded,
 * and if one is recorded later (a video's answer) it is counted whole. */
static void release_holds(struct relay *rl)
{
    mg_reserve_release(&rl->res.r);
    mg_reserve_release(&rl->res.kr);
    mg_rate_release(&rl->res.tpm);
}

void rl_finish(struct relay *rl, int status)
{
    if (rl->finished)
        return;
    rl->finished = 1;
    release_holds(rl);
    int64_t lat = mg_monotonic_us() - rl->t0_us;
    mg_metrics_request(rl->route ? rl->route->name : "unknown", status, lat, rl->up.ttfb_us);
    if (!mg_log_access_enabled())
        return;
    struct mg_str path = MG_STR_LIT("");
    if (rl->req != NULL)
        path = mg_http_path(rl->req);
    else if (rl->route != NULL) /* a stream read on after its client left */
        path = mg_str_make(rl->route->path, strlen(rl->route->path));
    const struct mg_usage_event *ev = &rl->bill.ev;
    char pathbuf[256];
    snprintf(pathbuf, sizeof(pathbuf), "%.*s", (int)MG_MIN(path.len, sizeof(pathbuf) - 1), path.ptr);
    struct mg_access_entry a = {
        .request_id = rl->request_id,
        .method = rl->route ? rl->route->method : NULL,
        .path = pathbuf,
        .route = rl->route ? rl->route->name : "unknown",
        .key_public_id = rl->in.authed ? rl->in.key.public_id : NULL,
        .account_id = rl->in.authed ? rl->in.key.account_id : 0,
        .region = rl->in.authed ? mg_region_name(rl->in.key.region) : NULL,
        .model = rl->in.model[0] ? rl->in.model : NULL,
        .channel = rl->up.status ? gw_channel(rl->gw, rl->up.channel)->spec.name : NULL,
        .error = rl->error,
        .status = status,
        .upstream_status = rl->up.status,
        .streamed = rl->st.sse_init,
        .latency_us = lat,
        .ttfb_us = rl->up.ttfb_us,
        .input_tokens = ev->input_tokens,
        .output_tokens = ev->output_tokens,
        .characters = ev->characters,
        .images = ev->images,
        .videos = ev->videos,
        .tracks = ev->tracks,
        .cost_micros = ev->cost_micros,
    };
    mg_log_access(&a);
}

/* ---- lifetime ------------------------------------------------------------- */

struct sentinel {
    struct relay *rl;
};

/* h2o frees the request: the answer is out, or the client went away. */
static void on_req_gone(void *p)
{
    struct relay *rl = ((struct sentinel *)p)->rl;
    /* a stream whose client left is billed by stream.c, maybe after reading on for the upstream's usage */
    int draining = rl->phase == RL_STREAM && rl_stream_gone(rl);
    if (!draining) {
        if (rl->in.authed && rl->route != NULL)
            rl_bill(rl, 499);
        rl_finish(rl, 499);
        mg_upc_cancel(&rl->up.upc);
    }
    if (h2o_timeout_is_linked(&rl->st.stall))
        h2o_timeout_unlink(&rl->st.stall);
    rl->req = NULL;
    atomic_fetch_sub(&rl->gw->inflight, 1);
    mg_metrics_inflight(-1);
    h2o_mem_release_shared(rl);
}

static void relay_dispose(void *p)
{
    struct relay *rl = p;
    /* BL-3: rl_finish gave every hold back; a request that never finished (a stream cut with the
     * process) gives it back here: a released hold is empty */
    release_holds(rl);
    mg_pricebook_unpin(&rl->in.prices);
    if (rl->st.sse_init)
        mg_sse_free(&rl->st.sse);
    mg_upc_dispose(&rl->up.upc);
    if (rl->up.holding) /* after the exchange gave its connection back */
        gw_thread_release(rl->t, rl->up.channel);
    h2o_doublebuffer_dispose(&rl->st.sending);
}

static struct relay *relay_new(struct mg_gateway *gw, h2o_handler_t *self, h2o_req_t *req)
{
    struct relay *rl = h2o_mem_alloc_shared(NULL, sizeof(*rl), relay_dispose);
    struct sentinel *sen;
    memset(rl, 0, sizeof(*rl));
    rl->req = req;
    rl->gw = gw;
    rl->phase = RL_ADMIT;
    rl->t = h2o_context_get_handler_context(req->conn->ctx, self);
    rl->t0_us = mg_monotonic_us();
    mg_upc_init(&rl->up.upc);
    h2o_doublebuffer_init(&rl->st.sending, &h2o_socket_buffer_prototype);
    sen = h2o_mem_alloc_shared(&req->pool, sizeof(*sen), on_req_gone);
    sen->rl = rl;
    atomic_fetch_add(&gw->inflight, 1);
    mg_metrics_inflight(1);
    gen_request_id(rl->request_id);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, rl->request_id,
                          strlen(rl->request_id));
    return rl;
}

int mg_gateway_on_req(struct mg_gateway *gw, h2o_handler_t *self, h2o_req_t *req)
{
    struct relay *rl = relay_new(gw, self, req);
    int method_ok;

    struct mg_str path = mg_http_path(req);
    rl->route = mg_route_find(path.ptr, path.len, req->method.base, req->method.len, &method_ok);
    if (atomic_load(&gw->draining)) {
        rl_send_error(rl, MG_E_SHUTTING_DOWN, NULL);
        return 0;
    }
    if (rl->route == NULL) {
        rl_send_error(rl, method_ok ? MG_E_NOT_FOUND : MG_E_METHOD_NOT_ALLOWED, NULL);
        return 0;
    }
    if (rl_key_in_query(req)) {
        rl_send_error(rl, MG_E_KEY_IN_QUERY, NULL);
        return 0;
    }
    if (rl_admit_key(rl) != MG_OK || rl_admit_body(rl) != MG_OK || rl_admit_price(rl) != MG_OK ||
        rl_admit_model_and_cap(rl) != MG_OK)
        return 0;
    if (rl->route->local != MG_LOCAL_NONE) {
        rl_answer_quota(rl);
        return 0;
    }
    if (rl_owned_request(rl) != MG_OK) /* GW-6: the ids it names, checked on the pool before forwarding */
        return 0;
    rl_owned_check(rl);
    return 0;
}
