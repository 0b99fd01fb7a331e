/*
 * h_channels.c: the upstream channels for an admin (GW-7; PLATFORM-API.md
 * "Administration"): the config's [channel.NAME] sections and the database's
 * channels with their live state, adding one (its upstream key sealed with
 * the server secret at once, never shown again), editing, removing, turning
 * one on or off, and a test request (h_channels_test.c).
 *
 * The gateway is the server's: this file reaches it only through the
 * callbacks of struct mg_platform_channel_ops.  Every change is stored and
 * takes effect on this node's next request ("applies_at": "now"): turning a
 * channel on or off flips its switch; adding, editing (base URL, weight,
 * models) and removing a database channel run it, publish a new version of
 * it, or take it out of the gateway while the server runs (requests already
 * on the old version finish on it).  When the gateway refuses a change (its
 * ceiling, a setting that cannot work) the stored row is put back, so the
 * database and the running gateway agree.  Nothing here puts a key, or a part
 * of one, into an answer, a log line or the audit log.
 */
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- a channel as the API shows it ---------------------------------------------------------------- */

static json_t *models_json(const char *list)
{
    json_t *a = json_array();
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0)
            json_array_append_new(a, json_stringn(p, n));
        p += n + (e != NULL);
    }
    return a;
}

/* Where the key comes from; never the key. */
static const char *key_source(const struct mg_channel_record *r)
{
    if (strncmp(r->key_ref, "env:", 4) == 0)
        return "env";
    if (strncmp(r->key_ref, "file:", 5) == 0)
        return "file";
    return "database";
}

static json_t *channel_json(struct pf_call *c, const struct mg_channel_record *r, int from_config)
{
    json_t *o = json_object();
    struct mg_platform_channel_live live;
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "source", json_string(from_config ? "config" : "database"));
    json_object_set_new(o, "region", json_string(mg_region_name(r->region)));
    json_object_set_new(o, "base_url", json_string(r->base_url));
    json_object_set_new(o, "weight", json_integer(r->weight));
    json_object_set_new(o, "models", models_json(r->models));
    const char *from = key_source(r);
    json_object_set_new(o, "key", json_string(strcmp(from, "database") == 0 ? "stored encrypted" : "key stored"));
    json_object_set_new(o, "key_source", json_string(from));
    int running = c->pf->has_chan && c->pf->chan.state(c->pf->chan.arg, r->name, &live) == MG_OK;
    /* enabled: what the gateway does now when it runs the channel, else what is stored */
    json_object_set_new(o, "enabled", json_boolean(running ? live.enabled : r->enabled));
    json_t *st = json_object();
    json_object_set_new(st, "running", json_boolean(running));
    if (running) {
        pf_set_time(st, "cooling_down_until", live.cooling_down_until_ms);
        json_object_set_new(st, "failures", json_integer((json_int_t)live.failures));
        pf_set_time(st, "last_failure_at", live.last_failure_ms);
    } else { /* its stored key could not be opened, or its base URL was refused, at the start */
        json_object_set_new(st, "cooling_down_until", json_null());
    }
    json_object_set_new(o, "state", st);
    return o;
}

/* The config's channel named name, or NULL. */
static const struct mg_channel_record *config_channel(const struct pf_call *c, const char *name)
{
    if (!c->pf->has_chan)
        return NULL;
    for (size_t i = 0; i < c->pf->chan.nconfig; i++)
        if (strcmp(c->pf->chan.config[i].name, name) == 0)
            return &c->pf->chan.config[i];
    return NULL;
}

/* The channel of the path: from the config (*from_config = 1) or the database into r; MG_DECLINED with
 * 404 answered when neither has it. */
static int path_channel(struct pf_call *c, struct mg_channel_record *r, int *from_config)
{
    const struct mg_channel_record *cc = config_channel(c, c->params[0]);
    *from_config = cc != NULL;
    if (cc != NULL) {
        *r = *cc;
        return MG_OK;
    }
    int rc = c->store->ops->channel_get(c->store, c->params[0], r);
    if (rc == MG_DECLINED)
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such channel.");
    else if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc;
}

void pf_h_admin_channels_list(struct pf_call *c)
{
    struct mg_channel_record *db = NULL;
    size_t n = 0;
    int rc = c->store->ops->channel_list(c->store, &db, &n);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object(), *a = json_array();
    for (size_t i = 0; c->pf->has_chan && i < c->pf->chan.nconfig; i++)
        json_array_append_new(a, channel_json(c, &c->pf->chan.config[i], 1));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, channel_json(c, &db[i], 0));
    free(db);
    json_object_set_new(o, "channels", a);
    json_object_set_new(o, "max_channels", json_integer(c->pf->has_chan ? (json_int_t)c->pf->chan.max_channels : 0));
    pf_reply(c, 200, o);
}

/* ---- checks of the body --------------------------------------------------------------------------- */

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return 0;
    return n >= 1 && n <= 63;
}

static int base_url_ok(struct pf_call *c, const char *u)
{
    int ok = strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
    const char *host = ok ? strstr(u, "://") + 3 : NULL;
    for (const char *p = u; ok && *p; p++)
        ok = (unsigned char)*p > ' ' && *p != 0x7f && *p != '"' && *p != '\\';
    if (!ok || host[0] == '\0' || host[0] == '/' || strchr(u, '?') != NULL || strchr(u, '#') != NULL ||
        strchr(host, '@') != NULL) {
        pf_fail(c, MG_E_FIELD_INVALID, "base_url",
                "Give the upstream's base URL: https://host[:port][/prefix] (http:// for a local upstream), without "
                "credentials, query or spaces.");
        return MG_DECLINED;
    }
    return MG_OK;
}

static int need_ops(struct pf_call *c)
{
    if (c->pf->has_chan)
        return MG_OK;
    pf_fail(c, MG_E_CONFLICT, NULL, "Channels can be changed here only on a running server.");
    return MG_DECLINED;
}

static void reply_channel(struct pf_call *c, int status, const struct mg_channel_record *r, int from_config,
                          const char *applies_at)
{
    json_t *o = json_object();
    json_object_set_new(o, "channel", channel_json(c, r, from_config));
    json_object_set_new(o, "applies_at", json_string(applies_at));
    pf_reply(c, status, o);
}

/* ---- add, edit, remove ------------------------------------------------------------------------------ */

/* Runs stored channel r in the gateway now; MG_DECLINED with 409 answered (the gateway's sentence) when it
 * refuses. */
static int run_now(struct pf_call *c, const struct mg_channel_record *r)
{
    char why[300];
    if (c->pf->chan.apply(c->pf->chan.arg, r, why, sizeof(why)) == MG_OK)
        return MG_OK;
    pf_fail(c, MG_E_CONFLICT, NULL, why);
    return MG_DECLINED;
}

void pf_h_admin_channel_create(struct pf_call *c)
{
    struct mg_channel_record r;
    struct mg_channel_record *db = NULL;
    size_t ndb = 0;
    const char *name = pf_str(c, "name"), *key = pf_str(c, "key");
    char detail[200];
    memset(&r, 0, sizeof(r));
    if (need_ops(c) != MG_OK)
        return;
    if (!name_ok(name)) {
        pf_fail(c, MG_E_FIELD_INVALID, "name", "A channel name is 1 to 63 letters, digits, '-', '_' or '.'.");
        return;
    }
    if (mg_region_parse(pf_str(c, "region"), &r.region) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "region", "The region is global or cn.");
        return;
    }
    if (!pf_has(c, "base_url") || base_url_ok(c, pf_str(c, "base_url")) != MG_OK) {
        if (c->err == MG_E_NONE)
            pf_fail(c, MG_E_FIELD_MISSING, "base_url", "Give the upstream's base URL.");
        return;
    }
    size_t klen = strlen(key);
    int key_ok = klen >= 8;
    for (size_t i = 0; key_ok && i < klen; i++)
        key_ok = (unsigned char)key[i] > ' ' && key[i] != 0x7f;
    if (!key_ok) {
        pf_fail(c, MG_E_FIELD_INVALID, "key", "The upstream key is 8 to 400 characters without spaces.");
        return;
    }
    if (pf_has(c, "models") && pf_body_models(c, r.models, sizeof(r.models)) != MG_OK)
        return;
    if (config_channel(c, name) != NULL) {
        pf_fail(c, MG_E_CONFLICT, "name", "The config already has a channel of this name.");
        return;
    }
    int rc = c->store->ops->channel_list(c->store, &db, &ndb);
    free(db);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    if (c->pf->chan.nconfig + ndb >= c->pf->chan.max_channels) {
        snprintf(detail, sizeof(detail), "The gateway takes at most %zu channels (config and database); remove one "
                 "first.", c->pf->chan.max_channels);
        pf_fail(c, MG_E_CONFLICT, NULL, detail);
        return;
    }
    mg_strlcpy(r.name, name, sizeof(r.name));
    mg_strlcpy(r.base_url, pf_str(c, "base_url"), sizeof(r.base_url));
    r.weight = (int)pf_int(c, "weight", 1);
    r.enabled = 1;
    mg_strlcpy(r.key_ref, "db", sizeof(r.key_ref));
    r.key_enc_len = c->pf->chan.seal(c->pf->chan.arg, key, r.key_enc, sizeof(r.key_enc));
    if (r.key_enc_len == 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "key", "The upstream key is too long.");
        return;
    }
    rc = c->store->ops->channel_insert(c->store, &r);
    if (rc == MG_OK && run_now(c, &r) != MG_OK) { /* refused (answered): not stored either */
        sodium_memzero(r.key_enc, sizeof(r.key_enc));
        c->store->ops->channel_delete(c->store, r.name);
        return;
    }
    sodium_memzero(r.key_enc, sizeof(r.key_enc));
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_CONFLICT, "name", "A channel of this name exists.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    snprintf(detail, sizeof(detail), "channel %s, region %s, weight %d", r.name, mg_region_name(r.region), r.weight);
    pf_audit(c, "channel.added", 0, detail);
    reply_channel(c, 201, &r, 0, "now");
}

void pf_h_admin_channel_patch(struct pf_call *c)
{
    struct mg_channel_record r, was;
    int from_config;
    char detail[200];
    int has_enabled = pf_has(c, "enabled"), has_url = pf_has(c, "base_url"), has_weight = pf_has(c, "weight"),
        has_models = pf_has(c, "models");
    if (need_ops(c) != MG_OK || path_channel(c, &r, &from_config) != MG_OK)
        return;
    if (from_config && (has_url || has_weight || has_models)) {
        pf_fail(c, MG_E_CONFLICT, has_url ? "base_url" : has_weight ? "weight" : "models",
                "This channel comes from the config file: edit its [channel] section there and restart.");
        return;
    }
    if (!has_enabled && !has_url && !has_weight && !has_models) {
        pf_fail(c, MG_E_FIELD_MISSING, NULL, "Give at least one of enabled, base_url, weight, models.");
        return;
    }
    if (has_url && base_url_ok(c, pf_str(c, "base_url")) != MG_OK)
        return;
    if (has_models && pf_body_models(c, r.models, sizeof(r.models)) != MG_OK)
        return;
    was = r;
    if (has_url)
        mg_strlcpy(r.base_url, pf_str(c, "base_url"), sizeof(r.base_url));
    if (has_weight)
        r.weight = (int)pf_int(c, "weight", r.weight);
    if (has_enabled)
        r.enabled = json_is_true(json_object_get(c->body, "enabled"));
    if (!from_config) {
        int rc = c->store->ops->channel_update(c->store, &r);
        if (rc != MG_OK) {
            if (rc == MG_DECLINED)
                pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such channel.");
            else
                pf_store_failed(c, rc);
            sodium_memzero(&was, sizeof(was));
            sodium_memzero(&r, sizeof(r));
            return;
        }
    }
    /* on or off alone: the running channel's switch (a config channel's lasts until the next start); any
     * other change, or switching on a database channel that is not running: a new version of it, now */
    int live;
    if (has_url || has_weight || has_models)
        live = run_now(c, &r) == MG_OK;
    else if ((live = c->pf->chan.set_enabled(c->pf->chan.arg, r.name, r.enabled) == MG_OK) == 0 && !from_config)
        live = r.enabled ? run_now(c, &r) == MG_OK : 1; /* not running: on, it starts; off, nothing runs */
    int refused = c->err != MG_E_NONE;
    if (refused && !from_config)
        c->store->ops->channel_update(c->store, &was); /* the gateway refused: the stored row is as it was */
    sodium_memzero(&was, sizeof(was));
    sodium_memzero(r.key_enc, sizeof(r.key_enc));
    if (refused)
        return;
    if (from_config && !live) {
        pf_fail(c, MG_E_CONFLICT, "enabled", "This config channel is not running (its base URL was refused).");
        return;
    }
    snprintf(detail, sizeof(detail), "channel %s:%s%s%s%s", r.name,
             has_enabled ? (r.enabled ? " enabled" : " disabled") : "", has_url ? " base_url" : "",
             has_weight ? " weight" : "", has_models ? " models" : "");
    pf_audit(c, "channel.updated", 0, detail);
    reply_channel(c, 200, &r, from_config, "now");
}

void pf_h_admin_channel_delete(struct pf_call *c)
{
    struct mg_channel_record r;
    int from_config;
    char detail[120];
    if (path_channel(c, &r, &from_config) != MG_OK)
        return;
    if (from_config) {
        pf_fail(c, MG_E_CONFLICT, NULL,
                "This channel comes from the config file: remove its [channel] section there and restart "
                "(or turn it off here for now).");
        return;
    }
    int rc = c->store->ops->channel_delete(c->store, r.name);
    if (rc != MG_OK) {
        if (rc == MG_DECLINED)
            pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such channel.");
        else
            pf_store_failed(c, rc);
        return;
    }
    /* it takes no request from now on; requests on it finish (not running: nothing to take out) */
    if (c->pf->has_chan)
        c->pf->chan.remove(c->pf->chan.arg, r.name);
    sodium_memzero(r.key_enc, sizeof(r.key_enc));
    snprintf(detail, sizeof(detail), "channel %s", r.name);
    pf_audit(c, "channel.removed", 0, detail);
    pf_no_content(c);
}

void pf_h_admin_channel_test(struct pf_call *c)
{
    struct mg_channel_record r;
    int from_config;
    if (need_ops(c) != MG_OK || path_channel(c, &r, &from_config) != MG_OK)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(r.name));
    pf_channel_probe(c, &r, o);
    char detail[160];
    json_t *st = json_object_get(o, "status");
    snprintf(detail, sizeof(detail), "channel %s: status %lld, %lld ms", r.name,
             (long long)(json_is_integer(st) ? json_integer_value(st) : 0),
             (long long)json_integer_value(json_object_get(o, "latency_ms")));
    pf_audit(c, "channel.tested", 0, detail);
    pf_reply(c, 200, o);
}
