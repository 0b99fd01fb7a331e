/*
 * channel.h: upstream channels (GW-7): where a region's requests go, with
 * which key, weight and models, and whether a channel is resting after a
 * failure.  A channel's upstream key never leaves this module except inside
 * the prepared "authorization" header line of the upstream request.
 */
#ifndef MG_GATEWAY_CHANNEL_H
#define MG_GATEWAY_CHANNEL_H

#include <stdatomic.h>
#include <stdint.h>
#include "gateway/gateway.h"
#include "net/upclient.h"

struct mg_channel {
    struct mg_channel_spec spec;
    h2o_url_t url;
    struct mg_upc_target target; /* host, port, TLS context, proxy */
    char *auth_header;           /* "authorization: Bearer <key>\r\n" (a secret) */
    size_t auth_header_len;
    _Atomic int64_t cool_until_ms;
    _Atomic int enabled;             /* 0: picks skip it (mg_gateway_channel_set_enabled) */
    _Atomic uint64_t failures;       /* cool-downs since start */
    _Atomic int64_t last_failure_ms;
};

/*
 * Prepares channel c from spec (copied; c takes ownership of spec->api_key):
 * its URL, its TLS context (system trust store plus ca_file, checking the
 * chain and the host name or IP address) and its egress proxy.  MG_OK;
 * MG_DECLINED for a base URL that is not http(s) (leave the channel out);
 * MG_ERR for a TLS or proxy setting that cannot work (refuse to start).
 * Either way the reason is in err and c must be disposed.
 */
int mg_channel_setup(struct mg_channel *c, const struct mg_channel_spec *spec, const char *ca_file, char *err,
                     size_t errlen);
/* Frees what setup made and wipes the key. */
void mg_channel_dispose(struct mg_channel *c);

struct mg_chantable;

/*
 * Picks a live, enabled channel of `region` that lists `model` and is not slot
 * `skip` (the one a retry leaves; -1 = none), weighted, preferring ones not
 * cooling down (a cooling one is still better than a 503).  Its slot, or -1 if
 * none; *unknown_model is then set when the region has channels but none lists
 * the model (and nothing was tried yet).  No lock: see chantable.h.
 */
int mg_channel_pick(const struct mg_chantable *t, enum mg_region region, const char *model, int skip,
                    int *unknown_model);

/* Lets channel c rest for ms (a failure, counted): picks avoid it while another one is healthy. */
void mg_channel_cool(struct mg_channel *c, int ms);

/* 1 if a comma-separated model list ("" = any) admits model. */
int mg_models_admit(const char *list, const char *model);

#endif
