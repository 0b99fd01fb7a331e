/*
 * upclient.h: the gateway's HTTP/1.1 client toward upstreams, on h2o 2.2.5's
 * evloop sockets (h2o_socket_t) and the picohttpparser in libh2o.  It
 * replaces h2o_http1client + h2o_socketpool, which cannot stop reading a
 * socket (a slow client made the gateway buffer a whole stream) and export /
 * re-import a pooled socket on every request (two epoll_ctl, two fcntl and a
 * recv(MSG_PEEK) each time).
 *
 * Pools.  One mg_upc_pool per loop thread per upstream target.  An idle
 * connection stays registered with the loop, reading: any byte or EOF on it
 * closes it, and it is closed after `keepalive` of idleness.  At most
 * max_conns connections (idle + busy) per pool; past that an exchange waits
 * (FIFO) for a connection, within its connect timeout.  A reused connection
 * that fails before any byte of the answer is retried once on a new one (the
 * upstream closed it while it was idle).
 *
 * Exchanges.  A struct mg_upc is one request/response, embedded in the
 * caller's state.  Its callbacks run on the loop thread:
 *   on_head(u, NULL)   the head is in u->head (header pointers valid only
 *                      during the call: copy what you keep);
 *   on_head(u, err)    the exchange failed before a head (err: mg_upc_err_*);
 *   on_body(u, NULL)   decoded body bytes were appended to u->body;
 *   on_body(u, mg_upc_eos)  the body is complete (u->body has the rest);
 *   on_body(u, err)    the body broke (early close, bad chunk, idle timeout).
 * After eos or an error the exchange is over and holds no connection.  A
 * callback may call mg_upc_cancel (and start the same mg_upc again).
 *
 * Backpressure.  The caller takes bytes out of u->body (h2o_buffer_consume).
 * mg_upc_pause stops reading the socket (the kernel's window then stops the
 * upstream); mg_upc_resume reads again.  Memory per exchange is then bounded
 * by what the caller lets u->body hold plus one socket read.
 */
#ifndef MG_NET_UPCLIENT_H
#define MG_NET_UPCLIENT_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include "net/egress.h"
#include "net/h1resp.h"

/* Errors (compare pointers).  h2o's and OpenSSL's texts are kept in u->detail. */
extern const char mg_upc_eos[];
extern const char mg_upc_err_resolve[];
extern const char mg_upc_err_connect[];
extern const char mg_upc_err_connect_timeout[];
extern const char mg_upc_err_pool_full[]; /* waited past the connect timeout for a connection under the cap */
extern const char mg_upc_err_proxy[];
extern const char mg_upc_err_tls[];
extern const char mg_upc_err_first_byte_timeout[];
extern const char mg_upc_err_io_timeout[];
extern const char mg_upc_err_io[];
extern const char mg_upc_err_bad_response[];
extern const char mg_upc_err_closed[];

/* Where a channel's connections go; built once, shared read-only by threads. */
struct mg_upc_target {
    char host[256];      /* origin host (name or IP literal, no brackets) */
    uint16_t port;
    SSL_CTX *ssl;        /* NULL: plain TCP; else verifies chain and host */
    struct mg_egress proxy;
    int host_is_ip;      /* OpenSSL checks an IP SAN; h2o 2.2.5's name check would refuse it */
    /* resolved once when the connect host (origin or proxy) is an IP literal */
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

/* Fills in target (ssl and proxy are set by the caller first).  MG_OK or MG_ERR. */
int mg_upc_target_init(struct mg_upc_target *t, const char *host, size_t hostlen, uint16_t port);

struct mg_upc_timeouts { /* owned by the loop thread, shared by its pools */
    h2o_timeout_t *connect;    /* DNS + TCP + proxy CONNECT + TLS, and waiting for a pool slot */
    h2o_timeout_t *first_byte; /* request written -> answer head */
    h2o_timeout_t *io;         /* gap between body reads */
    h2o_timeout_t *keepalive;  /* an idle pooled connection lives this long */
    h2o_timeout_t *zero;       /* for failures reported on the next loop turn */
};

struct mg_upc_pool {
    h2o_loop_t *loop;
    h2o_multithread_receiver_t *getaddr; /* the context's hostinfo receiver */
    const struct mg_upc_target *target;
    const struct mg_upc_timeouts *to;
    size_t max_conns, max_idle;
    size_t nconns, nidle;
    h2o_linklist_t idle;    /* struct upc_conn, most recently used first */
    h2o_linklist_t waiters; /* struct mg_upc waiting for a connection */
    uint64_t opened, reused; /* counters (tests, metrics) */
};

void mg_upc_pool_init(struct mg_upc_pool *p, h2o_loop_t *loop, h2o_multithread_receiver_t *getaddr,
                      const struct mg_upc_target *t, const struct mg_upc_timeouts *to, size_t max_conns,
                      size_t max_idle);
/* Closes idle connections; busy ones must have been cancelled. */
void mg_upc_pool_dispose(struct mg_upc_pool *p);

enum mg_upc_state {
    MG_UPC_FREE,     /* not started, or over */
    MG_UPC_WAITING,  /* for a pool slot */
    MG_UPC_CONNECTING,
    MG_UPC_HEAD,     /* request being written, head being read */
    MG_UPC_BODY,
};

struct upc_conn;

struct mg_upc {
    void *data;
    void (*on_head)(struct mg_upc *u, const char *err);
    void (*on_body)(struct mg_upc *u, const char *err);
    struct mg_h1_head head;
    h2o_buffer_t *body;  /* decoded body bytes not taken by the caller */
    const char *detail;  /* the library's text for the last error (static), or NULL */
    /* private */
    enum mg_upc_state state;
    struct mg_upc_pool *pool;
    struct upc_conn *conn;
    h2o_iovec_t req[3];
    size_t nreq;
    struct mg_h1_body framing;
    h2o_timeout_entry_t timer;
    h2o_linklist_t waiting;
    const char *pending_err;
    unsigned gen;
    unsigned paused : 1;
    unsigned reused : 1;
    unsigned stale_retried : 1;
    unsigned got_bytes : 1;
    unsigned written : 1;
};

void mg_upc_init(struct mg_upc *u);
/* Starts an exchange: the request head and body in bufs (kept alive by the
 * caller until the exchange ends; at most 3). */
void mg_upc_start(struct mg_upc *u, struct mg_upc_pool *p, const h2o_iovec_t *bufs, size_t nbufs);
/* Ends the exchange now, without callbacks; its connection is closed. */
void mg_upc_cancel(struct mg_upc *u);
void mg_upc_pause(struct mg_upc *u);
void mg_upc_resume(struct mg_upc *u);
/* Cancels and frees u->body. */
void mg_upc_dispose(struct mg_upc *u);

#endif
