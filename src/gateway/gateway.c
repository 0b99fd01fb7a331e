/*
 * gateway.c: building the gateway from its configuration, its handler on
 * h2o, and each loop thread's state: timeouts, and one upstream connection
 * pool per channel slot, made by the first request on it.  A thread counts
 * its requests on each slot; when the table's epoch moves (a channel was
 * edited or removed) it closes its pools of retired slots it has no request
 * on and tells the table so (chantable.h), on its next request or, idle,
 * within SWEEP_MS.
 */
#include "gateway/relay.h"
#include "core/log.h"

#include <assert.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define SWEEP_MS 1000 /* an idle thread lets go of a retired channel within this long (its slot is then free) */

struct gw_handler {
    h2o_handler_t super;
    struct mg_gateway *gw;
};

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    return mg_gateway_on_req(((struct gw_handler *)self)->gw, self, req);
}

static void on_sweep(h2o_timeout_entry_t *e);

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
    t->pl = mg_pool_attach(gw->pool, ctx->loop);
    mg_chantable_join(&gw->tab, &t->rd);
    h2o_timeout_init(ctx->loop, &t->sweep_to, SWEEP_MS);
    t->sweep.cb = on_sweep;
    h2o_timeout_link(ctx->loop, &t->sweep_to, &t->sweep);
    h2o_context_set_handler_context(ctx, self, t);
}

static void on_context_dispose(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct gw_thread *t = h2o_context_get_handler_context(ctx, self);
    if (t == NULL)
        return;
    if (h2o_timeout_is_linked(&t->sweep))
        h2o_timeout_unlink(&t->sweep);
    mg_chantable_leave(&t->gw->tab, &t->rd);
    for (size_t i = 0; i < MG_CHANNEL_SLOTS; i++)
        if (t->pool_gen[i] != 0)
            mg_upc_pool_dispose(&t->pools[i]);
    free(t);
}

/* ---- a loop thread's channel slots ------------------------------------------------------------------------ */

struct mg_upc_pool *gw_thread_hold(struct gw_thread *t, size_t i)
{
    uint32_t gen = MG_SLOT_GEN(mg_chantable_word(&t->gw->tab, i));
    /* this thread has not let go of slot i (it just picked it), so the table cannot have refilled it
     * under a pool this thread still has: pool_gen is 0 or gen */
    assert(t->pool_gen[i] == 0 || t->pool_gen[i] == gen);
    if (t->pool_gen[i] == 0) {
        const struct mg_gateway_config *cfg = &t->gw->cfg;
        mg_upc_pool_init(&t->pools[i], t->ctx->loop, &t->ctx->receivers.hostinfo_getaddr,
                         &gw_channel(t->gw, i)->target, &t->upc_to, cfg->upstream_max_conns, cfg->upstream_max_idle);
        t->pool_gen[i] = gen;
    }
    t->busy[i]++;
    return &t->pools[i];
}

void gw_thread_release(struct gw_thread *t, size_t i)
{
    assert(t->busy[i] > 0);
    t->busy[i]--;
}

void gw_thread_sweep(struct gw_thread *t)
{
    struct mg_chantable *tab = &t->gw->tab;
    uint64_t epoch = atomic_load(&tab->epoch);
    int done = 1, acked = 0;
    if (epoch == t->swept)
        return;
    size_t n = mg_chantable_size(tab);
    for (size_t i = 0; i < n; i++) {
        uint32_t w = mg_chantable_word(tab, i);
        if (MG_SLOT_STATE(w) != MG_SLOT_RETIRED || atomic_load_explicit(&t->rd.acked[i], memory_order_relaxed) ==
                                                       MG_SLOT_GEN(w))
            continue;
        if (t->busy[i] > 0) { /* requests on the old version finish on it; look again later */
            done = 0;
            continue;
        }
        if (t->pool_gen[i] != 0) {
            mg_upc_pool_dispose(&t->pools[i]); /* its idle connections; none is busy */
            t->pool_gen[i] = 0;
        }
        mg_chantable_ack(&t->rd, i, MG_SLOT_GEN(w));
        acked = 1;
    }
    if (done)
        t->swept = epoch;
    if (acked) /* maybe the last thread to let go: wipe the old key now rather than at the next change */
        mg_chantable_try_reclaim(tab);
}

static void on_sweep(h2o_timeout_entry_t *e)
{
    struct gw_thread *t = H2O_STRUCT_FROM_MEMBER(struct gw_thread, sweep, e);
    gw_thread_sweep(t);
    h2o_timeout_link(t->ctx->loop, &t->sweep_to, &t->sweep);
}

struct mg_gateway *mg_gateway_new(const struct mg_gateway_config *cfg, struct mg_channel_spec *channels,
                                  size_t nchannels, struct mg_keycache *keys, struct mg_meter *meter,
                                  struct mg_pool *pool, struct mg_pricebook *prices,
                                  const uint8_t *secret, size_t secret_len)
{
    char err[512];
    int rc = MG_OK;
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
    gw->videos = mg_video_tasks_new();
    mg_chantable_init(&gw->tab);
    for (size_t r = 0; r < MG_REGION__COUNT; r++)
        atomic_store(&gw->serves[r], cfg->serves[r]);
    mg_chantable_lock(&gw->tab);
    for (size_t i = 0; i < nchannels; i++) {
        if (rc == MG_ERR) { /* the start is refused: wipe the keys not taken */
            sodium_memzero(channels[i].api_key, strlen(channels[i].api_key));
            free(channels[i].api_key);
            continue;
        }
        rc = mg_gateway_channel_put_locked(gw, &channels[i], 0, err, sizeof(err)); /* as loaded, names and all */
        if (rc != MG_OK) /* a bad URL (MG_DECLINED): that channel is left out; a TLS or proxy problem stops */
            mg_log(MG_LOG_ERROR, "%s", err);
    }
    mg_chantable_unlock(&gw->tab);
    free(channels);
    if (rc == MG_ERR) {
        mg_gateway_free(gw);
        return NULL;
    }
    for (size_t r = 0; r < MG_REGION__COUNT; r++)
        gw->cfg.serves[r] = atomic_load(&gw->serves[r]);
    return gw;
}

void mg_gateway_free(struct mg_gateway *gw)
{
    if (gw == NULL)
        return;
    mg_chantable_free(&gw->tab);
    mg_key_hasher_free(&gw->hasher);
    mg_video_tasks_free(gw->videos);
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

size_t mg_gateway_live_channels(struct mg_gateway *gw)
{
    return atomic_load_explicit(&gw->tab.live, memory_order_relaxed);
}

void mg_gateway_begin_drain(struct mg_gateway *gw) { atomic_store(&gw->draining, 1); }

void mg_gateway_cut_streams(struct mg_gateway *gw, h2o_context_t *ctx)
{
    struct gw_thread *t = h2o_context_get_handler_context(ctx, gw->handler);
    if (t == NULL)
        return;
    while (!h2o_linklist_is_empty(&t->streams)) /* each cut unlinks its stream */
        rl_stream_cut(H2O_STRUCT_FROM_MEMBER(struct relay, st.link, t->streams.next));
}
