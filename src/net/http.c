/* http.c: listeners, TLS and request helpers (see http.h). */
#include "net/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024 /* enough for a burst of connections at benchmark concurrency */

int mg_net_listen(const char *hostport, uint16_t *bound_port, char *err, size_t errlen)
{
    char host[256], port[16];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *res = NULL;
    int fd = -1, one = 1, gai;

    if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host) || strlen(colon + 1) >= sizeof(port)) {
        snprintf(err, errlen, "listen address '%s' must be host:port, e.g. 127.0.0.1:8080", hostport);
        return -1;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    mg_strlcpy(port, colon + 1, sizeof(port));
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if ((gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) != 0) {
        snprintf(err, errlen, "cannot resolve listen address '%s': %s", hostport, gai_strerror(gai));
        return -1;
    }
    if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", hostport, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (bound_port != NULL) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        getsockname(fd, (struct sockaddr *)&ss, &sl);
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return fd;
}

SSL_CTX *mg_net_tls_server(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        snprintf(err, errlen, "cannot load TLS certificate %s (PEM expected)", cert_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "cannot load TLS key %s, or it does not match the certificate", key_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;
    if (err != NULL)
        return;
    /* accept a batch: the loop is edge-free but this saves wakeups under load */
    for (int i = 0; i < 16 && (sock = h2o_evloop_socket_accept(listener)) != NULL; i++)
        h2o_accept(listener->data, sock);
}

h2o_socket_t *mg_net_accept_start(h2o_loop_t *loop, int fd, h2o_accept_ctx_t *actx)
{
    h2o_socket_t *sock = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = actx;
    h2o_socket_read_start(sock, on_accept);
    return sock;
}

const char *mg_http_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {200, "OK"}, {201, "Created"}, {202, "Accepted"}, {204, "No Content"}, {301, "Moved Permanently"},
        {302, "Found"}, {304, "Not Modified"}, {400, "Bad Request"}, {401, "Unauthorized"},
        {402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
        {408, "Request Timeout"}, {409, "Conflict"}, {413, "Content Too Large"}, {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"}, {429, "Too Many Requests"}, {499, "Client Closed Request"},
        {500, "Internal Server Error"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(reasons); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
}

void mg_http_respond(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = mg_http_reason(status);
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    h2o_send_inline(req, body, len);
}

struct mg_str mg_http_header(h2o_req_t *req, const char *lname)
{
    size_t n = strlen(lname);
    for (size_t i = 0; i < req->headers.size; i++) {
        h2o_header_t *h = &req->headers.entries[i];
        if (h->name->len == n && h2o_lcstris(h->name->base, n, lname, n))
            return mg_str_make(h->value.base, h->value.len);
    }
    return MG_STR_NULL;
}

int mg_http_query(h2o_req_t *req, const char *name, struct mg_str *out)
{
    size_t n = strlen(name);
    if (req->query_at == SIZE_MAX)
        return MG_DECLINED;
    const char *p = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        size_t klen = (size_t)((eq ? eq : e) - p);
        if (klen == n && memcmp(p, name, n) == 0) {
            *out = eq ? mg_str_make(eq + 1, (size_t)(e - eq - 1)) : mg_str_make(e, 0);
            return MG_OK;
        }
        p = e + 1;
    }
    return MG_DECLINED;
}

struct mg_str mg_http_path(h2o_req_t *req)
{
    size_t n = req->query_at == SIZE_MAX ? req->path.len : req->query_at;
    return mg_str_make(req->path.base, n);
}
