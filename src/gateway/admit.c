/*
 * admit.c: what a request must pass before anything goes upstream — the
 * credential and the key bound to it, the key's rate limits (GW-9), the
 * route's body rules (GW-8), the price of the model (BL-1), the key's model
 * allowlist and the caps of the account and the key.  Each check answers its
 * own error from the registry and returns MG_ERR; MG_OK lets the request on.
 */
#include "gateway/relay.h"
#include "billing/spendword.h"
#include "core/apikey.h"
#include "core/clock.h"
#include "core/jscan.h"
#include "net/http.h"

#include <sodium.h>
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

/* The digests of the last keys this loop thread saw: a client on a
 * keep-alive connection sends the same key with every request, and an HMAC
 * is ~6k instructions.  A hit needs the whole key equal (constant time), so
 * it tells a caller nothing it did not send.  Only well-formed keys (which
 * passed the checksum) are cached. */
#define DIGEST_CACHE 4
static __thread struct {
    const struct mg_key_hasher *h;
    char key[MG_KEY_LEN];
    uint8_t digest[MG_KEY_DIGEST_LEN];
} digests[DIGEST_CACHE];
static __thread unsigned digests_next;

static void key_digest(const struct mg_key_hasher *h, struct mg_str cred, uint8_t digest[MG_KEY_DIGEST_LEN])
{
    if (cred.len != MG_KEY_LEN) {
        mg_key_hasher_digest(h, cred.ptr, cred.len, digest);
        return;
    }
    for (unsigned i = 0; i < DIGEST_CACHE; i++)
        if (digests[i].h == h && sodium_memcmp(digests[i].key, cred.ptr, MG_KEY_LEN) == 0) {
            memcpy(digest, digests[i].digest, MG_KEY_DIGEST_LEN);
            return;
        }
    mg_key_hasher_digest(h, cred.ptr, cred.len, digest);
    unsigned i = digests_next++ % DIGEST_CACHE;
    digests[i].h = h;
    memcpy(digests[i].key, cred.ptr, MG_KEY_LEN);
    memcpy(digests[i].digest, digest, MG_KEY_DIGEST_LEN);
}

static void wrong_region(struct relay *rl)
{
    const struct mg_gateway_config *cfg = &rl->gw->cfg;
    enum mg_region r = rl->in.key.region;
    const char *where = cfg->region_base_url[r];
    char detail[512];
    snprintf(detail, sizeof(detail), "The key is for region %s; this server%s%s serves %s.%s%s%s", mg_region_name(r),
             cfg->public_base_url[0] ? " at " : "", cfg->public_base_url,
             atomic_load(&rl->gw->serves[MG_REGION_GLOBAL]) ? "global"
             : atomic_load(&rl->gw->serves[MG_REGION_CN]) ? "cn" : "no region",
             where[0] ? " Use the base URL " : " Use a base URL that serves region ",
             where[0] ? where : mg_region_name(r), where[0] ? " for this key." : ".");
    rl_send_error(rl, MG_E_KEY_WRONG_REGION, detail);
}

static int64_t now_ns(void) { return mg_now_ms() * INT64_C(1000000); }

/* 429 rate_limited with the real wait in Retry-After. */
static void rate_refused(struct relay *rl, int64_t wait_ns, const char *detail)
{
    rl->retry_after_s = mg_rate_retry_s(wait_ns);
    rl_send_error(rl, MG_E_RATE_LIMITED, detail);
}

/* GW-9: one request of the key's RPM. */
static int admit_rpm(struct relay *rl)
{
    int64_t wait, rpm = MG_MIN(rl->in.key.rpm, MG_RATE_LIMIT_MAX);
    char detail[200];
    if (mg_rate_take(&rl->in.live->rpm_tat_ns, rpm, 1, now_ns(), &wait) == MG_OK)
        return MG_OK;
    snprintf(detail, sizeof(detail), "This key allows %lld requests a minute; the next one fits in %lld s.",
             (long long)rpm, (long long)mg_rate_retry_s(wait));
    rate_refused(rl, wait, detail);
    return MG_ERR;
}

/* GW-9: a chat request's worst case in tokens against the key's TPM, held
 * until the upstream says what it used (rl_bill) or given back (rl_finish). */
static int admit_tpm(struct relay *rl)
{
    int64_t wait, tpm = MG_MIN(rl->in.key.tpm, MG_RATE_LIMIT_MAX);
    int64_t need = mg_estimate_tokens(rl_prices(rl), &rl->res.q);
    char detail[300];
    if (need <= 0)
        return MG_OK;
    if (need > tpm)
        need = tpm; /* a worst case above the whole limit (no max_tokens, a large model) holds a full minute */
    if (mg_rate_hold_take(&rl->res.tpm, &rl->in.live->tpm_tat_ns, tpm, need, now_ns(), &wait) == MG_OK)
        return MG_OK;
    snprintf(detail, sizeof(detail),
             "This key allows %lld tokens a minute; this request may use up to %lld (one per byte of its body plus "
             "max_tokens, at most the minute's), which fits in %lld s. A lower max_tokens fits sooner.",
             (long long)tpm, (long long)need, (long long)mg_rate_retry_s(wait));
    rate_refused(rl, wait, detail);
    return MG_ERR;
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
    key_digest(&gw->hasher, cred, digest);
    if (mg_keycache_get(gw->keys, digest, key, &rl->in.live) != MG_OK) {
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
    if (!atomic_load_explicit(&gw->serves[key->region], memory_order_relaxed)) {
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
    if (key->rpm > 0 && admit_rpm(rl) != MG_OK)
        return MG_ERR;
    /* last-used is the usage writer's (billing/meter.c), from the events: nothing shared here */
    if (mg_pricebook_pin(gw->prices, &rl->in.prices) != MG_OK) {
        rl_send_error(rl, MG_E_OVERLOADED, "This node has more loop threads than its price book has slots.");
        return MG_ERR;
    }
    rl->in.ratio_ppm = key->account_ratio_ppm >= 0 ? key->account_ratio_ppm : mg_prices_ratio(rl_prices(rl));
    return MG_OK;
}

/* ---- BL-3: the worst case reserved against the cap (billing/reserve.h) ---- */

/* What a route's request can cost by itself.  A video is billed when a query
 * first reports it done: its creation reserves the video it asks, and the
 * hold moves to the task with the creation's answer (gateway/videotasks.h)
 * until that query settles it. */
static enum mg_estimate_kind estimate_kind(const struct mg_route *r)
{
    static const enum mg_estimate_kind by_usage[MG_USAGE_NKINDS] = {
        [MG_USAGE_CHAT] = MG_EST_CHAT,   [MG_USAGE_ANTHROPIC] = MG_EST_CHAT, [MG_USAGE_SPEECH] = MG_EST_SPEECH,
        [MG_USAGE_IMAGE] = MG_EST_IMAGE, [MG_USAGE_MUSIC] = MG_EST_MUSIC,    [MG_USAGE_VOICE] = MG_EST_VOICE,
    };
    if (r->service == MG_SVC_VIDEO && r->body == MG_BODY_JSON)
        return MG_EST_VIDEO;
    return r->usage < MG_USAGE_NKINDS ? by_usage[r->usage] : MG_EST_NONE;
}

/* 429 cap_reached saying whose cap (the account's or the key's), what was
 * needed, what is left and when the period resets; Retry-After is the
 * seconds until then (never a small number), and x-should-retry: false keeps
 * SDKs from retrying at all. */
static void cap_refused(struct relay *rl, const char *whose, int64_t cap, int64_t need, int64_t left)
{
    char detail[400], need_s[32], left_s[32], cap_s[32];
    int64_t month = mg_month_of(mg_now_ms()) + 1; /* Retry-After comes from the registry's row */
    mg_money_format(need, need_s, sizeof(need_s));
    mg_money_format(left, left_s, sizeof(left_s));
    mg_money_format(cap, cap_s, sizeof(cap_s));
    if (need > 0)
        snprintf(detail, sizeof(detail),
                 "This request may cost up to %s (its worst case, e.g. max_tokens at the output price); %s of the "
                 "%s cap of %s is left this period (spent and in flight counted). Lower the request's worst "
                 "case, raise the cap, or wait for the period to reset at %04lld-%02lld-01T00:00:00Z.",
                 need_s, left_s, whose, cap_s, (long long)(1970 + month / 12), (long long)(month % 12 + 1));
    else
        snprintf(detail, sizeof(detail),
                 "Nothing of the %s cap of %s is left this period. Raise the cap, or wait for the period "
                 "to reset at %04lld-%02lld-01T00:00:00Z.",
                 whose, cap_s, (long long)(1970 + month / 12), (long long)(month % 12 + 1));
    rl_send_error(rl, MG_E_CAP_REACHED, detail);
}

/* 429 credit_exhausted: a wallet_only account's balance is the binding limit. */
static void credit_refused(struct relay *rl, int64_t need, int64_t left)
{
    char detail[300], need_s[32], left_s[32];
    mg_money_format(need, need_s, sizeof(need_s));
    mg_money_format(left, left_s, sizeof(left_s));
    snprintf(detail, sizeof(detail), "This account's prepaid credit is used up (%s left, this request may cost up to "
             "%s): redeem a code or ask for a top-up.", left_s, need_s);
    rl_send_error(rl, MG_E_CREDIT_EXHAUSTED, detail);
}

/* What a wallet-only account's balance leaves for this month: the balance
 * less the last month's spend while that month is not yet invoiced (the
 * close debits it from the wallet; until then the month's spend has rolled
 * over to 0 but the balance still holds it). */
static int64_t credit_left(struct relay *rl)
{
    const struct mg_key_record *k = &rl->in.key;
    int64_t credit = k->account_credit_micros;
    if (k->account_closed_month < mg_month_of(mg_now_ms()) - 1)
        credit -= mg_meter_last_month_spend(rl->gw->meter, k->account_id);
    return MG_MAX(credit, 1);
}

/* The account's cap for this request: the key record's effective cap
 * (sq_keys.c's EFFECTIVE_CAP: for a wallet-only account at most its
 * balance), with the balance's last month taken off (credit_left). */
static int64_t account_cap(struct relay *rl)
{
    const struct mg_key_record *k = &rl->in.key;
    return k->account_wallet_only ? MG_MIN(k->account_cap_micros, credit_left(rl)) : k->account_cap_micros;
}

/* Is the account's cap its wallet's balance? */
static int credit_binds(struct relay *rl, int64_t cap)
{
    return rl->in.key.account_wallet_only && cap == credit_left(rl);
}

/* One cap's hold; MG_ERR with the refusal answered. */
static int hold(struct relay *rl, int64_t spender, int64_t cap, int64_t need, struct mg_reservation *r,
                const char *whose)
{
    int64_t left;
    int rc = mg_reserve_take(rl->gw->meter, spender, cap, need, r, &left);
    if (rc == MG_OK)
        return MG_OK;
    if (rc == MG_AGAIN)
        rl_send_error(rl, MG_E_OVERLOADED, "This node tracks too many capped accounts and keys this period to hold another cap.");
    else if (spender == rl->in.key.account_id && r == &rl->res.r && credit_binds(rl, cap))
        credit_refused(rl, need, left);
    else
        cap_refused(rl, whose, cap, need, left);
    return MG_ERR;
}

static int reserve(struct relay *rl)
{
    const struct mg_key_record *k = &rl->in.key;
    struct mg_estimate_req *q = &rl->res.q;
    q->kind = estimate_kind(rl->route);
    q->model = rl_price_model(rl); /* voice clone/design are priced under the route name */
    q->body_len = rl->req->entity.len;
    if (k->tpm > 0 && admit_tpm(rl) != MG_OK)
        return MG_ERR;
    if (k->account_cap_micros <= 0 && k->cap_micros <= 0)
        return MG_OK;
    /* a video's query bills what its creation held (gateway/videotasks.h): a full cap, held by the
     * videos themselves, must not keep their owner from asking for them */
    if (rl->route->usage == MG_USAGE_VIDEO)
        return MG_OK;
    int64_t need = mg_estimate_cost(rl_prices(rl), q, rl->in.ratio_ppm);
    if (k->account_cap_micros > 0 && hold(rl, k->account_id, account_cap(rl), need, &rl->res.r, "account's") != MG_OK)
        return MG_ERR;
    if (k->cap_micros > 0 &&
        hold(rl, mg_meter_key_spender(k->id), k->cap_micros, need, &rl->res.kr, "key's") != MG_OK)
        return MG_ERR; /* the account's hold goes back with the error (rl_finish) */
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
    return rl->route->service != MG_SVC_QUOTA ? reserve(rl) : MG_OK;
}

static int content_type_is(struct mg_str ct, const char *type)
{
    size_t n = strlen(type);
    return ct.ptr != NULL && ct.len >= n && strncasecmp(ct.ptr, type, n) == 0 &&
           (ct.len == n || ct.ptr[n] == ';' || ct.ptr[n] == ' ');
}

static int output_limit(struct relay *rl, const struct mg_jscan_field *f, const char *name, int required);
static int video_shape(struct relay *rl, const struct mg_jscan_field *dur, const struct mg_jscan_field *res);

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
    enum { F_MODEL, F_STREAM, F_MAX_TOKENS, F_MAX_COMPLETION, F_N, F_TEXT, F_DURATION, F_RESOLUTION, F__COUNT };
    struct mg_jscan_field f[F__COUNT] = {
        [F_MODEL] = {.key = "model", .str = rl->in.model, .str_cap = sizeof(rl->in.model)},
        [F_STREAM] = {.key = "stream"},
        /* BL-1 checks the output limit (chat routes); BL-3 reads it for the worst case */
        [F_MAX_TOKENS] = {.key = "max_tokens"},
        [F_MAX_COMPLETION] = {.key = "max_completion_tokens"},
        /* BL-3: the worst case's other inputs (billing/estimate.h); read, never judged here */
        [F_N] = {.key = "n"},
        [F_TEXT] = {.key = "text"}, /* no buffer: only its decoded length */
        /* BL-1: a video is priced by model, resolution and seconds */
        [F_DURATION] = {.key = "duration"},
        [F_RESOLUTION] = {.key = "resolution", .str = rl->in.video_res, .str_cap = sizeof(rl->in.video_res)},
    };
    struct mg_jscan js = {.flags = MG_JSCAN_REJECT_DUPLICATES, .fields = f, .nfields = F__COUNT};
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
    if (r->service == MG_SVC_VIDEO && video_shape(rl, &f[F_DURATION], &f[F_RESOLUTION]) != MG_OK)
        return MG_ERR;
    if (r->service == MG_SVC_CHAT &&
        (output_limit(rl, &f[F_MAX_TOKENS], "max_tokens", r->shape == MG_SHAPE_ANTHROPIC) != MG_OK ||
         output_limit(rl, &f[F_MAX_COMPLETION], "max_completion_tokens", 0) != MG_OK))
        return MG_ERR;
    { /* BL-3: what the worst-case estimate needs (the cap's reservation, rl_admit_model_and_cap) */
        struct mg_estimate_req *q = &rl->res.q;
        for (int i = F_MAX_TOKENS; i <= F_MAX_COMPLETION; i++)
            if (f[i].type == MG_JSCAN_INTEGER && f[i].integer > q->max_tokens)
                q->max_tokens = f[i].integer;
        q->n = f[F_N].type == MG_JSCAN_INTEGER ? f[F_N].integer : 0;
        q->text_bytes = f[F_TEXT].type == MG_JSCAN_STRING ? (int64_t)f[F_TEXT].str_len : -1;
        q->video_seconds = rl->in.video_seconds;
        q->video_res = rl->in.video_res;
    }
    /* the ids of owned resources the body names are read by owners.c (rl_owned_request) */
    return MG_OK;
}

/* A video's length and resolution, as its price needs them: "duration" a
 * whole number of seconds (MG_VIDEO_DEFAULT_SECONDS, MiniMax's default,
 * when absent), "resolution" a word such as 768P or 2K ("" when absent: the
 * price row's any-resolution entry applies). */
static int video_shape(struct relay *rl, const struct mg_jscan_field *dur, const struct mg_jscan_field *res)
{
    rl->in.video_seconds = MG_VIDEO_DEFAULT_SECONDS;
    if (dur->type == MG_JSCAN_INTEGER && dur->integer >= 1 && dur->integer <= MG_VIDEO_SECONDS_MAX)
        rl->in.video_seconds = dur->integer;
    else if (dur->type != MG_JSCAN_ABSENT && dur->type != MG_JSCAN_NULL) {
        rl_send_error(rl, MG_E_FIELD_INVALID, "'duration' must be a whole number of seconds (MiniMax's videos are 6 "
                                              "or 10 seconds long; MiniMax-H3's 4 to 15).");
        return MG_ERR;
    }
    if (res->type == MG_JSCAN_ABSENT || res->type == MG_JSCAN_NULL) {
        rl->in.video_res[0] = '\0';
        return MG_OK;
    }
    if (res->type != MG_JSCAN_STRING || !mg_video_res_valid(rl->in.video_res, res->str_len)) {
        rl->in.video_res[0] = '\0';
        rl_send_error(rl, MG_E_FIELD_INVALID, "'resolution' must be one of MiniMax's resolutions, such as 768P, "
                                              "1080P or 2K.");
        return MG_ERR;
    }
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
    for (const struct mg_own_rule *o = r->own; o < r->own + MG_OWN_RULES && o->op != MG_OWN_NONE; o++)
        if (o->op == MG_OWN_CREATE && o->kind == MG_OWNED_VIDEO_TASK)
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
    const struct mg_price *p = mg_prices_find(rl_prices(rl), model);
    if (p == NULL || !mg_price_covers(p, units)) {
        snprintf(detail, sizeof(detail), "Model: '%s'.", model); /* a valid name: no quotes, no line breaks */
        rl_send_error(rl, MG_E_MODEL_UNPRICED, detail);
        return MG_ERR;
    }
    /* BL-1: a row with video entries may price some lengths and resolutions only */
    if (units == MG_BILL_VIDEOS && mg_video_unit_price(p, rl->in.video_res, rl->in.video_seconds) <= 0) {
        snprintf(detail, sizeof(detail), "Model '%s' has no price for a %lld s video at %s; GET /platform/v1/prices "
                 "lists the lengths and resolutions it prices.", model, (long long)rl->in.video_seconds,
                 rl->in.video_res[0] ? rl->in.video_res : "its default resolution");
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
