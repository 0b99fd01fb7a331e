/*
 * upconn.c: the upstream client's connections (see upclient.h): opening one
 * (resolve unless the host is an IP literal, TCP, CONNECT through the egress
 * proxy, TLS) and keeping it idle in its pool between exchanges.  An idle
 * connection stays registered with the loop, reading: any byte or EOF
 * closes it, and so does the keep-alive timeout.
 */
#include "net/upclient_impl.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

/* ---- connections ------------------------------------------------------------ */

void upc_pool_kick(struct mg_upc_pool *p)
{
    while (!h2o_linklist_is_empty(&p->waiters) && (p->nidle > 0 || p->nconns < p->max_conns)) {
        struct mg_upc *u = H2O_STRUCT_FROM_MEMBER(struct mg_upc, waiting, p->waiters.next);
        h2o_linklist_unlink(&u->waiting);
        if (h2o_timeout_is_linked(&u->timer))
            h2o_timeout_unlink(&u->timer);
        upc_acquire(u);
    }
}

void upc_conn_close(struct upc_conn *c)
{
    struct mg_upc_pool *p = c->pool;
    if (c->getaddr != NULL)
        h2o_hostinfo_getaddr_cancel(c->getaddr);
    if (c->sock != NULL)
        h2o_socket_close(c->sock);
    if (h2o_timeout_is_linked(&c->idle_timer))
        h2o_timeout_unlink(&c->idle_timer);
    if (h2o_linklist_is_linked(&c->link)) {
        h2o_linklist_unlink(&c->link);
        p->nidle--;
    }
    p->nconns--;
    free(c);
    upc_pool_kick(p);
}

static void on_idle_timeout(h2o_timeout_entry_t *entry)
{
    upc_conn_close(H2O_STRUCT_FROM_MEMBER(struct upc_conn, idle_timer, entry));
}

/* Any byte or EOF on an idle connection: the upstream is done with it. */
static void on_idle_read(h2o_socket_t *sock, const char *err)
{
    upc_conn_close(sock->data);
}

void upc_conn_release(struct upc_conn *c)
{
    struct mg_upc_pool *p = c->pool;
    if (p->nidle >= p->max_idle) {
        upc_conn_close(c);
        return;
    }
    h2o_socket_read_start(c->sock, on_idle_read); /* stays polled: no epoll_ctl */
    h2o_timeout_link(p->loop, p->to->keepalive, &c->idle_timer);
    h2o_linklist_insert(p->idle.next, &c->link);
    p->nidle++;
    upc_pool_kick(p);
}

/* ---- connecting --------------------------------------------------------------- */

static void conn_ready(struct upc_conn *c)
{
    c->state = C_READY;
    upc_send_request(c->u);
}

static void on_handshake(h2o_socket_t *sock, const char *err)
{
    struct upc_conn *c = sock->data;
    /* OpenSSL already checked the chain and the host name or IP address (the
     * context's verify parameters); h2o's own check knows no IP SANs. */
    if (err != NULL && !(err == h2o_socket_error_ssl_cert_name_mismatch && c->pool->target->host_is_ip)) {
        upc_fail(c->u, mg_upc_err_tls, err);
        return;
    }
    conn_ready(c);
}

static void tunnel_ready(struct upc_conn *c)
{
    const struct mg_upc_target *t = c->pool->target;
    if (t->ssl != NULL) {
        c->state = C_TLS;
        h2o_socket_ssl_handshake(c->sock, t->ssl, t->host, on_handshake);
    } else {
        conn_ready(c);
    }
}

static void on_proxy_read(h2o_socket_t *sock, const char *err)
{
    struct upc_conn *c = sock->data;
    struct mg_h1_head *h = &c->u->head;
    const char *why = NULL;
    int r;
    if (err != NULL) {
        upc_fail(c->u, mg_upc_err_proxy, err);
        return;
    }
    r = mg_h1_parse_head(sock->input->bytes, sock->input->size, h, &why);
    if (r == 0 && sock->input->size <= MG_H1_MAX_HEAD)
        return;
    if (r <= 0 || h->status < 200 || h->status > 299) {
        upc_fail(c->u, mg_upc_err_proxy, r <= 0 ? "the proxy's answer is not HTTP" : "the proxy refused CONNECT");
        return;
    }
    h2o_buffer_consume(&sock->input, (size_t)r);
    h2o_socket_read_stop(sock);
    tunnel_ready(c);
}

static void on_proxy_written(h2o_socket_t *sock, const char *err)
{
    struct upc_conn *c = sock->data;
    if (err != NULL)
        upc_fail(c->u, mg_upc_err_proxy, err);
}

static void on_connect(h2o_socket_t *sock, const char *err)
{
    struct upc_conn *c = sock->data;
    const struct mg_upc_target *t = c->pool->target;
    if (err != NULL) {
        upc_fail(c->u, mg_upc_err_connect, err);
        return;
    }
    if (t->proxy.host[0] == '\0') {
        tunnel_ready(c);
        return;
    }
    const char *br = strchr(t->host, ':') ? "[" : "", *er = br[0] ? "]" : "";
    int n = snprintf(c->connect_req, sizeof(c->connect_req), "CONNECT %s%s%s:%u HTTP/1.1\r\nhost: %s%s%s:%u\r\n%s\r\n",
                     br, t->host, er, t->port, br, t->host, er, t->port, t->proxy.auth);
    h2o_iovec_t buf = h2o_iovec_init(c->connect_req, (size_t)n);
    c->state = C_PROXY;
    h2o_socket_read_start(sock, on_proxy_read);
    h2o_socket_write(sock, &buf, 1, on_proxy_written);
}

static void connect_to(struct upc_conn *c, struct sockaddr *sa, socklen_t len)
{
    c->state = C_CONNECTING;
    if ((c->sock = h2o_socket_connect(c->pool->loop, sa, len, on_connect)) == NULL) {
        upc_fail_later(c->u, mg_upc_err_connect, "connect(2) failed at once");
        return;
    }
    c->sock->data = c;
}

static void on_getaddr(h2o_hostinfo_getaddr_req_t *req, const char *errstr, struct addrinfo *res, void *data)
{
    struct upc_conn *c = data;
    c->getaddr = NULL;
    if (errstr != NULL || res == NULL) {
        upc_fail(c->u, mg_upc_err_resolve, errstr);
        return;
    }
    struct addrinfo *ai = h2o_hostinfo_select_one(res);
    connect_to(c, ai->ai_addr, ai->ai_addrlen);
}

void upc_conn_open(struct mg_upc *u)
{
    struct mg_upc_pool *p = u->pool;
    const struct mg_upc_target *t = p->target;
    struct upc_conn *c = mg_calloc(1, sizeof(*c));
    c->pool = p;
    c->u = u;
    c->idle_timer.cb = on_idle_timeout;
    u->conn = c;
    u->state = MG_UPC_CONNECTING;
    p->nconns++;
    p->opened++;
    h2o_timeout_link(p->loop, p->to->connect, &u->timer);
    if (t->addrlen != 0) {
        connect_to(c, (struct sockaddr *)&t->addr, t->addrlen);
        return;
    }
    const char *host = t->proxy.host[0] ? t->proxy.host : t->host;
    char port[8];
    int pn = snprintf(port, sizeof(port), "%u", t->proxy.host[0] ? t->proxy.port : t->port);
    c->state = C_RESOLVING;
    c->getaddr = h2o_hostinfo_getaddr(p->getaddr, h2o_iovec_init(host, strlen(host)), h2o_iovec_init(port, (size_t)pn),
                                      AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, AI_ADDRCONFIG | AI_NUMERICSERV, on_getaddr, c);
}

