/*
 * log.h: structured logs.  The server log is one JSON object per line on
 * stderr ({"ts","level","msg",...}); the access log (GW-10) is one JSON object
 * per request to its own sink.  Neither ever carries a secret: callers pass a
 * key's public id, never the key.
 */
#ifndef MG_CORE_LOG_H
#define MG_CORE_LOG_H

#include <stdint.h>

enum mg_log_level { MG_LOG_DEBUG = 0, MG_LOG_INFO, MG_LOG_WARN, MG_LOG_ERROR };

void mg_log_set_level(enum mg_log_level lv);
/* printf-style message; the formatted text is JSON-escaped into "msg". */
void mg_log(enum mg_log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct mg_access_entry {
    const char *request_id;
    const char *method;
    const char *path;          /* the route's path, never the query string */
    const char *route;         /* route family name, e.g. "chat" */
    const char *key_public_id; /* NULL before authentication */
    int64_t account_id;        /* 0 before authentication */
    const char *region;
    const char *model;
    const char *channel;
    const char *error;         /* mg_err_get()->name, NULL on success */
    int status;
    int upstream_status;       /* 0 if not forwarded */
    int streamed;
    int64_t latency_us;
    int64_t ttfb_us;           /* time to first byte to the client; 0 if none */
    int64_t input_tokens, output_tokens, characters, images, videos, tracks;
    int64_t cost_micros;
};

/* Opens the access log: a path (appended, created 0640), "-" for stderr, or
 * "off".  MG_OK or MG_ERR. */
int mg_log_access_open(const char *where);
/* Writes one line with a single write(2); safe from any thread. */
void mg_log_access(const struct mg_access_entry *e);
/* 1 if access lines go anywhere (callers skip building an entry otherwise). */
int mg_log_access_enabled(void);

#endif
