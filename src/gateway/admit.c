/*
 * admit.c: what a request must pass before anything goes upstream — the
 * credential and the key bound to it, the route's body rules (GW-8), the
 * price of the model (BL-1), the key's model allowlist and the account's cap.  Each check answers its own
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

static int output_limit(struct relay *rl, const struct mg_jscan_field *f, const char *name, int required);

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
    /* one pass, no tree: validates as json_loadb(JSON_REJECT_DUPLICATES) and reads the fields we need;
     * the resource id comes last because only some routes read it */
    char id[MAX_RESOURCE_ID];
    enum { F_MODEL, F_STREAM, F_MAX_TOKENS, F_MAX_COMPLETION, F_ID, F__COUNT };
    struct mg_jscan_field f[F__COUNT] = {
        [F_MODEL] = {.key = "model", .str = rl->in.model, .str_cap = sizeof(rl->in.model)},
        [F_STREAM] = {.key = "stream"},
        /* BL-1: the output limit (read in every body; checked on chat routes) */
        [F_MAX_TOKENS] = {.key = "max_tokens"},
        [F_MAX_COMPLETION] = {.key = "max_completion_tokens"},
        [F_ID] = {.key = r->own.body, .str = id, .str_cap = sizeof(id)},
    };
    struct mg_jscan js = {.flags = MG_JSCAN_REJECT_DUPLICATES, .fields = f, .nfields = r->own.body ? F__COUNT : F_ID};
    if (mg_jscan_parse(&js, req->entity.base, req->entity.len) != MG_OK) {
        snprintf(detail, sizeof(detail), "At line %d, column %d: %s.", js.err.line, js.err.column, js.err.text);
        rl_send_error(rl, MG_E_JSON_MALFORMED, detail);
        return MG_ERR;
    }
    if (js.top != MG_JSCAN_OBJECT) {
        rl_send_error(rl, MG_E_JSON_NOT_OBJECT, NULL);
        return MG_ERR;
    }
    if (f[F_MODEL].type == MG_JSCAN_STRING && !mg_model_name_valid(rl->in.model, f[F_MODEL].str_len, 0)) {
        rl->in.model[0] = '\0'; /* never logged: it may hold CR LF or quotes */
        rl_send_error(rl, MG_E_MODEL_NAME_INVALID, NULL);
        return MG_ERR;
    }
    if (!(f[F_MODEL].type == MG_JSCAN_STRING && f[F_MODEL].str_len < sizeof(rl->in.model))) {
        rl->in.model[0] = '\0';
        if (r->needs_model || f[F_MODEL].type != MG_JSCAN_ABSENT) {
            rl_send_error(rl, MG_E_MODEL_MISSING, NULL);
            return MG_ERR;
        }
    }
    if (f[F_STREAM].type != MG_JSCAN_ABSENT && f[F_STREAM].type != MG_JSCAN_TRUE && f[F_STREAM].type != MG_JSCAN_FALSE) {
        rl_send_error(rl, MG_E_FIELD_INVALID, "'stream' must be true or false.");
        return MG_ERR;
    }
    if (r->own.body != NULL) { /* the id a USE/DELETE/CREATE-by-body route names, as a string or a number */
        if (f[F_ID].type == MG_JSCAN_STRING && f[F_ID].str_len > 0 && f[F_ID].str_len < sizeof(id))
            mg_strlcpy(rl->in.res_id, id, sizeof(rl->in.res_id));
        else if (f[F_ID].type == MG_JSCAN_INTEGER)
            snprintf(rl->in.res_id, sizeof(rl->in.res_id), "%lld", (long long)f[F_ID].integer);
    }
    if (r->service == MG_SVC_CHAT &&
        (output_limit(rl, &f[F_MAX_TOKENS], "max_tokens", r->shape == MG_SHAPE_ANTHROPIC) != MG_OK ||
         output_limit(rl, &f[F_MAX_COMPLETION], "max_completion_tokens", 0) != MG_OK))
        return MG_ERR;
    return MG_OK;
}

/* A chat request's output limit: absent (or null) unless `required` (the
 * Anthropic API requires max_tokens), else a positive whole number; kept in
 * rl->in.max_tokens for rl_admit_price, which knows the model's limit.  Of
 * max_tokens and max_completion_tokens the larger counts. */
static int output_limit(struct relay *rl, const struct mg_jscan_field *f, const char *name, int required)
{
    char detail[160];
    if (f->type == MG_JSCAN_ABSENT || (f->type == MG_JSCAN_NULL && !required)) {
        if (!required)
            return MG_OK;
        snprintf(detail, sizeof(detail), "'%s' is required on this path: the largest number of tokens to generate.",
                 name);
        rl_send_error(rl, MG_E_FIELD_INVALID, detail);
        return MG_ERR;
    }
    if (f->type != MG_JSCAN_INTEGER || f->integer < 1) {
        snprintf(detail, sizeof(detail), "'%s' must be a whole number of at least 1.", name);
        rl_send_error(rl, MG_E_FIELD_INVALID, detail);
        return MG_ERR;
    }
    if (f->integer > rl->in.max_tokens)
        rl->in.max_tokens = f->integer;
    return MG_OK;
}

/* The billing keys a route's answers are billed in (enum mg_bill_unit); 0
 * for a route that bills nothing.  A video task is billed when its query
 * first reports success, under the model its creation named.  A cache-read
 * price alone does not price a chat model. */
static unsigned billed_units(const struct mg_route *r)
{
    const struct mg_usage_kind_info *k = mg_usage_kind_info(r->usage);
    if (k != NULL)
        return k->bill & ~(unsigned)MG_BILL_CACHED_TOKENS;
    if (r->own.op == MG_OWN_CREATE && r->own.kind == MG_OWNED_VIDEO_TASK)
        return MG_BILL_VIDEOS;
    return 0;
}

const char *rl_price_model(const struct relay *rl)
{
    return rl->route->usage == MG_USAGE_VOICE ? rl->route->name : rl->in.model;
}

int rl_admit_price(struct relay *rl)
{
    assert(rl->phase == RL_ADMIT);
    unsigned units = billed_units(rl->route);
    const char *model = rl_price_model(rl);
    char detail[256];
    if (units == 0 || model[0] == '\0') /* nothing billed here, or a query billed under its task's model */
        return MG_OK;
    const struct mg_price *p = mg_prices_find(rl->gw->prices, model);
    if (p == NULL || !mg_price_covers(p, units)) {
        snprintf(detail, sizeof(detail), "Model: '%s'.", model); /* a valid name: no quotes, no line breaks */
        rl_send_error(rl, MG_E_MODEL_UNPRICED, detail);
        return MG_ERR;
    }
    int64_t limit = mg_price_max_output(p);
    if (rl->route->service == MG_SVC_CHAT && rl->in.max_tokens > limit) {
        snprintf(detail, sizeof(detail), "'max_tokens' is %lld; the limit for %s is %lld.",
                 (long long)rl->in.max_tokens, model, (long long)limit);
        rl_send_error(rl, MG_E_FIELD_INVALID, detail);
        return MG_ERR;
    }
    return MG_OK;
}

int rl_resource_id(struct relay *rl)
{
    const struct mg_own_rule *o = &rl->route->own;
    struct mg_str v;
    char detail[128];
    if (o->query != NULL && mg_http_query(rl->req, o->query, &v) == MG_OK && v.len > 0 && v.len < MAX_RESOURCE_ID) {
        snprintf(rl->in.res_id, sizeof(rl->in.res_id), "%.*s", (int)v.len, v.ptr);
        return MG_OK;
    }
    if (o->body != NULL && rl->in.res_id[0] != '\0') /* read by rl_admit_body */
        return MG_OK;
    snprintf(detail, sizeof(detail), "Name the resource with '%s'.", o->query ? o->query : o->body);
    rl_send_error(rl, MG_E_FIELD_INVALID, detail);
    return MG_ERR;
}
