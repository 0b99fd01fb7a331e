/*
 * framing.h: the request-framing policy of maxgated's listening side (issue 7
 * §3, SECURITY-REFERENCES §8.50).  One h2o handler that runs before every other
 * handler of a host and refuses a request whose framing another HTTP hop could
 * read differently: 400, then the connection is closed, so bytes pipelined
 * behind it are never parsed as a request.
 *
 * Why a re-scan: h2o 2.2.5's HTTP/1 parser (picohttpparser + lib/http1.c)
 * accepts Content-Length together with Transfer-Encoding (chunked wins),
 * repeated Content-Length (the first wins), repeated Transfer-Encoding (the
 * last wins), bare LF line ends and obs-fold continuation lines, and it keeps
 * neither Content-Length nor Transfer-Encoding in req->headers.  The request
 * head is still at the start of the connection's input buffer when handlers
 * run (h2o consumes a request's bytes only after its response is sent, and
 * decodes a chunked body in place after the head), so the guard reads it there.
 * What h2o refuses itself (a malformed head, a bad Content-Length value, a
 * Transfer-Encoding other than "chunked", a broken chunk) already gets a 400
 * with the connection closed (H2O_SEND_ERROR_HTTP1_CLOSE_CONNECTION).
 */
#ifndef MG_NET_FRAMING_H
#define MG_NET_FRAMING_H

#include "net/http.h"

enum mg_net_framing {
    MG_FRAMING_OK = 0,
    MG_FRAMING_CL_AND_TE,   /* Content-Length and Transfer-Encoding */
    MG_FRAMING_CL_REPEATED, /* more than one Content-Length header (equal values too) */
    MG_FRAMING_TE_REPEATED, /* more than one Transfer-Encoding header */
    MG_FRAMING_BARE_LF,     /* a line of the head ends in LF without CR */
    MG_FRAMING_OBS_FOLD,    /* a header line starts with SP or HTAB (obs-fold) */
    MG_FRAMING_UNREADABLE,  /* the head is not where h2o left it: refused, and logged as a bug */
};

/*
 * Checks the request head at the start of buf (len bytes; anything after the
 * head, such as the body, is not read).  One empty line before the request
 * line is skipped, as picohttpparser does.  Returns the first problem found,
 * or MG_FRAMING_OK.
 */
enum mg_net_framing mg_net_framing_check(const char *buf, size_t len);

/* One sentence naming the problem, for the client's error message and the log. */
const char *mg_net_framing_text(enum mg_net_framing f);

/* Sends the refusal for req (any response; the connection is already marked
 * to close after it). */
typedef void (*mg_net_framing_reject_cb)(h2o_req_t *req, enum mg_net_framing why);

/*
 * Puts the guard first on every path of host, and on its fallback path.  Call
 * it after every path is registered.  HTTP/2 requests (req->version >= 0x200)
 * are passed on unchecked: their framing is binary and h2o checks it.
 */
void mg_net_framing_guard(h2o_hostconf_t *host, mg_net_framing_reject_cb reject);

#endif
