/*
 * admit.c: what a request must pass before anything goes upstream — the
 * credential and the key bound to it, the route's body rules (GW-8), the
 * key's model allowlist and the account's cap.  Each check answers its own
 * error from the registry and returns MG_ERR; MG_OK lets the request on.
 */
#include "gateway/relay.h"
#include "core/apikey.h"
#include "core/clock.h"
#include "core/jscan.h"
#include "net/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Query parameters that look like credentials (SECURITY-REFERENCES #38). */
int rl_key_in_query(h2o_req_t *req)
{
    static const char *const names[] = {"key", "api_key", "apikey", "api-key", "access_token", "token"};
    struct mg_str v;
    if (req->query_at == SIZE_MAX)
        return 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(names); i++)
        if (mg_http_query(req, names[i], &v) == MG_OK)
            return 1;
    return memmem(req->path.base + req->query_at, req->path.len - req->query_at, "mgk_", 4) != NULL;
}

static struct mg_str credential(h2o_req_t *req)
{
    struct mg_str v = mg_http_header(req, "authorization");
    if (v.ptr != NULL) {
        if (v.len > 7 && strncasecmp(v.ptr, "Bearer ", 7) == 0)
            return mg_str_make(v.ptr + 7, v.len - 7);
        return v; /* not a bearer: fails the format check with a clear message */
    }
    v = mg_http_header(req, "x-api-key");
    if (v.ptr != NULL)
        return v;
    return mg_http_header(req, "api-key");
}

static void wrong_region(struct relay *rl)
{
    const struct mg_gateway_config *cfg = &rl->gw->cfg;
    enum mg_region r = rl->in.key.region;
    const char *where = cfg->region_base_url[r];
    char detail[512];
    snprintf(detail, sizeof(detail), "The key is for region %s; this server%s%s serves %s.%s%s%s", mg_region_name(r),
             cfg->public_base_url[0] ? " at " : "", cfg->public_base_url,
             cfg->serves[MG_REGION_GLOBAL] ? "global" : cfg->serves[MG_REGION_CN] ? "cn" : "no region",
             where[0] ? " Use the base URL " : " Use a base URL that serves region ",
             where[0] ? where : mg_region_name(r), where[0] ? " for this key." : ".");
    rl_send_error(rl, MG_E_KEY_WRONG_REGION, detail);
}

int rl_admit_key(struct relay *rl)
{
    assert(rl->phase == RL_ADMIT);
    struct mg_gateway *gw = rl->gw;
    struct mg_key_record *key = &rl->in.key;
    struct mg_str cred = credential(rl->req);
    struct mg_key_parts parts;
    uint8_t digest[MG_KEY_DIGEST_LEN];
    char detail[128];

    if (cred.ptr == NULL || cred.len == 0) {
        rl_send_error(rl, MG_E_KEY_MISSING, NULL);
        return MG_ERR;
    }
    if (mg_key_parse(cred.ptr, cred.len, &parts) != MG_OK) {
        rl_send_error(rl, MG_E_KEY_MALFORMED, NULL);
        return MG_ERR;
    }
    mg_key_hasher_digest(&gw->hasher, cred.ptr, cred.len, digest);
    if (mg_keycache_get(gw->keys, digest, key) != MG_OK) {
        rl_send_error(rl, MG_E_KEY_UNKNOWN, NULL);
        return MG_ERR;
    }
    rl->in.authed = 1;
    if (key->status == MG_KEY_REVOKED) {
        rl_send_error(rl, MG_E_KEY_REVOKED, NULL);
        return MG_ERR;
    }
    if (key->expires_ms != 0 && key->expires_ms <= mg_now_ms()) {
        rl_send_error(rl, MG_E_KEY_EXPIRED, NULL);
        return MG_ERR;
    }
    if (!gw->cfg.serves[key->region]) {
        wrong_region(rl);
        return MG_ERR;
    }
    if (rl->route->service != MG_SVC_QUOTA && !(key->scopes & MG_SCOPE(rl->route->service))) {
        snprintf(detail, sizeof(detail), "This path needs the scope '%s'.", mg_service_name(rl->route->service));
        rl_send_error(rl, MG_E_KEY_SCOPE, detail);
        return MG_ERR;
    }
    if (key->account_suspended) {
        rl_send_error(rl, MG_E_ACCOUNT_SUSPENDED, NULL);
        return MG_ERR;
    }
    mg_keycache_touch(gw->keys, key->id);
    return MG_OK;
}

int rl_admit_model_and_cap(struct relay *rl)
{
    assert(rl->phase == RL_ADMIT);
    char detail[600];
    if (!mg_models_admit(rl->in.key.models, rl->in.model)) {
        snprintf(detail, sizeof(detail), "Allowed: %s.", rl->in.key.models);
        rl_send_error(rl, MG_E_MODEL_NOT_ALLOWED, detail);
        return MG_ERR;
    }
    if (rl->in.key.account_cap_micros > 0 && rl->route->service != MG_SVC_QUOTA &&
        mg_meter_spend(rl->gw->meter, rl->in.key.account_id) >= rl->in.key.account_cap_micros) {
        rl_send_error(rl, MG_E_CAP_REACHED, NULL);
        return MG_ERR;
    }
    return MG_OK;
}

static int content_type_is(struct mg_str ct, const char *type)
{
    size_t n = strlen(type);
    return ct.ptr != NULL && ct.len >= n && strncasecmp(ct.ptr, type, n) == 0 &&
           (ct.len == n || ct.ptr[n] == ';' || ct.ptr[n] == ' ');
}

int rl_admit_body(struct relay *rl)
{
    assert(rl->phase == RL_ADMIT);
    h2o_req_t *req = rl->req;
    const struct mg_route *r = rl->route;
    const struct mg_gateway_config *cfg = &rl->gw->cfg;
    char detail[256];

    if (r->body == MG_BODY_NONE)
        return MG_OK;
    size_t limit = r->body == MG_BODY_MULTIPART ? cfg->max_upload_body : cfg->max_json_body;
    if (req->entity.len > limit) {
        snprintf(detail, sizeof(detail), "The limit for this path is %zu bytes; this body has %zu.", limit,
                 req->entity.len);
        rl_send_error(rl, MG_E_BODY_TOO_LARGE, detail);
        return MG_ERR;
    }
    if (req->entity.base == NULL || req->entity.len == 0) {
        rl_send_error(rl, MG_E_BODY_MISSING, NULL);
        return MG_ERR;
    }
    struct mg_str ct = mg_http_header(req, "content-type");
    if (r->body == MG_BODY_MULTIPART) {
        if (ct.ptr == NULL || ct.len < 19 || strncasecmp(ct.ptr, "multipart/form-data", 19) != 0) {
            rl_send_error(rl, MG_E_CONTENT_TYPE, "This path takes multipart/form-data.");
            return MG_ERR;
        }
        return MG_OK;
    }
    if (!content_type_is(ct, "application/json")) {
        rl_send_error(rl, MG_E_CONTENT_TYPE, NULL);
        return MG_ERR;
    }
    /* one pass, no tree: validates as json_loadb(JSON_REJECT_DUPLICATES) and reads the fields we need */
    struct mg_jscan_field f[2] = {
        {.key = "model", .str = rl->in.model, .str_cap = sizeof(rl->in.model)},
        {.key = "stream"},
    };
    struct mg_jscan js = {.flags = MG_JSCAN_REJECT_DUPLICATES, .fields = f, .nfields = 2};
    if (mg_jscan_parse(&js, req->entity.base, req->entity.len) != MG_OK) {
        snprintf(detail, sizeof(detail), "At line %d, column %d: %s.", js.err.line, js.err.column, js.err.text);
        rl_send_error(rl, MG_E_JSON_MALFORMED, detail);
        return MG_ERR;
    }
    if (js.top != MG_JSCAN_OBJECT) {
        rl_send_error(rl, MG_E_JSON_NOT_OBJECT, NULL);
        return MG_ERR;
    }
    if (!(f[0].type == MG_JSCAN_STRING && f[0].str_len < sizeof(rl->in.model))) {
        rl->in.model[0] = '\0';
        if (r->needs_model || f[0].type != MG_JSCAN_ABSENT) {
            rl_send_error(rl, MG_E_MODEL_MISSING, NULL);
            return MG_ERR;
        }
    }
    if (f[1].type != MG_JSCAN_ABSENT && f[1].type != MG_JSCAN_TRUE && f[1].type != MG_JSCAN_FALSE) {
        rl_send_error(rl, MG_E_FIELD_INVALID, "'stream' must be true or false.");
        return MG_ERR;
    }
    /* the ids of owned resources the body names are read by owners.c (rl_owned_request) */
    return MG_OK;
}
