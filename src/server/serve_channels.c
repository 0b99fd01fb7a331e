/*
 * serve_channels.c: the upstream channels of `maxgated serve` (GW-7): loading
 * them at the start (the config's [channel.NAME] sections, then the
 * database's, each with its key from the environment, a file, or sealed with
 * the server secret), and the callbacks the platform's channel routes use
 * (h_channels.c): the gateway's live state and switch, running an added or
 * edited database channel and taking a removed one out (on the platform's
 * worker: the key is opened and the TLS context made there), sealing a new
 * key and opening a channel's key for its test request.  The platform never
 * sees the gateway; this file joins the two.
 */
#include "core/log.h"
#include "core/mg.h"
#include "gateway/channel.h"
#include "gateway/chantable.h"
#include "gateway/gateway.h"
#include "server/server.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_key_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (f == NULL) {
        snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
        return NULL;
    }
    char *ok = fgets(line, sizeof(line), f);
    fclose(f);
    if (ok == NULL) {
        snprintf(err, errlen, "key file %s is empty", path);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *key = mg_strdup(line);
    sodium_memzero(line, sizeof(line));
    return key;
}

static char *resolve_key(const char *env, const char *file, const uint8_t *sealed, size_t sealed_len,
                         const uint8_t secret[MG_SECRET_LEN], const char *name, char *err, size_t errlen)
{
    if (env != NULL && env[0]) {
        const char *v = getenv(env);
        if (v == NULL || v[0] == '\0') {
            snprintf(err, errlen, "channel %s: environment variable %s (its upstream key) is not set", name, env);
            return NULL;
        }
        return mg_strdup(v);
    }
    if (file != NULL && file[0])
        return read_key_file(file, err, errlen);
    char *k = mg_secret_open(secret, sealed, sealed_len);
    if (k == NULL)
        snprintf(err, errlen, "channel %s: its stored key cannot be decrypted with this secrets file", name);
    return k;
}

static char *record_key(const struct mg_channel_record *c, const uint8_t secret[MG_SECRET_LEN], char *err,
                        size_t errlen)
{
    const char *env = strncmp(c->key_ref, "env:", 4) == 0 ? c->key_ref + 4 : NULL;
    const char *file = strncmp(c->key_ref, "file:", 5) == 0 ? c->key_ref + 5 : NULL;
    return resolve_key(env, file, c->key_enc, c->key_enc_len, secret, c->name, err, errlen);
}

/* A database channel as the gateway takes it, without its key. */
static void record_spec(const struct mg_channel_record *c, struct mg_channel_spec *v)
{
    memset(v, 0, sizeof(*v));
    mg_strlcpy(v->name, c->name, sizeof(v->name));
    v->region = c->region;
    mg_strlcpy(v->base_url, c->base_url, sizeof(v->base_url));
    v->weight = c->weight > 0 ? c->weight : 1;
    mg_strlcpy(v->models, c->models, sizeof(v->models));
    v->disabled = !c->enabled;
}

int mg_server_load_channels(const struct mg_config *cfg, struct mg_store *s, const uint8_t secret[MG_SECRET_LEN],
                            struct mg_channel_spec **out, size_t *n, char *err, size_t errlen)
{
    struct mg_channel_record *db = NULL;
    size_t ndb = 0;
    if (s->ops->channel_list(s, &db, &ndb) != MG_OK) {
        snprintf(err, errlen, "cannot read channels from the database");
        return MG_ERR;
    }
    struct mg_channel_spec *v = mg_calloc(cfg->nchannels + ndb + 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < cfg->nchannels; i++, k++) {
        const struct mg_config_channel *c = &cfg->channels[i];
        mg_strlcpy(v[k].name, c->name, sizeof(v[k].name));
        v[k].region = c->region;
        mg_strlcpy(v[k].base_url, c->base_url, sizeof(v[k].base_url));
        v[k].weight = (int)c->weight;
        mg_strlcpy(v[k].models, c->models, sizeof(v[k].models));
        mg_strlcpy(v[k].proxy, c->proxy, sizeof(v[k].proxy));
        if ((v[k].api_key = resolve_key(c->key_env, c->key_file, NULL, 0, secret, c->name, err, errlen)) == NULL)
            goto fail;
    }
    for (size_t i = 0; i < ndb; i++) {
        const struct mg_channel_record *c = &db[i];
        record_spec(c, &v[k]);
        if ((v[k].api_key = record_key(c, secret, err, errlen)) == NULL) {
            if (c->enabled)
                goto fail;
            mg_log(MG_LOG_WARN, "%s; the channel is disabled and left out", err);
            err[0] = '\0';
            continue;
        }
        k++;
    }
    free(db);
    *out = v;
    *n = k;
    return MG_OK;
fail:
    for (size_t i = 0; i < k; i++) {
        sodium_memzero(v[i].api_key, strlen(v[i].api_key));
        free(v[i].api_key);
    }
    free(v);
    free(db);
    return MG_ERR;
}

/* ---- the platform's callbacks ------------------------------------------------------------------------ */

static struct {
    struct mg_gateway *gw;
    uint8_t secret[MG_SECRET_LEN];
    struct mg_channel_record config[MG_CONFIG_MAX_CHANNELS];
} ops_state;

static int op_state(void *arg, const char *name, struct mg_platform_channel_live *out)
{
    struct mg_channel_state st;
    if (mg_gateway_channel_state(ops_state.gw, name, &st) != MG_OK)
        return MG_DECLINED;
    out->enabled = st.enabled;
    out->cooling_down_until_ms = st.cooling_down_until_ms;
    out->failures = st.failures;
    out->last_failure_ms = st.last_failure_ms;
    return MG_OK;
}

static int op_set_enabled(void *arg, const char *name, int on)
{
    return mg_gateway_channel_set_enabled(ops_state.gw, name, on);
}

static int op_apply(void *arg, const struct mg_channel_record *r, char *err, size_t errlen)
{
    struct mg_channel_spec spec;
    record_spec(r, &spec);
    if ((spec.api_key = record_key(r, ops_state.secret, err, errlen)) == NULL)
        return MG_DECLINED;
    return mg_gateway_channel_put(ops_state.gw, &spec, err, errlen); /* owns the key now */
}

static int op_remove(void *arg, const char *name) { return mg_gateway_channel_remove(ops_state.gw, name); }

static size_t op_seal(void *arg, const char *plain, uint8_t *out, size_t cap)
{
    return mg_secret_seal(ops_state.secret, plain, out, cap);
}

static char *op_open_key(void *arg, const struct mg_channel_record *r, char *err, size_t errlen)
{
    return record_key(r, ops_state.secret, err, errlen);
}

void mg_server_channel_ops(const struct mg_config *cfg, struct mg_gateway *gw, struct mg_platform *pf,
                           const uint8_t secret[MG_SECRET_LEN])
{
    struct mg_platform_channel_ops ops;
    memset(&ops, 0, sizeof(ops));
    ops_state.gw = gw;
    memcpy(ops_state.secret, secret, MG_SECRET_LEN);
    for (size_t i = 0; i < cfg->nchannels && i < MG_CONFIG_MAX_CHANNELS; i++) {
        const struct mg_config_channel *c = &cfg->channels[i];
        struct mg_channel_record *r = &ops_state.config[i];
        memset(r, 0, sizeof(*r));
        mg_strlcpy(r->name, c->name, sizeof(r->name));
        r->region = c->region;
        mg_strlcpy(r->base_url, c->base_url, sizeof(r->base_url));
        if (c->key_env[0])
            snprintf(r->key_ref, sizeof(r->key_ref), "env:%s", c->key_env);
        else
            snprintf(r->key_ref, sizeof(r->key_ref), "file:%s", c->key_file);
        r->weight = (int)c->weight;
        mg_strlcpy(r->models, c->models, sizeof(r->models));
        mg_strlcpy(r->proxy, c->proxy, sizeof(r->proxy));
        r->enabled = 1;
    }
    ops.config = ops_state.config;
    ops.nconfig = cfg->nchannels;
    ops.max_channels = MG_MAX_CHANNELS;
    ops.state = op_state;
    ops.set_enabled = op_set_enabled;
    ops.apply = op_apply;
    ops.remove = op_remove;
    ops.seal = op_seal;
    ops.open_key = op_open_key;
    ops.connect_timeout_ms = (int)cfg->connect_timeout_ms;
    ops.timeout_ms = (int)cfg->first_byte_timeout_ms;
    mg_strlcpy(ops.ca_file, cfg->ca_file, sizeof(ops.ca_file));
    mg_platform_set_channel_ops(pf, &ops);
}

void mg_server_channel_ops_end(void)
{
    sodium_memzero(ops_state.secret, sizeof(ops_state.secret));
    ops_state.gw = NULL;
}
