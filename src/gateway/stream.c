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
 * A client that takes nothing for send_timeout_ms is cut off: its socket is
 * shut down, and the stream then ends as if the client had left.
 *
 * Every delivered token billed (GW-5, BL-2).  Each frame handed to the
 * client goes through the parser, which reads usage frames and counts the
 * generated text (estimate.h).  How a stream ends decides its usage event:
 *   - complete: the upstream's usage, status 200 (499 if the client's
 *     socket was already closed when the upstream's head came);
 *   - the client left (or stalled): the upstream is read on, and dropped,
 *     for up to [limits] drain_usage_ms / drain_usage_bytes until its own
 *     usage frame (what it bills the operator) comes; status 499.  The
 *     relay holds its own reference and an in-flight count meanwhile;
 *   - the upstream broke: the error event, then the terminating chunk;
 *     status 502;
 *   - the server's drain timeout (mg_gateway_cut_streams): the same ending
 *     with SHUTTING_DOWN; status 503, billed at once.
 * Where the upstream's final usage did not come, a chat stream is billed an
 * estimate (estimated = 1): the output tokens it reported so far or the
 * tokens of the text relayed, whichever is more, and the input it reported
 * or else an estimate from the request's size.  Nothing is billed when the
 * upstream reported no usage and no generated text reached the client (it
 * did no work we can see: an error event, or nothing at all).
 *
 * Against kill -9, a chat stream journals its usage so far as a checkpoint
 * about once a second while text flows (mg_meter_checkpoint); the stream's
 * event replaces it, and one left at the next start is billed (503).
 */
#include "gateway/relay.h"
#include "core/log.h"
#include "gateway/usage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define SSE_EVENT_MAX (8u << 20) /* a usage frame is small; the final chat frame repeats the answer: 8 MiB is ample */
#define CHECKPOINT_MS 1000       /* a kill -9 loses at most about a second of a stream's billing */

static int is_chat(const struct relay *rl)
{
    return rl->route->usage == MG_USAGE_CHAT || rl->route->usage == MG_USAGE_ANTHROPIC;
}

/* Anthropic reports input in message_start and output in message_delta:
 * only the latter makes the usage final.  The other kinds report all of it
 * in one frame. */
static int is_final_usage(const struct relay *rl, const char *event, size_t elen, const char *data, size_t dlen)
{
    if (rl->route->usage != MG_USAGE_ANTHROPIC)
        return 1;
    if (elen != 0)
        return elen == 13 && memcmp(event, "message_delta", 13) == 0;
    return mg_needle_find(&mg_needle_message_delta, data, dlen) != NULL;
}

static void on_sse_event(void *arg, const char *event, size_t elen, const char *data, size_t dlen, int truncated)
{
    struct relay *rl = arg;
    /* only the usage part of a frame is parsed (no tree of the whole frame) */
    if (!truncated && mg_usage_from_frame(rl->route->usage, data, dlen, &rl->bill.ev)) {
        rl->bill.seen = 1;
        if (is_final_usage(rl, event, elen, data, dlen))
            rl->st.usage_final = 1;
    }
    if (!rl->st.gone && is_chat(rl))
        mg_est_frame(&rl->st.est, data, dlen);
}

/* Applies the estimate to ev when the stream's usage is not final; returns
 * 1 if ev now has something to bill.  The upstream did work we can see: it
 * reported usage or text reached the client (an error event alone, or a
 * refusal in a 200 stream, is not billed). */
static int estimate(struct relay *rl, struct mg_usage_event *ev)
{
    int64_t out = mg_est_tokens(&rl->st.est);
    if (rl->st.usage_final || !is_chat(rl) || !(rl->bill.seen || out > 0) || rl->up.status / 100 != 2)
        return rl->bill.seen;
    if (out > ev->output_tokens)
        ev->output_tokens = out;
    if (ev->input_tokens == 0)
        ev->input_tokens = mg_est_input_tokens(rl->st.req_bytes);
    ev->estimated = 1;
    return 1;
}

/* The stream's usage event, once: the upstream's own usage when its final
 * frame came, else (chat) an estimate from what was relayed. */
static void bill_stream(struct relay *rl, int status)
{
    if (rl->bill.done)
        return;
    if (estimate(rl, &rl->bill.ev))
        rl->bill.seen = 1;
    rl_bill(rl, status);
}

/* Against kill -9: about once a second while text flows, the stream's
 * usage so far is journaled as its checkpoint (a journal append, no
 * syscall); the next process bills a stream left open from it. */
static void checkpoint(struct relay *rl)
{
    uint64_t now = h2o_now(rl->t->ctx->loop);
    if (now < rl->st.checkpoint_at || !is_chat(rl))
        return;
    rl->st.checkpoint_at = now + CHECKPOINT_MS;
    struct mg_usage_event ev = rl->bill.ev;
    if (!estimate(rl, &ev) || ev.output_tokens == rl->st.checkpointed)
        return;
    rl->st.checkpointed = ev.output_tokens;
    ev.http_status = 503; /* what it will say if it is settled: the server stopped serving it */
    rl_bill_checkpoint(rl, &ev);
}

static void stream_unlink(struct relay *rl)
{
    if (h2o_linklist_is_linked(&rl->st.link))
        h2o_linklist_unlink(&rl->st.link);
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

/* h2o does not read a connection while its request is answered, so a client
 * that hung up before the first byte is seen only when a write fails: one
 * peek when the upstream's head comes tells us (EOF or a reset). */
static int client_has_closed(h2o_req_t *req)
{
    h2o_socket_t *sock = client_socket(req);
    char c;
    if (sock == NULL)
        return 0;
    ssize_t n = recv(h2o_socket_get_fd(sock), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* The client took nothing for send_timeout_ms: shutting its socket down
 * makes h2o's pending write fail, and h2o then closes the connection and
 * frees the request (on_req_gone -> rl_stream_gone: drained and billed). */
static void on_stall(h2o_timeout_entry_t *entry)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, st.stall, entry);
    h2o_socket_t *sock = client_socket(rl->req);
    mg_log(MG_LOG_WARN, "request %s: the client took nothing for %d ms; stream ended", rl->request_id,
           rl->gw->cfg.send_timeout_ms);
    rl->error = "CLIENT_STALLED";
    if (sock != NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_RDWR);
    else
        mg_upc_cancel(&rl->up.upc);
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
        if (!eos)
            checkpoint(rl);
    } else if (!eos) {
        return;
    }
    if (eos) {
        int status = rl->st.cut ? 503 : rl->st.broken ? 502 : rl->st.client_closed ? 499 : rl->up.status;
        if (rl->st.broken || rl->st.cut) {
            enum mg_err e = rl->st.cut ? MG_E_SHUTTING_DOWN : MG_E_UPSTREAM_STREAM_BROKEN;
            char buf[ERR_BODY_MAX];
            size_t len = 0;
            if (rl->st.cut ? rl->st.cut_mid_event : rl->st.sse.line.len != 0 || rl->st.sse.has_data) {
                /* end the cut event first */
                buf[0] = buf[1] = '\n';
                len = 2;
            }
            len += mg_err_render_sse(buf + len, sizeof(buf) - len, rl->route->shape, e, NULL, rl->request_id);
            vecs[n++] = h2o_strdup(&req->pool, buf, len);
            rl->error = mg_err_get(e)->name;
        }
        rl->phase = RL_DONE;
        stream_unlink(rl);
        bill_stream(rl, status);
        rl_finish(rl, status);
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
                   gw_channel(rl->gw, rl->up.channel)->spec.name, err, u->detail ? ": " : "", u->detail ? u->detail : "");
            mg_channel_cool(gw_channel(rl->gw, rl->up.channel), rl->gw->cfg.cooldown_ms);
        }
    } else if (waiting(rl) >= rl->gw->cfg.stream_high_water) {
        mg_upc_pause(u);
    }
    stream_send(rl);
}

/* ---- after the client left: reading the upstream for its usage ------------ */

/* The drain is over (usage came, the upstream ended, a ceiling, or the
 * server's cut): bill 499, log, and drop the drain's reference (last). */
static void drain_end(struct relay *rl)
{
    rl->st.draining = 0;
    if (h2o_timeout_is_linked(&rl->st.drain_timer))
        h2o_timeout_unlink(&rl->st.drain_timer);
    mg_upc_cancel(&rl->up.upc);
    stream_unlink(rl);
    rl->phase = RL_DONE;
    bill_stream(rl, 499); /* the client left first, whatever the upstream did after */
    rl_finish(rl, 499);
    atomic_fetch_sub(&rl->gw->inflight, 1);
    h2o_mem_release_shared(rl);
}

/* Feeds what the upstream sent to the parser (for its usage) and drops it. */
static void drop_body(struct relay *rl)
{
    h2o_buffer_t **b = &rl->up.upc.body;
    size_t n = (*b)->size;
    if (n == 0)
        return;
    rl->st.drained += n;
    mg_sse_feed(&rl->st.sse, (*b)->bytes, n);
    h2o_buffer_consume(b, n);
}

static void on_drain_body(struct mg_upc *u, const char *err)
{
    struct relay *rl = u->data;
    assert(rl->st.draining);
    drop_body(rl);
    if (err != NULL && err != mg_upc_eos) {
        mg_log(MG_LOG_WARN, "request %s: the client had left; the upstream broke before its usage: %s",
               rl->request_id, err);
    }
    if (err == NULL && !rl->st.usage_final && rl->st.drained >= rl->gw->cfg.drain_usage_bytes)
        mg_log(MG_LOG_WARN, "request %s: the client had left; no usage from the upstream within %zu bytes: billed an "
               "estimate", rl->request_id, rl->gw->cfg.drain_usage_bytes);
    if (err != NULL || rl->st.usage_final || rl->st.drained >= rl->gw->cfg.drain_usage_bytes)
        drain_end(rl);
}

static void on_drain_timeout(h2o_timeout_entry_t *entry)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, st.drain_timer, entry);
    mg_log(MG_LOG_WARN, "request %s: the client had left; no usage from the upstream within %d ms: billed an estimate",
           rl->request_id, rl->gw->cfg.drain_usage_ms);
    drain_end(rl);
}

int rl_stream_gone(struct relay *rl)
{
    const struct mg_gateway_config *cfg = &rl->gw->cfg;
    assert(rl->phase == RL_STREAM);
    if (h2o_timeout_is_linked(&rl->st.stall))
        h2o_timeout_unlink(&rl->st.stall);
    rl->st.gone = 1;
    if (rl->error == NULL)
        rl->error = "CLIENT_GONE";
    if (!rl->st.usage_final && rl->up.upc.state != MG_UPC_FREE && cfg->drain_usage_ms > 0 &&
        cfg->drain_usage_bytes > 0) {
        rl->st.draining = 1;
        h2o_mem_addref_shared(rl);
        atomic_fetch_add(&rl->gw->inflight, 1);
        rl->up.upc.on_body = on_drain_body;
        rl->st.drain_timer.cb = on_drain_timeout;
        h2o_timeout_link(rl->t->ctx->loop, &rl->t->drain_to, &rl->st.drain_timer);
        drop_body(rl);
        if (rl->st.usage_final) {
            drain_end(rl);
            return 0;
        }
        if (rl->up.upc.paused)
            mg_upc_resume(&rl->up.upc); /* may hand over bytes, and end the drain, at once */
        return rl->st.draining;
    }
    drop_body(rl); /* what the upstream had sent may hold its usage */
    mg_upc_cancel(&rl->up.upc);
    stream_unlink(rl);
    rl->phase = RL_DONE;
    int status = rl->st.broken && !rl->st.usage_final ? 502 : 499;
    bill_stream(rl, status);
    rl_finish(rl, status);
    return 0;
}

void rl_stream_cut(struct relay *rl)
{
    stream_unlink(rl);
    if (rl->st.draining) {
        drain_end(rl);
        return;
    }
    if (rl->phase != RL_STREAM)
        return;
    mg_log(MG_LOG_WARN, "request %s: stream cut at the drain timeout", rl->request_id);
    mg_upc_cancel(&rl->up.upc);
    rl->st.upstream_done = 1;
    rl->st.cut = 1;
    rl->st.cut_mid_event = rl->st.sse.line.len != 0 || rl->st.sse.has_data; /* where the client's bytes end */
    drop_body(rl); /* the undelivered rest is read for usage, not sent: the stream ends now */
    bill_stream(rl, 503); /* now: a client that takes nothing would never see the end */
    rl->error = mg_err_get(MG_E_SHUTTING_DOWN)->name;
    rl_finish(rl, 503);
    stream_send(rl);
}

/* ---- the generator ------------------------------------------------------- */

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

/* h2o disposes the request with the stream open (the client left); the
 * sentinel's on_req_gone follows at once and calls rl_stream_gone. */
static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, gen, g);
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
    rl->st.req_bytes = rl->req->entity.len;
    rl->st.checkpoint_at = h2o_now(rl->t->ctx->loop) + CHECKPOINT_MS;
    rl->st.client_closed = client_has_closed(rl->req);
    h2o_linklist_insert(&rl->t->streams, &rl->st.link);
    rl->gen.proceed = on_proceed;
    rl->gen.stop = on_stop;
    h2o_start_response(rl->req, &rl->gen);
}
