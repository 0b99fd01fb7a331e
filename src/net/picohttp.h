/*
 * picohttp.h: the picohttpparser functions libh2o-evloop 2.2.5 exports.
 * Debian's libh2o-evloop-dev does not install picohttpparser.h, so the few
 * prototypes we call are declared here, once, exactly as h2o 2.2.5 defines
 * them (deps/picohttpparser/picohttpparser.h at tag v2.2.5).
 */
#ifndef MG_NET_PICOHTTP_H
#define MG_NET_PICOHTTP_H

#include <stddef.h>
#include <sys/types.h>

/* One header; name == NULL marks a continuation line (obs-fold). */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Bytes consumed, -2 if the head is incomplete, -1 if it is malformed.
 * *num_headers is the capacity on entry and the count on return. */
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status, const char **msg, size_t *msg_len,
                       struct phr_header *headers, size_t *num_headers, size_t last_len);

/* Zero-filled before the first call. */
struct phr_chunked_decoder {
    size_t bytes_left_in_chunk;
    char consume_trailer;
    char _hex_count;
    char _state;
};

/* Decodes chunked bytes in place: on return buf[0..*bufsz) holds body bytes.
 * -2: more input needed (everything given was used); -1: malformed;
 * n >= 0: the body ended and n bytes after it (at buf + *bufsz) were not used. */
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);

#endif
