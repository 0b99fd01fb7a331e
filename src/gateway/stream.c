/*
 * stream.c: a streamed (SSE) answer, relayed chunk by chunk while the
 * incremental parser reads usage frames out of what passes.
 *
 * Backpressure.  Bytes from the upstream collect in the upstream client's
 * body buffer; h2o_doublebuffer hands them to h2o one batch at a time, and
 * h2o calls proceed when the client has taken a batch.  When more than
 * stream_high_water bytes wait, the upstream socket is not read any more
 * (its TCP window then closes and the upstream waits); below
 * stream_low_water it is read again.  Memory per stream is bounded by the
 * high-water mark plus one socket read, whatever the stream's length.
 *
 * A client that takes nothing for send_timeout_ms is cut off: the stream is
 * ended, billed for what it carried, and its connection closed.
 */
#include "gateway/relay.h"
#include "core/log.h"
#include "gateway/usage.h"

#include <stdio.h>
#include <sys/socket.h>

#define SSE_EVENT_MAX (8u << 20) /* a usage frame is small; the final chat frame repeats the answer: 8 MiB is ample */

static void on_sse_event(void *arg, const char *event, size_t elen, const char *data, size_t dlen, int truncated)
{
    struct relay *rl = arg;
    /* only the usage part of a frame is parsed (no tree of the whole frame) */
    if (!truncated && mg_usage_from_frame(rl->route->usage, data, dlen, &rl->bill.ev))
        rl->bill.seen = 1;
}

static size_t waiting(struct relay *rl) { return rl->up.upc.body->size + rl->st.sending.buf->size; }

/* h2o 2.2's HTTP/1 connection starts with the h2o_conn_t and then its socket
 * (lib/http1.c, struct st_h2o_http1_conn_t); the socket's data points back at
 * the connection, which tells us the layout is the one we expect. */
struct http1_conn_head {
    h2o_conn_t super;
    h2o_socket_t *sock;
};

static h2o_socket_t *client_socket(h2o_req_t *req)
{
    h2o_socket_t *sock;
    if (req->version >= 0x200)
        return NULL;
    sock = ((struct http1_conn_head *)req->conn)->sock;
    return sock != NULL && sock->data == (void *)req->conn ? sock : NULL;
}

/* The client took nothing for send_timeout_ms: shutting its socket down
 * makes h2o's pending write fail, and h2o then closes the connection and
 * frees the request (on_req_gone bills and logs it). */
static void on_stall(h2o_timeout_entry_t *entry)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, st.stall, entry);
    h2o_socket_t *sock = client_socket(rl->req);
    mg_log(MG_LOG_WARN, "request %s: the client took nothing for %d ms; stream ended", rl->request_id,
           rl->gw->cfg.send_timeout_ms);
    rl->error = "CLIENT_STALLED";
    mg_upc_cancel(&rl->up.upc);
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
}

static void stream_send(struct relay *rl)
{
    h2o_req_t *req = rl->req;
    h2o_iovec_t vecs[2];
    size_t n = 0;
    int eos;
    if (rl->phase != RL_STREAM || rl->st.sending.bytes_inflight != 0)
        return;
    vecs[0] = h2o_doublebuffer_prepare(&rl->st.sending, &rl->up.upc.body, req->preferred_chunk_size);
    eos = rl->st.upstream_done && vecs[0].len == rl->st.sending.buf->size && rl->up.upc.body->size == 0;
    if (vecs[0].len != 0) {
        mg_sse_feed(&rl->st.sse, vecs[0].base, vecs[0].len);
        n = 1;
    } else if (!eos) {
        return;
    }
    if (eos) {
        if (rl->st.broken) {
            char buf[ERR_BODY_MAX];
            size_t len = 0;
            if (rl->st.sse.line.len != 0 || rl->st.sse.has_data) { /* end the cut event first */
                buf[0] = buf[1] = '\n';
                len = 2;
            }
            len += mg_err_render_sse(buf + len, sizeof(buf) - len, rl->route->shape, MG_E_UPSTREAM_STREAM_BROKEN,
                                     NULL, rl->request_id);
            vecs[n++] = h2o_strdup(&req->pool, buf, len);
            rl->error = mg_err_get(MG_E_UPSTREAM_STREAM_BROKEN)->name;
        }
        rl->phase = RL_DONE;
        rl_bill(rl, rl->up.status);
        rl_finish(rl, rl->up.status);
    } else {
        h2o_timeout_link(rl->t->ctx->loop, &rl->t->send_to, &rl->st.stall);
    }
    h2o_send(req, vecs, n, eos ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void on_body(struct mg_upc *u, const char *err)
{
    struct relay *rl = u->data;
    assert(rl->phase == RL_STREAM);
    if (err != NULL) {
        rl->st.upstream_done = 1;
        if (err != mg_upc_eos) {
            rl->st.broken = 1;
            mg_log(MG_LOG_WARN, "request %s: channel %s: stream broke: %s%s%s", rl->request_id,
                   rl->gw->ch[rl->up.channel].spec.name, err, u->detail ? ": " : "", u->detail ? u->detail : "");
            mg_channel_cool(&rl->gw->ch[rl->up.channel], rl->gw->cfg.cooldown_ms);
        }
    } else if (waiting(rl) >= rl->gw->cfg.stream_high_water) {
        mg_upc_pause(u);
    }
    stream_send(rl);
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, gen, g);
    if (h2o_timeout_is_linked(&rl->st.stall))
        h2o_timeout_unlink(&rl->st.stall);
    h2o_doublebuffer_consume(&rl->st.sending);
    if (rl->up.upc.paused && waiting(rl) < rl->gw->cfg.stream_low_water)
        mg_upc_resume(&rl->up.upc); /* may hand over bytes (and send them) at once */
    stream_send(rl);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, gen, g);
    rl_stream_stop(rl);
}

void rl_stream_stop(struct relay *rl)
{
    mg_upc_cancel(&rl->up.upc);
    if (h2o_timeout_is_linked(&rl->st.stall))
        h2o_timeout_unlink(&rl->st.stall);
}

void rl_stream_start(struct relay *rl)
{
    rl->phase = RL_STREAM;
    rl->up.upc.on_body = on_body;
    mg_sse_init(&rl->st.sse, SSE_EVENT_MAX, on_sse_event, rl);
    rl->st.sse_init = 1;
    rl->st.stall.cb = on_stall;
    rl->gen.proceed = on_proceed;
    rl->gen.stop = on_stop;
    h2o_start_response(rl->req, &rl->gen);
}
