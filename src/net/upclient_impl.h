/*
 * upclient_impl.h: what the two halves of the upstream client share
 * (upclient.c: exchanges; upconn.c: connections and the idle pool).
 * Not for use outside src/net/upclient*.c and upconn.c.
 */
#ifndef MG_NET_UPCLIENT_IMPL_H
#define MG_NET_UPCLIENT_IMPL_H

#include "net/upclient.h"

enum conn_state { C_RESOLVING, C_CONNECTING, C_PROXY, C_TLS, C_READY };

struct upc_conn {
    h2o_linklist_t link; /* pool->idle while idle */
    struct mg_upc_pool *pool;
    h2o_socket_t *sock;
    struct mg_upc *u; /* the exchange using it; NULL while idle */
    h2o_hostinfo_getaddr_req_t *getaddr;
    h2o_timeout_entry_t idle_timer;
    enum conn_state state;
    char connect_req[600]; /* the CONNECT request, alive until written */
};

/* upconn.c */
void upc_conn_open(struct mg_upc *u);      /* a new connection for u (counts against the cap) */
void upc_conn_close(struct upc_conn *c);   /* closes; a waiting exchange may then get a slot */
void upc_conn_release(struct upc_conn *c); /* back to the idle list (or closed past max_idle) */
void upc_pool_kick(struct mg_upc_pool *p); /* hands idle connections or free slots to waiters */

/* upclient.c */
void upc_acquire(struct mg_upc *u);        /* an idle connection, a new one, or the wait list */
void upc_send_request(struct mg_upc *u);   /* u's connection is ready: write the request */
void upc_fail(struct mg_upc *u, const char *err, const char *detail);
void upc_fail_later(struct mg_upc *u, const char *err, const char *detail); /* on the next loop turn */

#endif
