/*
 * gateway.c: building the gateway from its configuration, its handler on
 * h2o, and each loop thread's state (timeouts and one upstream connection
 * pool per channel).
 */
#include "gateway/relay.h"
#include "core/log.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

struct gw_handler {
    h2o_handler_t super;
    struct mg_gateway *gw;
};

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    return mg_gateway_on_req(((struct gw_handler *)self)->gw, self, req);
}

static void on_context_init(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct mg_gateway *gw = ((struct gw_handler *)self)->gw;
    const struct mg_gateway_config *cfg = &gw->cfg;
    struct gw_thread *t = mg_calloc(1, sizeof(*t));
    t->gw = gw;
    t->ctx = ctx;
    h2o_timeout_init(ctx->loop, &t->connect_to, (uint64_t)cfg->connect_timeout_ms);
    h2o_timeout_init(ctx->loop, &t->first_byte_to, (uint64_t)cfg->first_byte_timeout_ms);
    h2o_timeout_init(ctx->loop, &t->io_to, (uint64_t)cfg->idle_timeout_ms);
    h2o_timeout_init(ctx->loop, &t->keepalive_to, (uint64_t)cfg->keepalive_ms);
    h2o_timeout_init(ctx->loop, &t->zero_to, 0);
    h2o_timeout_init(ctx->loop, &t->send_to, (uint64_t)cfg->send_timeout_ms);
    h2o_timeout_init(ctx->loop, &t->drain_to, (uint64_t)cfg->drain_usage_ms);
    h2o_linklist_init_anchor(&t->streams);
    t->upc_to = (struct mg_upc_timeouts){&t->connect_to, &t->first_byte_to, &t->io_to, &t->keepalive_to, &t->zero_to};
    for (size_t i = 0; i < gw->nch; i++)
        mg_upc_pool_init(&t->pools[i], ctx->loop, &ctx->receivers.hostinfo_getaddr, &gw->ch[i].target, &t->upc_to,
                         cfg->upstream_max_conns, cfg->upstream_max_idle);
    t->pl = mg_pool_attach(gw->pool, ctx->loop);
    h2o_context_set_handler_context(ctx, self, t);
}

static void on_context_dispose(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct gw_thread *t = h2o_context_get_handler_context(ctx, self);
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->gw->nch; i++)
        mg_upc_pool_dispose(&t->pools[i]);
    free(t);
}

struct mg_gateway *mg_gateway_new(const struct mg_gateway_config *cfg, struct mg_channel_spec *channels,
                                  size_t nchannels, struct mg_keycache *keys, struct mg_meter *meter,
                                  struct mg_pool *pool, struct mg_pricebook *prices,
                                  const uint8_t *secret, size_t secret_len)
{
    char err[512];
    if (nchannels > MG_MAX_CHANNELS) {
        mg_log(MG_LOG_ERROR, "at most %d channels are supported; %zu configured", MG_MAX_CHANNELS, nchannels);
        return NULL;
    }
    struct mg_gateway *gw = mg_calloc(1, sizeof(*gw));
    gw->cfg = *cfg; /* defaults and bounds: the config's option table (src/server/config.c) */
    gw->keys = keys;
    gw->meter = meter;
    gw->pool = pool;
    gw->prices = prices;
    mg_key_hasher_init(&gw->hasher, secret, secret_len);
    pthread_mutex_init(&gw->billed_lock, NULL);
    gw->ch = mg_calloc(nchannels ? nchannels : 1, sizeof(*gw->ch));
    for (size_t i = 0; i < nchannels; i++) {
        struct mg_channel *c = &gw->ch[gw->nch];
        int rc = mg_channel_setup(c, &channels[i], gw->cfg.upstream_ca_file, err, sizeof(err));
        if (rc != MG_OK) {
            mg_log(MG_LOG_ERROR, "%s", err);
            mg_channel_dispose(c); /* wipes the channel's key */
            if (rc == MG_DECLINED)  /* a bad URL: that channel is left out */
                continue;
            /* a TLS or proxy problem stops the start: the operator must fix it */
            for (size_t j = i + 1; j < nchannels; j++) {
                sodium_memzero(channels[j].api_key, strlen(channels[j].api_key));
                free(channels[j].api_key);
            }
            free(channels);
            mg_gateway_free(gw);
            return NULL;
        }
        if (c->target.proxy.host[0])
            mg_log(MG_LOG_INFO, "channel %s: through proxy %s:%u (CONNECT)", c->spec.name, c->target.proxy.host,
                   c->target.proxy.port);
        gw->cfg.serves[c->spec.region] = 1;
        gw->nch++;
    }
    free(channels);
    return gw;
}

void mg_gateway_free(struct mg_gateway *gw)
{
    if (gw == NULL)
        return;
    for (size_t i = 0; i < gw->nch; i++)
        mg_channel_dispose(&gw->ch[i]);
    free(gw->ch);
    mg_key_hasher_free(&gw->hasher);
    free(gw);
}

void mg_gateway_register(struct mg_gateway *gw, h2o_hostconf_t *hostconf, const char *path)
{
    h2o_pathconf_t *pc = h2o_config_register_path(hostconf, path, 0);
    struct gw_handler *h = (struct gw_handler *)h2o_create_handler(pc, sizeof(*h));
    h->gw = gw;
    h->super.on_req = on_req;
    h->super.on_context_init = on_context_init;
    h->super.on_context_dispose = on_context_dispose;
    gw->handler = &h->super;
}

size_t mg_gateway_inflight(struct mg_gateway *gw) { return atomic_load(&gw->inflight); }

void mg_gateway_begin_drain(struct mg_gateway *gw) { atomic_store(&gw->draining, 1); }

void mg_gateway_cut_streams(struct mg_gateway *gw, h2o_context_t *ctx)
{
    struct gw_thread *t = h2o_context_get_handler_context(ctx, gw->handler);
    if (t == NULL)
        return;
    while (!h2o_linklist_is_empty(&t->streams)) /* each cut unlinks its stream */
        rl_stream_cut(H2O_STRUCT_FROM_MEMBER(struct relay, st.link, t->streams.next));
}
