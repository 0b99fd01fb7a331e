/* channel.c: channel set-up, choice and cool-down (see channel.h). */
#include "gateway/channel.h"
#include "gateway/chantable.h"
#include "gateway/relay.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"

#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int mg_models_admit(const char *list, const char *model)
{
    size_t ml = strlen(model);
    const char *p = list;
    if (list[0] == '\0' || ml == 0)
        return 1;
    while ((p = strstr(p, model)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[ml] == '\0' || p[ml] == ','))
            return 1;
        p += ml;
    }
    return 0;
}

/* The TLS context of an https channel: the system's trust store plus
 * ca_file; OpenSSL checks the channel's host name (or IP address) while it
 * verifies the chain, so a wrong-host or untrusted certificate fails the
 * handshake. */
static SSL_CTX *tls_context(const char *host, const char *ca_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_default_verify_paths(ctx);
    if (ca_file[0] && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        snprintf(err, errlen, "[upstream] ca_file %s is not a readable PEM certificate file", ca_file);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1) {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, host, 0);
    }
    return ctx;
}

int mg_channel_setup(struct mg_channel *c, const struct mg_channel_spec *spec, const char *ca_file, char *err,
                     size_t errlen)
{
    char host[256], perr[256];
    memset(c, 0, sizeof(*c));
    c->spec = *spec;
    if (h2o_url_parse(c->spec.base_url, strlen(c->spec.base_url), &c->url) != 0 || c->url.host.len == 0 ||
        c->url.host.len >= sizeof(host)) {
        snprintf(err, errlen, "channel %s: base URL '%s' is not an http(s) URL", spec->name, spec->base_url);
        return MG_DECLINED;
    }
    snprintf(host, sizeof(host), "%.*s", (int)c->url.host.len, c->url.host.base);
    int https = c->url.scheme == &H2O_URL_SCHEME_HTTPS;
    if (mg_egress_for(host, https, spec->proxy, &c->target.proxy, perr, sizeof(perr)) != MG_OK) {
        snprintf(err, errlen, "channel %s: %s", spec->name, perr);
        return MG_ERR;
    }
    if (https && (c->target.ssl = tls_context(host, ca_file, err, errlen)) == NULL)
        return MG_ERR;
    if (mg_upc_target_init(&c->target, host, strlen(host), h2o_url_get_port(&c->url)) != MG_OK) {
        snprintf(err, errlen, "channel %s: host name too long", spec->name);
        return MG_ERR;
    }
    size_t n = strlen(c->spec.api_key) + 32;
    c->auth_header = mg_malloc(n);
    c->auth_header_len = (size_t)snprintf(c->auth_header, n, "authorization: Bearer %s\r\n", c->spec.api_key);
    atomic_store(&c->enabled, !spec->disabled);
    return MG_OK;
}

void mg_channel_dispose(struct mg_channel *c)
{
    if (c->auth_header) {
        sodium_memzero(c->auth_header, c->auth_header_len);
        free(c->auth_header);
    }
    if (c->spec.api_key) {
        sodium_memzero(c->spec.api_key, strlen(c->spec.api_key));
        free(c->spec.api_key);
    }
    sodium_memzero(&c->target.proxy, sizeof(c->target.proxy));
    SSL_CTX_free(c->target.ssl);
    memset(c, 0, sizeof(*c));
}

void mg_channel_cool(struct mg_channel *c, int ms)
{
    int64_t now = mg_now_ms();
    atomic_store(&c->cool_until_ms, now + ms);
    atomic_fetch_add_explicit(&c->failures, 1, memory_order_relaxed);
    atomic_store_explicit(&c->last_failure_ms, now, memory_order_relaxed);
}

/* ---- the table as the admin path changes it ------------------------------------------------------------ */

int mg_gateway_channel_state(struct mg_gateway *gw, const char *name, struct mg_channel_state *out)
{
    memset(out, 0, sizeof(*out));
    mg_chantable_lock(&gw->tab);
    int i = mg_chantable_find(&gw->tab, name);
    if (i >= 0) {
        struct mg_channel *c = &gw->tab.slot[i].ch;
        int64_t until = atomic_load(&c->cool_until_ms);
        out->enabled = atomic_load(&c->enabled);
        out->cooling_down_until_ms = until > mg_now_ms() ? until : 0;
        out->failures = atomic_load_explicit(&c->failures, memory_order_relaxed);
        out->last_failure_ms = atomic_load_explicit(&c->last_failure_ms, memory_order_relaxed);
    }
    mg_chantable_unlock(&gw->tab);
    return i >= 0 ? MG_OK : MG_DECLINED;
}

int mg_gateway_channel_set_enabled(struct mg_gateway *gw, const char *name, int on)
{
    mg_chantable_lock(&gw->tab);
    int i = mg_chantable_find(&gw->tab, name);
    if (i >= 0)
        atomic_store(&gw->tab.slot[i].ch.enabled, on ? 1 : 0);
    mg_chantable_unlock(&gw->tab);
    if (i < 0)
        return MG_DECLINED;
    mg_log(MG_LOG_INFO, "channel %s: %s", name, on ? "enabled" : "disabled (picks skip it)");
    return MG_OK;
}

static void wipe_key(struct mg_channel_spec *spec)
{
    if (spec->api_key == NULL)
        return;
    sodium_memzero(spec->api_key, strlen(spec->api_key));
    free(spec->api_key);
    spec->api_key = NULL;
}

int mg_gateway_channel_put_locked(struct mg_gateway *gw, struct mg_channel_spec *spec, int replace, char *err,
                                  size_t errlen)
{
    struct mg_chantable *t = &gw->tab;
    int old = replace ? mg_chantable_find(t, spec->name) : -1;
    if (old < 0 && t->live >= MG_MAX_CHANNELS) {
        snprintf(err, errlen, "The gateway runs at most %d channels; remove one first.", MG_MAX_CHANNELS);
        wipe_key(spec);
        return MG_DECLINED;
    }
    mg_chantable_reclaim(t);
    int i = mg_chantable_claim(t);
    if (i < 0) {
        snprintf(err, errlen, "Earlier versions of %d channels still finish their requests; try again in a minute.",
                 MG_CHANNEL_SLOTS - MG_MAX_CHANNELS);
        wipe_key(spec);
        return MG_DECLINED;
    }
    struct mg_channel *c = &t->slot[i].ch;
    int rc = mg_channel_setup(c, spec, gw->cfg.upstream_ca_file, err, errlen); /* c owns the key now */
    if (rc != MG_OK) {
        mg_channel_dispose(c); /* wipes the key; the slot stays free */
        return rc;
    }
    if (old >= 0) { /* a new version: the failures so far are still this channel's */
        struct mg_channel *o = &t->slot[old].ch;
        atomic_store(&c->failures, atomic_load(&o->failures));
        atomic_store(&c->last_failure_ms, atomic_load(&o->last_failure_ms));
    }
    if (c->target.proxy.host[0])
        mg_log(MG_LOG_INFO, "channel %s: through proxy %s:%u (CONNECT)", c->spec.name, c->target.proxy.host,
               c->target.proxy.port);
    atomic_store(&gw->serves[c->spec.region], 1);
    mg_chantable_publish(t, i); /* the next pick sees the new version ... */
    if (old >= 0)
        mg_chantable_retire(t, old); /* ... and no longer the old one, whose requests finish on it */
    return MG_OK;
}

int mg_gateway_channel_put(struct mg_gateway *gw, struct mg_channel_spec *spec, char *err, size_t errlen)
{
    mg_chantable_lock(&gw->tab);
    int edit = mg_chantable_find(&gw->tab, spec->name) >= 0;
    int rc = mg_gateway_channel_put_locked(gw, spec, 1, err, errlen);
    mg_chantable_unlock(&gw->tab);
    if (rc == MG_OK)
        mg_log(MG_LOG_INFO, "channel %s: %s (from the next request)", spec->name, edit ? "changed" : "added");
    return rc == MG_OK ? MG_OK : MG_DECLINED;
}

int mg_gateway_channel_remove(struct mg_gateway *gw, const char *name)
{
    mg_chantable_lock(&gw->tab);
    int i = mg_chantable_find(&gw->tab, name);
    if (i >= 0)
        mg_chantable_retire(&gw->tab, i);
    mg_chantable_reclaim(&gw->tab);
    mg_chantable_unlock(&gw->tab);
    if (i < 0)
        return MG_DECLINED;
    mg_log(MG_LOG_INFO, "channel %s: removed (requests on it finish)", name);
    return MG_OK;
}

/* ---- the pick (loop threads, no lock) ---------------------------------------------------------------------- */

int mg_channel_pick(const struct mg_chantable *t, enum mg_region region, const char *model, int skip,
                    int *unknown_model)
{
    int64_t now = mg_now_ms();
    int region_seen = 0, disabled_lists = 0;
    size_t n = mg_chantable_size(t);
    *unknown_model = 0;
    for (int pass = 0; pass < 2; pass++) { /* pass 1 admits cooling channels */
        uint64_t total = 0, r;
        int ok[MG_CHANNEL_SLOTS];
        for (size_t i = 0; i < n; i++) {
            const struct mg_channel *c = &t->slot[i].ch;
            ok[i] = 0;
            /* acquire: a LIVE word makes the channel written before it visible */
            if (MG_SLOT_STATE(mg_chantable_word(t, i)) != MG_SLOT_LIVE || c->spec.region != region)
                continue;
            if (!atomic_load_explicit(&c->enabled, memory_order_relaxed)) { /* off: no channel, not an unknown model */
                disabled_lists |= mg_models_admit(c->spec.models, model);
                continue;
            }
            region_seen = 1;
            if ((int)i == skip || !mg_models_admit(c->spec.models, model))
                continue;
            if (pass == 0 && atomic_load(&c->cool_until_ms) > now)
                continue;
            ok[i] = 1;
            total += (uint64_t)c->spec.weight;
        }
        if (total == 0)
            continue;
        r = randombytes_uniform((uint32_t)MG_MIN(total, (uint64_t)UINT32_MAX));
        for (size_t i = 0; i < n; i++) {
            if (!ok[i])
                continue;
            if (r < (uint64_t)t->slot[i].ch.spec.weight)
                return (int)i;
            r -= (uint64_t)t->slot[i].ch.spec.weight;
        }
    }
    *unknown_model = region_seen && skip < 0 && !disabled_lists;
    return -1;
}
