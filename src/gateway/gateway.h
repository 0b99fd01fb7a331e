/*
 * gateway.h: the gateway as the server sees it.  The server (src/server)
 * builds a struct mg_gateway once from the loaded configuration, registers it
 * on its h2o host configuration, and runs the loop threads; everything from
 * "request accepted" to "usage recorded" happens inside src/gateway.
 *
 * Per-thread state (upstream socket pools, the worker pool attachment,
 * timers) is created by the handler's on_context_init on each loop thread.
 * Channels change while it runs (mg_gateway_channel_put / _remove; the slot
 * table of chantable.h).
 */
#ifndef MG_GATEWAY_GATEWAY_H
#define MG_GATEWAY_GATEWAY_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <openssl/ssl.h>
#include "core/region.h"
#include "auth/keycache.h"
#include "billing/meter.h"
#include "billing/prices.h"
#include "billing/pricebook.h"
#include "runtime/pool.h"
#include "net/upclient.h"

/* An upstream channel, resolved: api_key is the plaintext upstream key (owned,
 * wiped on free; never logged or echoed). */
struct mg_channel_spec {
    char name[64];
    enum mg_region region;
    char base_url[512]; /* http:// or https://host[:port][/prefix] */
    char *api_key;
    int weight;         /* > 0 */
    char models[1024];  /* comma-separated; "" = any model */
    char proxy[512];    /* "" = from the environment, "none" = direct, or http://[user:pass@]host:port */
    int disabled;       /* loaded but left out of picks until mg_gateway_channel_set_enabled turns it on */
};

struct mg_gateway_config {
    /* body limits (GW-8) */
    size_t max_json_body;   /* default 2 MiB */
    size_t max_upload_body; /* default 20 MiB (multipart /v1/files/upload, /v1/voice_clone) */
    size_t max_upstream_body; /* non-streamed upstream responses are read whole up to this (default 64 MiB) */
    /* upstream (GW-7) */
    int connect_timeout_ms;     /* default 5000: TCP connect + TLS handshake */
    int first_byte_timeout_ms;  /* default 60000: request sent -> response head */
    int idle_timeout_ms;        /* default 60000: gap between stream chunks */
    int cooldown_ms;            /* default 30000: a failing channel rests this long */
    size_t upstream_max_conns;  /* connections (busy + idle) per channel per loop thread (default 4096) */
    size_t upstream_max_idle;   /* idle keep-alive connections kept per channel per loop thread (default 64) */
    int keepalive_ms;           /* default 2000: an idle upstream connection is closed after this */
    /* toward the client */
    int send_timeout_ms;        /* default 60000: a stream whose client takes nothing this long is ended */
    size_t stream_high_water;   /* default 256 KiB: stop reading the upstream when this much waits for the client */
    size_t stream_low_water;    /* default 64 KiB: read again below this */
    int drain_usage_ms;         /* a client left mid-stream: read the upstream this long for its usage (0 = not) */
    size_t drain_usage_bytes;   /* ... and at most this many bytes (8 MiB: a long answer's tail and final frame) */
    char upstream_ca_file[1024];  /* extra trusted CA (PEM) besides the system store; "" = none */
    /* regions (GW-3) */
    int serves[MG_REGION__COUNT];                 /* 1 if this node has a channel for the region */
    char region_base_url[MG_REGION__COUNT][256];  /* where to send a key of each region; "" = unknown */
    char public_base_url[256];                    /* this node's own base URL, for messages */
};

struct mg_gateway;

/*
 * Builds the gateway.  Takes ownership of the channels array (and the api
 * keys in it).  keycache, meter, pool and prices are borrowed and must outlive
 * the gateway.  secret is the server secret for key digests (copied).
 */
struct mg_gateway *mg_gateway_new(const struct mg_gateway_config *cfg, struct mg_channel_spec *channels,
                                  size_t nchannels, struct mg_keycache *keys, struct mg_meter *meter,
                                  struct mg_pool *pool, struct mg_pricebook *prices,
                                  const uint8_t *secret, size_t secret_len);
void mg_gateway_free(struct mg_gateway *gw);

/* Registers the gateway's handler on `path` (normally "/") of hostconf. */
void mg_gateway_register(struct mg_gateway *gw, h2o_hostconf_t *hostconf, const char *path);

/* Requests in flight on all threads (for graceful drain). */
size_t mg_gateway_inflight(struct mg_gateway *gw);
/* After this, new requests get 503 SHUTTING_DOWN; open streams continue. */
void mg_gateway_begin_drain(struct mg_gateway *gw);
/* The drain timeout passed: on this loop thread (ctx), ends every open
 * stream now, each with an error event in its family's shape and the
 * terminating chunk, billed with status 503 (an estimate unless the
 * upstream's usage came); a stream draining for usage after its client left
 * is billed 499 with what it has.  The loop must then run a little longer
 * for the last writes (the requests leave mg_gateway_inflight when done). */
void mg_gateway_cut_streams(struct mg_gateway *gw, h2o_context_t *ctx);

/* How many channels run now (any thread; no lock). */
size_t mg_gateway_live_channels(struct mg_gateway *gw);

/* A channel's live state (for the console; any thread). */
struct mg_channel_state {
    int enabled;
    int64_t cooling_down_until_ms; /* 0 = not resting */
    uint64_t failures;             /* failed attempts since start (each one started a cool-down) */
    int64_t last_failure_ms;       /* 0 = none */
};
/* The state of the running channel named name: MG_OK, or MG_DECLINED when this gateway runs no such channel
 * (removed, its base URL was refused, or its stored key could not be opened at the start). */
int mg_gateway_channel_state(struct mg_gateway *gw, const char *name, struct mg_channel_state *out);
/* Takes channel name into picks (on = 1) or out of them (0) from the next request on; requests already
 * on it finish.  An atomic flag the pick reads (no lock).  MG_OK, or MG_DECLINED when there is no such channel. */
int mg_gateway_channel_set_enabled(struct mg_gateway *gw, const char *name, int on);
/*
 * Runs channel spec from the next request on this node: a new channel, or a new version of the running
 * channel of that name (its base URL, key, weight, models or switch changed; requests already on the old
 * version finish on it, the failure count carries over, a cool-down does not).  The gateway takes
 * ownership of spec->api_key, also on failure (it is wiped then).  The set-up (TLS context, proxy) runs on
 * the caller's thread: call it from a worker, never from a loop thread.  MG_OK; MG_DECLINED with a
 * sentence in err that never holds the key: the gateway runs MG_MAX_CHANNELS (64) channels already, too
 * many old versions still finish requests, or the base URL, TLS or proxy setting cannot work.
 */
int mg_gateway_channel_put(struct mg_gateway *gw, struct mg_channel_spec *spec, char *err, size_t errlen);
/* Takes channel name out of the gateway: no new request goes to it, those on it finish, its memory and key
 * go once no loop thread uses it.  MG_OK, or MG_DECLINED when it is not running. */
int mg_gateway_channel_remove(struct mg_gateway *gw, const char *name);

#endif
