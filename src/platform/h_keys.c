/*
 * h_keys.c: an account's API keys (PLATFORM-API.md "API keys"; KY-3..KY-6):
 * list, create, read, edit, revoke, rotate, for the signed-in account and,
 * by h_keys_admin.c, for an admin.  The full key exists only in the answer
 * that creates it; the store keeps its HMAC digest.  After every change the
 * key is read back (joined with its account) and put into this node's key
 * cache, so the next request on this node sees it; other nodes see it at
 * their next poll.
 */
#include "core/log.h"
#include "core/mg.h"
#include "core/service.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define UNUSED_MS (90 * DAY_MS)

/* ---- the key as the API shows it --------------------------------------------------------- */

const char *pf_key_status(const struct pf_call *c, const struct mg_key_record *k)
{
    if (k->status == MG_KEY_REVOKED)
        return "revoked";
    if (k->expires_ms != 0 && k->expires_ms <= c->now)
        return "expired";
    return k->expires_ms != 0 ? "expiring" : "active";
}

json_t *pf_key_json(const struct pf_call *c, const struct mg_key_record *k)
{
    json_t *o = json_object(), *scopes = json_array(), *models = json_array();
    char prefix[32];
    json_object_set_new(o, "id", json_string(k->public_id));
    json_object_set_new(o, "name", json_string(k->name));
    json_object_set_new(o, "region", json_string(mg_region_name(k->region)));
    for (int s = 0; s < MG_SVC_QUOTA; s++)
        if (k->scopes & MG_SCOPE(s))
            json_array_append_new(scopes, json_string(mg_service_name((enum mg_service)s)));
    json_object_set_new(o, "scopes", scopes);
    for (const char *p = k->models; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0)
            json_array_append_new(models, json_stringn(p, n));
        p += n + (e != NULL);
    }
    json_object_set_new(o, "models", models);
    json_t *limits = json_object();
    json_object_set_new(limits, "rpm", k->rpm > 0 ? json_integer(k->rpm) : json_null());
    json_object_set_new(limits, "tpm", k->tpm > 0 ? json_integer(k->tpm) : json_null());
    json_object_set_new(limits, "cap_micros", k->cap_micros > 0 ? json_integer(k->cap_micros) : json_null());
    json_object_set_new(o, "limits", limits);
    json_object_set_new(o, "status", json_string(pf_key_status(c, k)));
    pf_set_time(o, "created_at", k->created_ms);
    pf_set_time(o, "last_used_at", k->last_used_ms);
    pf_set_time(o, "expires_at", k->expires_ms);
    int64_t last = k->last_used_ms > k->created_ms ? k->last_used_ms : k->created_ms;
    json_object_set_new(o, "unused_90d", json_boolean(c->now - last > UNUSED_MS));
    snprintf(prefix, sizeof(prefix), "mgk_%s_%s", mg_region_tag(k->region), k->public_id);
    json_object_set_new(o, "prefix", json_string(prefix));
    return o;
}

/* ---- reading the body ------------------------------------------------------------------------ */

/* body.scopes (a list of families) into *out; MG_DECLINED with the error set. */
static int body_scopes(struct pf_call *c, uint32_t *out)
{
    json_t *arr = json_object_get(c->body, "scopes"), *v;
    size_t i;
    *out = 0;
    json_array_foreach(arr, i, v) {
        enum mg_service s;
        if (!json_is_string(v) || mg_service_parse(json_string_value(v), &s) != MG_OK || s == MG_SVC_QUOTA) {
            pf_fail(c, MG_E_FIELD_INVALID, "scopes",
                    "Each scope is one of chat, speech, video, image, music, voice, files.");
            return MG_DECLINED;
        }
        *out |= MG_SCOPE(s);
    }
    if (*out == 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "scopes", "Give at least one scope.");
        return MG_DECLINED;
    }
    return MG_OK;
}

/* The limits the body names: rpm, tpm, cap_micros (bodyspec checked their
 * range; null = no limit).  Present ones get their value or 0 into *v and
 * their pointer into p (for key_update), absent ones leave p NULL. */
struct limits {
    int64_t v[3];
    const int64_t *p[3];
};
static const char *const limit_names[3] = {"rpm", "tpm", "cap_micros"};

static int body_limits(struct pf_call *c, int64_t owner, struct limits *l)
{
    for (int i = 0; i < 3; i++) {
        json_t *x = json_object_get(c->body, limit_names[i]);
        l->v[i] = json_is_integer(x) ? (int64_t)json_integer_value(x) : 0;
        l->p[i] = x != NULL ? &l->v[i] : NULL;
    }
    /* a key's own cap is a cap (AC-11): the account's plan must have them; an admin sets any */
    if (l->v[2] > 0 && owner == c->acct.id && pf_plan_caps(c, &c->acct) != MG_OK)
        return MG_DECLINED;
    return MG_OK;
}

/* ---- shared steps ------------------------------------------------------------------------------ */

void pf_key_refresh(struct pf_call *c, const char *public_id)
{
    struct mg_key_record k;
    if (c->pf->keys == NULL)
        return;
    if (c->store->ops->key_get(c->store, public_id, &k) == MG_OK)
        mg_keycache_put(c->pf->keys, &k);
    else
        mg_log(MG_LOG_WARN, "keys: could not re-read key %s for the key cache (the poller will)", public_id);
}

int pf_key_of(struct pf_call *c, int64_t owner, const char *public_id, struct mg_key_record *k)
{
    int rc = c->store->ops->key_get(c->store, public_id, k);
    if (rc == MG_OK && k->account_id != owner)
        rc = MG_DECLINED; /* another account's key is answered exactly like none */
    if (rc == MG_DECLINED)
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such API key.");
    else if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc;
}

/* A key that can still change: not revoked, not expired (else 409). */
static int changeable(struct pf_call *c, const struct mg_key_record *k)
{
    const char *st = pf_key_status(c, k);
    if (strcmp(st, "revoked") == 0 || strcmp(st, "expired") == 0) {
        pf_fail(c, MG_E_CONFLICT, NULL, "This key is revoked or expired; it can be read but not changed.");
        return MG_DECLINED;
    }
    return MG_OK;
}

/* Room for one more active key of owner (409 beyond PF_KEYS_PER_ACCOUNT). */
static int room(struct pf_call *c, int64_t owner)
{
    int n = 0, rc = c->store->ops->keys_count_active(c->store, owner, c->now, &n);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return MG_ERR;
    }
    if (n >= PF_KEYS_PER_ACCOUNT) {
        pf_fail(c, MG_E_CONFLICT, NULL, "This account has 100 active keys, the most it may have; revoke one first.");
        return MG_DECLINED;
    }
    return MG_OK;
}

/* Makes and stores a new key like tmpl (account, name, region, scopes, models, expiry); the full key into
 * full (wiped by the caller), the stored record back into tmpl. */
static int insert_new(struct pf_call *c, struct mg_key_record *k, char full[MG_KEY_LEN + 1])
{
    struct mg_key_parts parts;
    mg_key_generate(k->region, full, &parts);
    mg_strlcpy(k->public_id, parts.public_id, sizeof(k->public_id));
    mg_key_digest(c->pf->key_secret, sizeof(c->pf->key_secret), full, MG_KEY_LEN, k->digest);
    k->status = MG_KEY_ACTIVE;
    k->created_ms = c->now;
    k->last_used_ms = 0;
    int rc = c->store->ops->key_insert(c->store, k);
    if (rc != MG_OK) {
        sodium_memzero(full, MG_KEY_LEN + 1);
        pf_store_failed(c, rc);
    }
    return rc;
}

/* The answer that shows a full key, this once. */
static json_t *with_secret(struct pf_call *c, const char *public_id, char full[MG_KEY_LEN + 1])
{
    struct mg_key_record k;
    json_t *o;
    if (c->store->ops->key_get(c->store, public_id, &k) != MG_OK) {
        sodium_memzero(full, MG_KEY_LEN + 1);
        return NULL;
    }
    if (c->pf->keys)
        mg_keycache_put(c->pf->keys, &k);
    o = pf_key_json(c, &k);
    json_object_set_new(o, "key", json_string(full));
    sodium_memzero(full, MG_KEY_LEN + 1);
    return o;
}

/* ---- the operations, for any owner -------------------------------------------------------------- */

struct key_list {
    const struct pf_call *c;
    json_t *arr;
};

static int add_key(void *arg, const struct mg_key_record *k)
{
    struct key_list *l = arg;
    json_array_append_new(l->arr, pf_key_json(l->c, k));
    return MG_OK;
}

void pf_keys_list_of(struct pf_call *c, int64_t owner)
{
    struct key_list l = {c, json_array()};
    int rc = c->store->ops->keys_list(c->store, owner, add_key, &l);
    if (rc != MG_OK) {
        json_decref(l.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "keys", l.arr);
    pf_reply(c, 200, o);
}

void pf_key_create_for(struct pf_call *c, int64_t owner)
{
    struct mg_key_record k;
    char full[MG_KEY_LEN + 1], detail[128];
    memset(&k, 0, sizeof(k));
    k.account_id = owner;
    k.region = MG_REGION_GLOBAL;
    k.scopes = MG_SCOPES_ALL;
    mg_strlcpy(k.name, pf_str(c, "name"), sizeof(k.name));
    if (pf_has(c, "region")) {
        const int *serves = c->pf->cfg.serves;
        int known = serves[MG_REGION_GLOBAL] || serves[MG_REGION_CN]; /* operator commands know no channels */
        if (mg_region_parse(pf_str(c, "region"), &k.region) != MG_OK || (known && !serves[k.region])) {
            snprintf(detail, sizeof(detail), "This server serves %s.",
                     !known || (serves[MG_REGION_GLOBAL] && serves[MG_REGION_CN]) ? "the regions global and cn"
                     : serves[MG_REGION_GLOBAL]                                 ? "the region global only"
                                                                                : "the region cn only");
            pf_fail(c, MG_E_FIELD_INVALID, "region", detail);
            return;
        }
    }
    if (pf_has(c, "scopes") && body_scopes(c, &k.scopes) != MG_OK)
        return;
    if (pf_has(c, "models") && pf_body_models(c, k.models, sizeof(k.models)) != MG_OK)
        return;
    struct limits lim;
    if (body_limits(c, owner, &lim) != MG_OK)
        return;
    k.rpm = lim.v[0], k.tpm = lim.v[1], k.cap_micros = lim.v[2];
    if (pf_has(c, "expires_at") && (pf_time_parse(pf_str(c, "expires_at"), &k.expires_ms) != MG_OK || k.expires_ms <= c->now)) {
        pf_fail(c, MG_E_FIELD_INVALID, "expires_at", "A time in the future in RFC 3339, such as 2027-01-31T12:00:00Z.");
        return;
    }
    if (room(c, owner) != MG_OK || insert_new(c, &k, full) != MG_OK)
        return;
    snprintf(detail, sizeof(detail), "key %s", k.public_id);
    pf_audit(c, "key.created", owner, detail);
    json_t *o = with_secret(c, k.public_id, full);
    if (o == NULL) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    pf_reply(c, 201, o);
}

void pf_key_get_of(struct pf_call *c, int64_t owner, const char *public_id)
{
    struct mg_key_record k;
    if (pf_key_of(c, owner, public_id, &k) == MG_OK)
        pf_reply(c, 200, pf_key_json(c, &k));
}

void pf_key_patch_of(struct pf_call *c, int64_t owner, const char *public_id)
{
    struct mg_key_record k;
    uint32_t scopes;
    struct limits lim;
    char models[sizeof(k.models)], detail[200];
    if (pf_key_of(c, owner, public_id, &k) != MG_OK || changeable(c, &k) != MG_OK)
        return;
    int has_scopes = pf_has(c, "scopes"), has_models = pf_has(c, "models");
    if ((has_scopes && body_scopes(c, &scopes) != MG_OK) ||
        (has_models && pf_body_models(c, models, sizeof(models)) != MG_OK))
        return;
    if (body_limits(c, owner, &lim) != MG_OK)
        return;
    struct mg_key_change ch = {
        .name = pf_has(c, "name") ? pf_str(c, "name") : NULL,
        .scopes = has_scopes ? &scopes : NULL,
        .models = has_models ? models : NULL,
        .rpm = lim.p[0],
        .tpm = lim.p[1],
        .cap_micros = lim.p[2],
    };
    int rc = c->store->ops->key_update(c->store, public_id, &ch);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    int o = snprintf(detail, sizeof(detail), "key %s:%s%s%s", public_id, ch.name ? " name" : "",
                     has_scopes ? " scopes" : "", has_models ? " models" : "");
    for (int i = 0; i < 3 && o > 0 && (size_t)o < sizeof(detail); i++)
        if (lim.p[i] != NULL)
            o += snprintf(detail + o, sizeof(detail) - (size_t)o, " %s", limit_names[i]);
    pf_audit(c, "key.updated", owner, detail);
    pf_key_refresh(c, public_id);
    pf_key_get_of(c, owner, public_id);
}

int pf_key_revoke(struct pf_call *c, const struct mg_key_record *k, const char *event)
{
    char detail[64];
    int rc = c->store->ops->key_set_status(c->store, k->public_id, MG_KEY_REVOKED);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return rc;
    }
    snprintf(detail, sizeof(detail), "key %s", k->public_id);
    pf_audit(c, event, k->account_id, detail);
    pf_key_refresh(c, k->public_id);
    return MG_OK;
}

void pf_key_delete_of(struct pf_call *c, int64_t owner, const char *public_id)
{
    struct mg_key_record k;
    if (pf_key_of(c, owner, public_id, &k) != MG_OK)
        return;
    if (k.status == MG_KEY_REVOKED) {
        pf_no_content(c); /* revoking twice is the same as once */
        return;
    }
    if (pf_key_revoke(c, &k, "key.revoked") == MG_OK)
        pf_no_content(c);
}

void pf_key_rotate_of(struct pf_call *c, int64_t owner, const char *public_id)
{
    struct mg_key_record old, k;
    char full[MG_KEY_LEN + 1], detail[128];
    int64_t window = pf_int(c, "window_seconds", 86400);
    if (pf_key_of(c, owner, public_id, &old) != MG_OK || changeable(c, &old) != MG_OK)
        return;
    if (window > 0 && room(c, owner) != MG_OK)
        return;
    k = old;
    k.expires_ms = 0; /* the new key lives on; only the old one ends */
    if (insert_new(c, &k, full) != MG_OK)
        return;
    int64_t end = c->now + window * 1000;
    if (old.expires_ms != 0 && old.expires_ms < end)
        end = old.expires_ms; /* a rotation never lengthens the old key's life */
    int rc = window == 0 ? c->store->ops->key_set_status(c->store, old.public_id, MG_KEY_REVOKED)
                         : c->store->ops->key_set_expiry(c->store, old.public_id, end);
    if (rc != MG_OK) {
        /* the new key is never shown: take it back */
        c->store->ops->key_set_status(c->store, k.public_id, MG_KEY_REVOKED);
        sodium_memzero(full, sizeof(full));
        pf_store_failed(c, rc);
        return;
    }
    snprintf(detail, sizeof(detail), "key %s -> %s, window %llds", old.public_id, k.public_id, (long long)window);
    pf_audit(c, "key.rotated", owner, detail);
    pf_key_refresh(c, old.public_id);
    json_t *o = with_secret(c, k.public_id, full);
    if (o == NULL) {
        pf_fail(c, MG_E_INTERNAL, NULL, NULL);
        return;
    }
    pf_set_time(o, "old_key_expires_at", window == 0 ? c->now : end);
    pf_reply(c, 201, o);
}

/* ---- the signed-in account's routes ------------------------------------------------------------- */

void pf_h_keys_list(struct pf_call *c) { pf_keys_list_of(c, c->acct.id); }
void pf_h_key_create(struct pf_call *c) { pf_key_create_for(c, c->acct.id); }
void pf_h_key_get(struct pf_call *c) { pf_key_get_of(c, c->acct.id, c->params[0]); }
void pf_h_key_patch(struct pf_call *c) { pf_key_patch_of(c, c->acct.id, c->params[0]); }
void pf_h_key_delete(struct pf_call *c) { pf_key_delete_of(c, c->acct.id, c->params[0]); }
void pf_h_key_rotate(struct pf_call *c) { pf_key_rotate_of(c, c->acct.id, c->params[0]); }
