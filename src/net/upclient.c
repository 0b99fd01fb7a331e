/*
 * upclient.c: HTTP/1.1 exchanges with upstreams on h2o's evloop sockets
 * (see upclient.h; connections and the idle pool are in upconn.c).
 *
 * A connection (struct upc_conn) goes RESOLVING -> CONNECTING -> [PROXY] ->
 * [TLS] -> READY and then carries exchanges one after another; between them
 * it sits in its pool's idle list with a read callback that closes it.  An
 * exchange (struct mg_upc) goes FREE -> [WAITING] -> CONNECTING -> HEAD ->
 * BODY -> FREE.  u->gen changes whenever an exchange ends or restarts, so
 * code that called back into the caller can tell whether the exchange it was
 * driving still exists.
 */
#include "net/upclient.h"
#include "net/upclient_impl.h"
#include "core/mg.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>

const char mg_upc_eos[] = "end of response";
const char mg_upc_err_resolve[] = "the upstream host name did not resolve";
const char mg_upc_err_connect[] = "the connection to the upstream failed";
const char mg_upc_err_connect_timeout[] = "no connection to the upstream before the connect timeout";
const char mg_upc_err_pool_full[] = "no upstream connection became free (the per-channel cap) before the connect timeout";
const char mg_upc_err_proxy[] = "the egress proxy did not open a tunnel";
const char mg_upc_err_tls[] = "the TLS handshake with the upstream failed";
const char mg_upc_err_first_byte_timeout[] = "no answer from the upstream before the first-byte timeout";
const char mg_upc_err_io_timeout[] = "the upstream sent nothing for the idle timeout";
const char mg_upc_err_io[] = "reading from or writing to the upstream failed";
const char mg_upc_err_bad_response[] = "the upstream's answer is not valid HTTP/1.1";
const char mg_upc_err_closed[] = "the upstream closed the connection before the answer was complete";

static void process(struct mg_upc *u);
static void on_read(h2o_socket_t *sock, const char *err);

/* ---- ending an exchange ----------------------------------------------------- */

static void detach(struct mg_upc *u, int reusable)
{
    struct upc_conn *c = u->conn;
    if (h2o_timeout_is_linked(&u->timer))
        h2o_timeout_unlink(&u->timer);
    if (h2o_linklist_is_linked(&u->waiting))
        h2o_linklist_unlink(&u->waiting);
    u->state = MG_UPC_FREE;
    u->paused = 0;
    u->pending_err = NULL;
    u->gen++;
    u->conn = NULL;
    if (c != NULL) {
        c->u = NULL;
        if (reusable && u->written) /* an answer that came before our request was written ends the connection */
            upc_conn_release(c);
        else
            upc_conn_close(c);
    }
}

void upc_fail(struct mg_upc *u, const char *err, const char *detail)
{
    int in_body = u->state == MG_UPC_BODY;
    detach(u, 0);
    u->detail = detail;
    if (in_body)
        u->on_body(u, err);
    else
        u->on_head(u, err);
}

static void on_timer(h2o_timeout_entry_t *entry)
{
    struct mg_upc *u = H2O_STRUCT_FROM_MEMBER(struct mg_upc, timer, entry);
    if (u->pending_err != NULL) {
        upc_fail(u, u->pending_err, u->detail);
        return;
    }
    switch (u->state) {
    case MG_UPC_WAITING:
        upc_fail(u, mg_upc_err_pool_full, NULL);
        break;
    case MG_UPC_CONNECTING:
        upc_fail(u, mg_upc_err_connect_timeout, NULL);
        break;
    case MG_UPC_HEAD:
        upc_fail(u, mg_upc_err_first_byte_timeout, NULL);
        break;
    case MG_UPC_BODY:
        upc_fail(u, mg_upc_err_io_timeout, NULL);
        break;
    case MG_UPC_FREE:
        break;
    }
}

/* A failure found while starting: reported on the next loop turn, so the
 * caller is never called back from inside mg_upc_start. */
void upc_fail_later(struct mg_upc *u, const char *err, const char *detail)
{
    if (h2o_timeout_is_linked(&u->timer))
        h2o_timeout_unlink(&u->timer);
    u->pending_err = err;
    u->detail = detail;
    h2o_timeout_link(u->pool->loop, u->pool->to->zero, &u->timer);
}

/* The upstream closed or broke a connection.  A reused one that failed before
 * any byte of the answer was stale: try once more on a new connection. */
static void on_conn_error(struct mg_upc *u, const char *err)
{
    if (u->state == MG_UPC_HEAD && u->reused && !u->got_bytes && !u->stale_retried) {
        u->stale_retried = 1;
        detach(u, 0);
        u->reused = 0;
        upc_acquire(u);
        return;
    }
    if (u->state == MG_UPC_HEAD)
        upc_fail(u, err == h2o_socket_error_closed ? mg_upc_err_closed : mg_upc_err_io, err);
    else
        upc_fail(u, u->framing.framing == MG_H1_TO_CLOSE ? mg_upc_eos : (err == h2o_socket_error_closed ? mg_upc_err_closed : mg_upc_err_io),
             err);
}

void upc_acquire(struct mg_upc *u)
{
    struct mg_upc_pool *p = u->pool;
    if (!h2o_linklist_is_empty(&p->idle)) {
        struct upc_conn *c = H2O_STRUCT_FROM_MEMBER(struct upc_conn, link, p->idle.next);
        h2o_linklist_unlink(&c->link);
        p->nidle--;
        h2o_timeout_unlink(&c->idle_timer);
        c->u = u;
        u->conn = c;
        u->reused = 1;
        p->reused++;
        upc_send_request(u);
    } else if (p->nconns < p->max_conns) {
        upc_conn_open(u);
    } else {
        u->state = MG_UPC_WAITING;
        h2o_linklist_insert(&p->waiters, &u->waiting);
        h2o_timeout_link(p->loop, p->to->connect, &u->timer);
    }
}

/* ---- the exchange ------------------------------------------------------------- */

static void on_written(h2o_socket_t *sock, const char *err)
{
    struct upc_conn *c = sock->data;
    if (c->u == NULL)
        return;
    if (err != NULL)
        on_conn_error(c->u, err);
    else
        c->u->written = 1;
}

void upc_send_request(struct mg_upc *u)
{
    struct upc_conn *c = u->conn;
    if (h2o_timeout_is_linked(&u->timer))
        h2o_timeout_unlink(&u->timer);
    u->state = MG_UPC_HEAD;
    u->got_bytes = u->written = 0;
    h2o_socket_read_start(c->sock, on_read);
    h2o_timeout_link(u->pool->loop, u->pool->to->first_byte, &u->timer);
    h2o_socket_write(c->sock, u->req, u->nreq, on_written);
}

static void append_body(struct mg_upc *u, const char *p, size_t n)
{
    h2o_iovec_t dst = h2o_buffer_reserve(&u->body, n);
    memcpy(dst.base, p, n);
    u->body->size += n;
}

/* Works through what the socket has read, as far as the state allows. */
static void process(struct mg_upc *u)
{
    unsigned gen = u->gen;
    while (u->gen == gen && u->conn != NULL) {
        h2o_buffer_t **in = &u->conn->sock->input;
        if (u->state == MG_UPC_HEAD) {
            const char *why = NULL;
            int r;
            if ((*in)->size == 0)
                return;
            u->got_bytes = 1;
            r = mg_h1_parse_head((*in)->bytes, (*in)->size, &u->head, &why);
            if (r == 0) {
                if ((*in)->size > MG_H1_MAX_HEAD)
                    upc_fail(u, mg_upc_err_bad_response, "response head too large");
                return;
            }
            if (r < 0) {
                upc_fail(u, mg_upc_err_bad_response, why);
                return;
            }
            if (u->head.status < 200) { /* interim answer: the real one follows */
                h2o_buffer_consume(in, (size_t)r);
                continue;
            }
            h2o_timeout_unlink(&u->timer);
            u->state = MG_UPC_BODY;
            mg_h1_body_init(&u->framing, &u->head);
            u->on_head(u, NULL);
            if (u->gen != gen)
                return;
            h2o_buffer_consume(&u->conn->sock->input, (size_t)r);
            h2o_timeout_link(u->pool->loop, u->pool->to->io, &u->timer);
            if (u->framing.framing != MG_H1_NO_BODY)
                continue;
        }
        /* MG_UPC_BODY */
        if (u->paused)
            return;
        size_t have = (*in)->size, n = have, extra;
        if (n == 0 && u->framing.framing != MG_H1_NO_BODY)
            return;
        int done = mg_h1_body_feed(&u->framing, (*in)->bytes, &n, &extra);
        if (n != 0) /* with done < 0 too: the bytes decoded before the bad chunk are good */
            append_body(u, (*in)->bytes, n);
        if (done < 0) {
            upc_fail(u, mg_upc_err_bad_response, "malformed chunked encoding");
            return;
        }
        h2o_buffer_consume(in, have);
        if (done) {
            detach(u, extra == 0 && u->head.keep_alive);
            u->on_body(u, mg_upc_eos);
            return;
        }
        if (n != 0) {
            h2o_timeout_unlink(&u->timer);
            h2o_timeout_link(u->pool->loop, u->pool->to->io, &u->timer);
            u->on_body(u, NULL);
        }
        return;
    }
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct upc_conn *c = sock->data;
    struct mg_upc *u = c->u;
    unsigned gen = u->gen;
    /* bytes read in the same turn as an EOF come first */
    if (sock->input->size != 0)
        process(u);
    if (err != NULL && u->gen == gen && u->conn == c)
        on_conn_error(u, err);
}

/* ---- public ------------------------------------------------------------------- */

int mg_upc_target_init(struct mg_upc_target *t, const char *host, size_t hostlen, uint16_t port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *res = NULL;
    char portstr[8];
    if (hostlen == 0 || hostlen >= sizeof(t->host))
        return MG_ERR;
    memcpy(t->host, host, hostlen);
    t->host[hostlen] = '\0';
    t->port = port;
    t->addrlen = 0;
    struct in6_addr a6;
    struct in_addr a4;
    t->host_is_ip = inet_pton(AF_INET, t->host, &a4) == 1 || inet_pton(AF_INET6, t->host, &a6) == 1;
    /* the host we connect to: resolved now if it is an IP literal */
    const char *chost = t->proxy.host[0] ? t->proxy.host : t->host;
    snprintf(portstr, sizeof(portstr), "%u", t->proxy.host[0] ? t->proxy.port : t->port);
    if (getaddrinfo(chost, portstr, &hints, &res) == 0 && res != NULL && res->ai_addrlen <= sizeof(t->addr)) {
        memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
        t->addrlen = res->ai_addrlen;
    }
    if (res != NULL)
        freeaddrinfo(res);
    return MG_OK;
}

void mg_upc_pool_init(struct mg_upc_pool *p, h2o_loop_t *loop, h2o_multithread_receiver_t *getaddr,
                      const struct mg_upc_target *t, const struct mg_upc_timeouts *to, size_t max_conns,
                      size_t max_idle)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    p->getaddr = getaddr;
    p->target = t;
    p->to = to;
    p->max_conns = max_conns ? max_conns : 1;
    p->max_idle = max_idle;
    h2o_linklist_init_anchor(&p->idle);
    h2o_linklist_init_anchor(&p->waiters);
}

void mg_upc_pool_dispose(struct mg_upc_pool *p)
{
    while (!h2o_linklist_is_empty(&p->idle))
        upc_conn_close(H2O_STRUCT_FROM_MEMBER(struct upc_conn, link, p->idle.next));
}

void mg_upc_init(struct mg_upc *u)
{
    memset(u, 0, sizeof(*u));
    u->timer.cb = on_timer;
    h2o_buffer_init(&u->body, &h2o_socket_buffer_prototype);
}

void mg_upc_start(struct mg_upc *u, struct mg_upc_pool *p, const h2o_iovec_t *bufs, size_t nbufs)
{
    assert(u->state == MG_UPC_FREE && nbufs <= MG_ARRAY_SIZE(u->req));
    u->pool = p;
    u->nreq = nbufs;
    memcpy(u->req, bufs, nbufs * sizeof(*bufs));
    u->gen++;
    u->detail = NULL;
    u->pending_err = NULL;
    u->paused = u->reused = u->stale_retried = u->got_bytes = 0;
    upc_acquire(u);
}

void mg_upc_cancel(struct mg_upc *u)
{
    if (u->state == MG_UPC_FREE && !h2o_timeout_is_linked(&u->timer))
        return;
    detach(u, 0);
}

void mg_upc_pause(struct mg_upc *u)
{
    if (u->state != MG_UPC_BODY || u->paused)
        return;
    u->paused = 1;
    h2o_socket_read_stop(u->conn->sock);
    if (h2o_timeout_is_linked(&u->timer)) /* waiting on our client is not the upstream's idleness */
        h2o_timeout_unlink(&u->timer);
}

void mg_upc_resume(struct mg_upc *u)
{
    if (!u->paused)
        return;
    u->paused = 0;
    if (u->state != MG_UPC_BODY)
        return;
    h2o_socket_read_start(u->conn->sock, on_read);
    h2o_timeout_link(u->pool->loop, u->pool->to->io, &u->timer);
    if (u->conn->sock->input->size != 0)
        process(u);
}

void mg_upc_dispose(struct mg_upc *u)
{
    mg_upc_cancel(u);
    h2o_buffer_dispose(&u->body);
}
