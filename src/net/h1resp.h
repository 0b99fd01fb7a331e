/*
 * h1resp.h: strict reading of an upstream's HTTP/1.1 response, without
 * sockets: the head (status line and headers) and the body's framing
 * (Content-Length, chunked, or until close).  The upstream client feeds it
 * bytes as they arrive; the fuzzer feeds it anything.
 *
 * Strictness (an upstream that breaks these gets upstream_bad_response, and
 * its connection is never reused):
 *   - a status line picohttpparser accepts, with a status of 100..599;
 *     101 is refused (we never ask to upgrade);
 *   - no folded header lines (obs-fold);
 *   - Content-Length: digits only, at most MG_H1_MAX_LENGTH; repeated only
 *     with the same value;
 *   - Transfer-Encoding: exactly "chunked" (we send no accept-encoding, so no
 *     other coding has a reason to be there), once, and never together with
 *     Content-Length (a response that has both is how smuggling starts);
 *   - a head over MG_H1_MAX_HEAD bytes or MG_H1_MAX_HEADERS lines.
 * 1xx answers are interim: the caller skips them and reads the next head.
 */
#ifndef MG_NET_H1RESP_H
#define MG_NET_H1RESP_H

#include <stddef.h>
#include <stdint.h>
#include "net/picohttp.h"

#define MG_H1_MAX_HEADERS 64              /* MiniMax sends about 15 */
#define MG_H1_MAX_HEAD (64 * 1024)        /* a head this big is not a real API's */
#define MG_H1_MAX_LENGTH (1ull << 40)     /* 1 TiB: anything bigger is a broken header */

enum mg_h1_framing {
    MG_H1_NO_BODY,  /* 204, 304, 1xx */
    MG_H1_LENGTH,   /* Content-Length bytes */
    MG_H1_CHUNKED,
    MG_H1_TO_CLOSE, /* neither: the body ends when the connection does */
};

struct mg_h1_head {
    int minor_version;
    int status;
    struct phr_header headers[MG_H1_MAX_HEADERS]; /* point into the parsed bytes */
    size_t num_headers;
    enum mg_h1_framing framing;
    uint64_t content_length;
    int keep_alive; /* the connection may carry another request after this one */
};

/*
 * Parses a head from buf[0..len).  Returns the bytes it took (> 0), 0 if more
 * bytes are needed (the caller fails the response once len passes
 * MG_H1_MAX_HEAD), or -1 if the head is malformed, with *why set to a static
 * reason for the log.
 */
int mg_h1_parse_head(const char *buf, size_t len, struct mg_h1_head *h, const char **why);

struct mg_h1_body {
    enum mg_h1_framing framing;
    uint64_t left; /* MG_H1_LENGTH: bytes still to come */
    struct phr_chunked_decoder chunked;
};

void mg_h1_body_init(struct mg_h1_body *b, const struct mg_h1_head *h);

/*
 * Decodes body bytes in place.  On entry buf[0..*len) are bytes from the wire;
 * on return buf[0..*len) are body bytes.  Returns 0 if the body goes on, 1 if
 * it ended (*extra: wire bytes after its end, which make the connection
 * unusable), -1 if the chunk framing is malformed (buf[0..*len) then holds
 * the body bytes decoded before the bad chunk).  MG_H1_TO_CLOSE bodies end
 * only at EOF, which the caller sees, not this function.
 */
int mg_h1_body_feed(struct mg_h1_body *b, char *buf, size_t *len, size_t *extra);

#endif
