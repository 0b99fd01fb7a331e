/* framing.c: the request-framing guard (see framing.h for the policy and why). */
#include "net/framing.h"

#include <string.h>

struct guard {
    h2o_handler_t super;
    mg_net_framing_reject_cb reject;
};

static int name_is(const char *p, size_t n, const char *lname)
{
    size_t ln = strlen(lname);
    return n == ln && h2o_lcstris(p, n, lname, ln);
}

enum mg_net_framing mg_net_framing_check(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    int first = 1, ncl = 0, nte = 0;

    if (p < end && *p == '\n')
        return MG_FRAMING_BARE_LF;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
        p += 2;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return MG_FRAMING_UNREADABLE;
        if (nl == p || nl[-1] != '\r')
            return MG_FRAMING_BARE_LF;
        size_t n = (size_t)(nl - 1 - p); /* the line without CRLF */
        if (n == 0)
            break; /* the empty line that ends the head */
        if (!first) {
            if (p[0] == ' ' || p[0] == '\t')
                return MG_FRAMING_OBS_FOLD;
            const char *colon = memchr(p, ':', n);
            size_t nlen = colon ? (size_t)(colon - p) : n;
            ncl += name_is(p, nlen, "content-length");
            nte += name_is(p, nlen, "transfer-encoding");
        }
        first = 0;
        p = nl + 1;
    }
    if (ncl > 0 && nte > 0)
        return MG_FRAMING_CL_AND_TE;
    if (ncl > 1)
        return MG_FRAMING_CL_REPEATED;
    if (nte > 1)
        return MG_FRAMING_TE_REPEATED;
    return MG_FRAMING_OK;
}

const char *mg_net_framing_text(enum mg_net_framing f)
{
    switch (f) {
    case MG_FRAMING_OK:
        return "";
    case MG_FRAMING_CL_AND_TE:
        return "It has both Content-Length and Transfer-Encoding; send one of them.";
    case MG_FRAMING_CL_REPEATED:
        return "It has more than one Content-Length header; send exactly one.";
    case MG_FRAMING_TE_REPEATED:
        return "It has more than one Transfer-Encoding header; send one, 'Transfer-Encoding: chunked'.";
    case MG_FRAMING_BARE_LF:
        return "A line of its head ends in a bare LF; end every line with CRLF.";
    case MG_FRAMING_OBS_FOLD:
        return "A header is folded over several lines (obs-fold); put each header on one line.";
    case MG_FRAMING_UNREADABLE:
        return "Its head could not be read back.";
    }
    return "";
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct guard *g = (struct guard *)self;
    if (req->version >= 0x200 || req->conn->callbacks->get_socket == NULL)
        return -1;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL || sock->input == NULL)
        return -1;
    enum mg_net_framing f = mg_net_framing_check(sock->input->bytes, sock->input->size);
    if (f == MG_FRAMING_OK)
        return -1;
    req->http1_is_persistent = 0; /* "Connection: close", and h2o closes after the response */
    g->reject(req, f);
    return 0;
}

void mg_net_framing_guard(h2o_hostconf_t *host, mg_net_framing_reject_cb reject)
{
    for (size_t i = 0; i <= host->paths.size; i++) {
        h2o_pathconf_t *pc = i < host->paths.size ? &host->paths.entries[i] : &host->fallback_path;
        struct guard *g = (struct guard *)h2o_create_handler(pc, sizeof(*g));
        g->super.on_req = on_req;
        g->reject = reject;
        /* h2o_create_handler appends; the guard must run first */
        memmove(pc->handlers.entries + 1, pc->handlers.entries, (pc->handlers.size - 1) * sizeof(pc->handlers.entries[0]));
        pc->handlers.entries[0] = &g->super;
    }
}
