/*
 * http.h: the small HTTP toolbox shared by maxgated and maxgate-sim, on top of
 * h2o 2.2 (evloop): listening sockets, server TLS, the accept loop, and a few
 * request/response helpers.  No product logic here.
 */
#ifndef MG_NET_HTTP_H
#define MG_NET_HTTP_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <openssl/ssl.h>
#include "core/mg.h"

/* A non-blocking listening TCP socket on "host:port" (IPv4 or [IPv6]) with
 * SO_REUSEADDR and SO_REUSEPORT, so each loop thread can have its own.  Port 0
 * picks a free port; *bound_port gets the real one.  -1 with err on failure. */
int mg_net_listen(const char *hostport, uint16_t *bound_port, char *err, size_t errlen);

/* A server TLS context from PEM files (TLS 1.2+; ALPN offers http/1.1 only). */
SSL_CTX *mg_net_tls_server(const char *cert_file, const char *key_file, char *err, size_t errlen);

/* The open client connections of every listener that shares it (one per
 * process, all loop threads).  max = 0: no cap. */
struct mg_net_conns {
    _Atomic size_t open;
    size_t max;
};

/*
 * Starts accepting connections from fd on loop into actx (kept by the caller).
 * With conns, a connection that would be one more than conns->max is closed
 * at once, and every accepted one is counted in conns->open until it closes.
 * When accept fails for want of descriptors or memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) the listener pauses for MG_NET_ACCEPT_PAUSE_MS and tries
 * again, logging one line per MG_NET_LIMIT_LOG_MS at most; open connections
 * are served meanwhile.  Returns the listener socket, to be closed with
 * h2o_socket_close (which also frees the listener's state).
 */
h2o_socket_t *mg_net_accept_start(h2o_loop_t *loop, int fd, h2o_accept_ctx_t *actx, struct mg_net_conns *conns);

/* The reason phrase for a status ("Too Many Requests"); never NULL. */
const char *mg_http_reason(int status);

/* Sends a complete response; body is copied. */
void mg_http_respond(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);

/* The value of a request header (name in lower case), or MG_STR_NULL. */
struct mg_str mg_http_header(h2o_req_t *req, const char *lname);

/* The value of query parameter name (not percent-decoded), MG_OK or MG_DECLINED. */
int mg_http_query(h2o_req_t *req, const char *name, struct mg_str *out);

/* The path without the query string. */
struct mg_str mg_http_path(h2o_req_t *req);

#endif
