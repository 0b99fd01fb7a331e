/*
 * egress.h: which proxy an upstream connection goes through (GW-7).
 *
 * A channel's own `proxy =` setting wins: "none" (or "direct") means no proxy,
 * a URL means that proxy.  Without it, the environment decides as curl and
 * most tools do: HTTPS_PROXY / https_proxy for https upstreams, HTTP_PROXY /
 * http_proxy for http ones, and NO_PROXY / no_proxy (comma-separated host
 * names, domain suffixes such as ".example.com" or "example.com", IP
 * addresses, or "*") exempts hosts.  Connections go through the proxy with
 * CONNECT, for http and https upstreams alike, so TLS stays end to end.
 * A proxy URL is http://[user:password@]host[:port] (port 3128 when absent,
 * as curl assumes 1080 for socks and squid listens on 3128 — we take 3128);
 * user:password become a Basic Proxy-Authorization header.
 */
#ifndef MG_NET_EGRESS_H
#define MG_NET_EGRESS_H

#include <stddef.h>
#include <stdint.h>

struct mg_egress {
    char host[256]; /* "" = connect directly */
    uint16_t port;
    char auth[512]; /* "proxy-authorization: Basic ...\r\n", or "" (a secret: never logged) */
};

/*
 * Decides the proxy for an upstream at host (is_https: its scheme) from the
 * channel's setting (NULL or "" = use the environment).  MG_OK, or MG_ERR with
 * a message in err for a proxy URL that cannot be used.
 */
int mg_egress_for(const char *host, int is_https, const char *setting, struct mg_egress *out, char *err, size_t errlen);

/* 1 if a NO_PROXY list exempts host. */
int mg_egress_no_proxy(const char *list, const char *host);

#endif
