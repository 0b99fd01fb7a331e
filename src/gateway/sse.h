/*
 * sse.h: an incremental Server-Sent Events parser.
 *
 * Bytes are fed as they arrive, split anywhere (even inside a CRLF); each
 * complete event (terminated by a blank line) is handed to the callback with
 * its event name and its data lines joined by '\n'.  LF, CRLF and CR line
 * ends are accepted; comment lines (":...") and unknown fields are ignored.
 * An event's data is capped: a bigger event is reported with `truncated` set
 * and its data cut, so memory stays bounded whatever the upstream sends.
 */
#ifndef MG_GATEWAY_SSE_H
#define MG_GATEWAY_SSE_H

#include <stddef.h>
#include "core/buf.h"

typedef void (*mg_sse_event_cb)(void *arg, const char *event, size_t event_len, const char *data, size_t data_len,
                                int truncated);

struct mg_sse {
    mg_sse_event_cb cb;
    void *arg;
    struct mg_buf line;  /* the current, incomplete line */
    struct mg_buf event; /* event name of the event being built */
    struct mg_buf data;  /* data lines of the event being built */
    int has_data;
    int truncated;
    int after_cr;        /* the last byte was CR: a following LF belongs to it */
};

void mg_sse_init(struct mg_sse *p, size_t max_event, mg_sse_event_cb cb, void *arg);
void mg_sse_feed(struct mg_sse *p, const char *bytes, size_t len);
void mg_sse_free(struct mg_sse *p);

#endif
