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
 *
 * Sync: a thread reads the database's channels every second and brings the
 * gateway in step with them, so a change made elsewhere (`maxgated admin
 * channel`, another node's console) runs here within a second.  It knows,
 * per database channel, a digest of what it runs (everything but the switch)
 * and the switch: a new or changed digest is put (a new version), a changed
 * switch is flipped, a channel gone from the database is taken out.  This
 * process's own changes (the platform's callbacks) update what it knows under
 * the same lock, so they are not run twice.  Config channels are never
 * touched.  At most MG_CHANNEL_SLOTS database channels are known (the gateway
 * runs at most MG_MAX_CHANNELS); past that a channel is not run, logged once.
 */
#include "core/log.h"
#include "core/mg.h"
#include "gateway/channel.h"
#include "gateway/chantable.h"
#include "gateway/gateway.h"
#include "server/server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

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

/* ---- what this node runs of the database's channels ------------------------------------------------- */

#define CHAN_POLL_MS 1000
#define KNOWN_MAX MG_CHANNEL_SLOTS

struct known {
    char name[64];
    uint8_t digest[crypto_generichash_BYTES_MIN]; /* of the stored channel last run or tried */
    int enabled;                                  /* its switch, as last set here */
    int running;                                  /* a version of it runs (the last one tried, if it worked) */
};

static struct {
    pthread_mutex_t lock; /* the table, and every change to the gateway's database channels */
    struct known v[KNOWN_MAX];
    size_t n;
    int full_logged;
    pthread_t thread;
    int started;
    _Atomic int stop;
    char spec[1100];
} sync_state = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Everything of r a put would change: region, base URL, key, weight, models (not the switch). */
static void digest_of(const struct mg_channel_record *r, uint8_t out[crypto_generichash_BYTES_MIN])
{
    crypto_generichash_state h;
    int32_t region = (int32_t)r->region, weight = r->weight;
    crypto_generichash_init(&h, NULL, 0, crypto_generichash_BYTES_MIN);
    crypto_generichash_update(&h, (const uint8_t *)&region, sizeof(region));
    crypto_generichash_update(&h, (const uint8_t *)&weight, sizeof(weight));
    crypto_generichash_update(&h, (const uint8_t *)r->base_url, strlen(r->base_url) + 1);
    crypto_generichash_update(&h, (const uint8_t *)r->key_ref, strlen(r->key_ref) + 1);
    crypto_generichash_update(&h, r->key_enc, r->key_enc_len);
    crypto_generichash_update(&h, (const uint8_t *)r->models, strlen(r->models) + 1);
    crypto_generichash_final(&h, out, crypto_generichash_BYTES_MIN);
}

static struct known *known_find(const char *name)
{
    for (size_t i = 0; i < sync_state.n; i++)
        if (strcmp(sync_state.v[i].name, name) == 0)
            return &sync_state.v[i];
    return NULL;
}

/* The entry of r's name (added if new; NULL at the ceiling, logged once).  Caller holds the lock. */
static struct known *known_entry(const char *name)
{
    struct known *k = known_find(name);
    if (k != NULL)
        return k;
    if (sync_state.n == KNOWN_MAX) {
        if (!sync_state.full_logged)
            mg_log(MG_LOG_WARN, "channels: more than %d database channels; %s and any further one are not run here",
                   KNOWN_MAX, name);
        sync_state.full_logged = 1;
        return NULL;
    }
    k = &sync_state.v[sync_state.n++];
    memset(k, 0, sizeof(*k));
    mg_strlcpy(k->name, name, sizeof(k->name));
    return k;
}

/* r was run (running) or tried and not run.  Caller holds the lock. */
static void known_set(const struct mg_channel_record *r, int running)
{
    struct known *k = known_entry(r->name);
    if (k == NULL)
        return;
    digest_of(r, k->digest);
    k->enabled = r->enabled;
    k->running = running;
}

static void known_forget(const char *name)
{
    struct known *k = known_find(name);
    if (k != NULL)
        *k = sync_state.v[--sync_state.n];
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
            pthread_mutex_lock(&sync_state.lock);
            known_set(c, 0);
            pthread_mutex_unlock(&sync_state.lock);
            continue;
        }
        pthread_mutex_lock(&sync_state.lock);
        known_set(c, 1);
        pthread_mutex_unlock(&sync_state.lock);
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
    pthread_mutex_lock(&sync_state.lock);
    int rc = mg_gateway_channel_set_enabled(ops_state.gw, name, on);
    struct known *k = known_find(name);
    if (rc == MG_OK && k != NULL)
        k->enabled = on;
    pthread_mutex_unlock(&sync_state.lock);
    return rc;
}

/* Runs r (a new version if it runs); the caller holds the sync lock. */
static int apply_locked(const struct mg_channel_record *r, char *err, size_t errlen)
{
    struct mg_channel_spec spec;
    record_spec(r, &spec);
    if ((spec.api_key = record_key(r, ops_state.secret, err, errlen)) == NULL)
        return MG_DECLINED;
    return mg_gateway_channel_put(ops_state.gw, &spec, err, errlen); /* owns the key now */
}

static int op_apply(void *arg, const struct mg_channel_record *r, char *err, size_t errlen)
{
    uint8_t d[crypto_generichash_BYTES_MIN];
    int rc;
    digest_of(r, d);
    pthread_mutex_lock(&sync_state.lock);
    struct known *k = known_find(r->name);
    if (k != NULL && k->running && sodium_memcmp(k->digest, d, sizeof(d)) == 0 &&
        mg_gateway_channel_set_enabled(ops_state.gw, r->name, r->enabled) == MG_OK) { /* the sync ran it already */
        k->enabled = r->enabled;
        rc = MG_OK;
    } else if ((rc = apply_locked(r, err, errlen)) == MG_OK) {
        known_set(r, 1);
    }
    pthread_mutex_unlock(&sync_state.lock);
    return rc;
}

static int op_remove(void *arg, const char *name)
{
    pthread_mutex_lock(&sync_state.lock);
    int rc = mg_gateway_channel_remove(ops_state.gw, name);
    known_forget(name);
    pthread_mutex_unlock(&sync_state.lock);
    return rc;
}

static size_t op_seal(void *arg, const char *plain, uint8_t *out, size_t cap)
{
    return mg_secret_seal(ops_state.secret, plain, out, cap);
}

static char *op_open_key(void *arg, const struct mg_channel_record *r, char *err, size_t errlen)
{
    return record_key(r, ops_state.secret, err, errlen);
}

/* ---- the sync thread ---------------------------------------------------------------------------------- */

static int is_config(const char *name)
{
    for (size_t i = 0; i < MG_CONFIG_MAX_CHANNELS && ops_state.config[i].name[0]; i++)
        if (strcmp(ops_state.config[i].name, name) == 0)
            return 1;
    return 0;
}

/* One database channel against what runs.  Caller holds the lock. */
static void sync_one(const struct mg_channel_record *r)
{
    char err[300];
    uint8_t d[crypto_generichash_BYTES_MIN];
    struct known *k = known_find(r->name);
    digest_of(r, d);
    if (k != NULL && sodium_memcmp(k->digest, d, sizeof(d)) == 0) {
        if (k->enabled == r->enabled)
            return; /* as it was */
        if (k->running && mg_gateway_channel_set_enabled(ops_state.gw, r->name, r->enabled) == MG_OK) {
            mg_log(MG_LOG_INFO, "channel %s: switched %s (changed in the database)", r->name, r->enabled ? "on" : "off");
            k->enabled = r->enabled;
            return;
        }
        if (!r->enabled) { /* off, and nothing of it runs */
            k->enabled = 0;
            return;
        }
    }
    if ((k = known_entry(r->name)) == NULL)
        return;
    if (apply_locked(r, err, sizeof(err)) == MG_OK) {
        mg_log(MG_LOG_INFO, "channel %s: runs as the database now says (%s, weight %d, %s)", r->name, r->base_url,
               r->weight, r->enabled ? "on" : "off");
        known_set(r, 1);
    } else { /* said once per change; a version that ran before runs on */
        mg_log(MG_LOG_WARN, "channel %s (changed in the database) is not run: %s", r->name, err);
        known_set(r, k->running);
    }
}

static void sync_now(struct mg_store *s)
{
    struct mg_channel_record *db = NULL;
    size_t n = 0;
    if (s->ops->channel_list(s, &db, &n) != MG_OK) {
        mg_log(MG_LOG_WARN, "channels: cannot read the database's channels; trying again in a second");
        return;
    }
    pthread_mutex_lock(&sync_state.lock);
    for (size_t i = 0; i < n; i++)
        if (!is_config(db[i].name))
            sync_one(&db[i]);
    for (size_t i = 0; i < sync_state.n;) { /* gone from the database: out of the gateway */
        size_t j = 0;
        while (j < n && strcmp(db[j].name, sync_state.v[i].name) != 0)
            j++;
        if (j < n) {
            i++;
            continue;
        }
        if (mg_gateway_channel_remove(ops_state.gw, sync_state.v[i].name) == MG_OK)
            mg_log(MG_LOG_INFO, "channel %s: removed from the database; it takes no new request", sync_state.v[i].name);
        known_forget(sync_state.v[i].name); /* moves the last entry here: look at i again */
    }
    pthread_mutex_unlock(&sync_state.lock);
    sodium_memzero(db, n * sizeof(*db));
    free(db);
}

static void *sync_thread(void *arg)
{
    char err[256];
    struct mg_store *s = mg_store_open(sync_state.spec, err, sizeof(err));
    if (s == NULL) {
        mg_log(MG_LOG_ERROR, "channels: %s; channel changes made elsewhere reach this node at its next start", err);
        return NULL;
    }
    while (!atomic_load(&sync_state.stop)) {
        struct timespec ts = {CHAN_POLL_MS / 1000, (long)(CHAN_POLL_MS % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (!atomic_load(&sync_state.stop))
            sync_now(s);
    }
    s->ops->close(s);
    return NULL;
}

void mg_server_channel_ops(const struct mg_config *cfg, const char *spec, struct mg_gateway *gw,
                           struct mg_platform *pf, const uint8_t secret[MG_SECRET_LEN])
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
    mg_strlcpy(sync_state.spec, spec, sizeof(sync_state.spec));
    atomic_store(&sync_state.stop, 0);
    if (pthread_create(&sync_state.thread, NULL, sync_thread, NULL) == 0)
        sync_state.started = 1;
    else
        mg_log(MG_LOG_ERROR, "channels: cannot start the sync thread; changes made elsewhere apply at the next start");
}

void mg_server_channel_ops_end(void)
{
    atomic_store(&sync_state.stop, 1);
    if (sync_state.started)
        pthread_join(sync_state.thread, NULL);
    sync_state.started = 0;
    sodium_memzero(ops_state.secret, sizeof(ops_state.secret));
    ops_state.gw = NULL;
}
