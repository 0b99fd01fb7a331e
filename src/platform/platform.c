/*
 * platform.c: the /platform/v1 handler (platform.h, pf.h).
 *
 * Loop thread: match the route (a miss is answered here), copy what the call
 * needs out of the request, submit it to the platform pool.  Worker: run the
 * call whole and render its answer.  Loop thread again: send it, unless the
 * client has gone (the sentinel on the request's pool tells).
 */
#include "platform/pf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mg.h"
#include "net/http.h"

#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PF_PREFIX "/platform/v1"
#define SESSION_COOKIE_SECURE "__Host-mg_session"
#define SESSION_COOKIE_PLAIN "mg_session"

struct pf_handler {
    h2o_handler_t super;
    struct mg_platform *pf;
};

struct pf_sentinel;

struct pf_job {
    struct mg_job job;
    struct pf_call call;
    h2o_req_t *req;     /* NULL once the client is gone */
    struct pf_sentinel *sen; /* on the request's pool; NULL once it is gone */
    char *resp;         /* the rendered body (malloc), resp_len bytes */
    size_t resp_len;
};

struct pf_sentinel {
    struct pf_job *job;
};

/* ---- the answer ------------------------------------------------------------------ */

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v.base, v.len);
}

/* set_cookie may be ""; retry_after <= 0 sends no Retry-After; ctype NULL = JSON. */
static void send_answer_as(h2o_req_t *req, int status, const char *body, size_t len, const char *set_cookie,
                           int retry_after, const char *ctype, const char *disposition, const char *csrf)
{
    char ra[24];
    add_header(req, "cache-control", "no-store");
    add_header(req, "x-content-type-options", "nosniff");
    if (set_cookie[0])
        add_header(req, "set-cookie", set_cookie);
    if (csrf != NULL && csrf[0]) /* the session was rotated: the token for the client's next writes */
        add_header(req, "x-csrf-token", csrf);
    if (retry_after > 0) {
        snprintf(ra, sizeof(ra), "%d", retry_after);
        add_header(req, "retry-after", ra);
    }
    if (disposition != NULL && disposition[0])
        add_header(req, "content-disposition", disposition);
    mg_http_respond(req, status, len ? (ctype && ctype[0] ? ctype : "application/json") : NULL, body, len);
}

static void send_answer(h2o_req_t *req, int status, const char *body, size_t len, const char *set_cookie,
                        int retry_after)
{
    send_answer_as(req, status, body, len, set_cookie, retry_after, NULL, NULL, NULL);
}

/* An error answered on the loop thread (no route, too large, overloaded). */
static void send_error(h2o_req_t *req, enum mg_err e, const char *detail, const char *rid)
{
    char body[1024];
    size_t n = mg_err_render_platform(body, sizeof(body), e, detail, NULL, rid);
    send_answer(req, mg_err_get(e)->http_status, body, n, "", mg_err_get(e)->retry_after); /* the registry's retry column */
}

/* ---- on the worker ------------------------------------------------------------------ */

static int parse_body(struct pf_call *c)
{
    json_error_t jerr;
    char detail[256];
    const struct pf_field *spec = c->route->body;
    if (spec == NULL) { /* nothing, or an empty object (what a client sends for "no fields") */
        json_t *doc = c->body_len ? json_loadb(c->body_text, c->body_len, 0, &jerr) : NULL;
        int empty = c->body_len == 0 || (json_is_object(doc) && json_object_size(doc) == 0);
        json_decref(doc);
        if (!empty) {
            pf_fail(c, MG_E_FIELD_INVALID, NULL, "This endpoint takes no fields: send no body or {}.");
            return MG_DECLINED;
        }
        return MG_OK;
    }
    if (c->body_len == 0)
        return pf_body_check(c, spec, NULL);
    json_t *doc = json_loadb(c->body_text, c->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (doc == NULL) {
        snprintf(detail, sizeof(detail), "At line %d, column %d: %s.", jerr.line, jerr.column, jerr.text);
        pf_fail(c, MG_E_JSON_MALFORMED, NULL, detail);
        return MG_DECLINED;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        pf_fail(c, MG_E_JSON_NOT_OBJECT, NULL, NULL);
        return MG_DECLINED;
    }
    c->body = doc;
    return pf_body_check(c, spec, doc);
}

static void render(struct pf_job *j)
{
    struct pf_call *c = &j->call;
    if (c->err != MG_E_NONE) {
        char buf[2048];
        size_t n = mg_err_render_platform(buf, sizeof(buf), c->err, c->detail[0] ? c->detail : NULL,
                                          c->field[0] ? c->field : NULL, c->request_id);
        c->status = mg_err_get(c->err)->http_status;
        if (c->retry_after == 0 && mg_err_get(c->err)->retry_after > 0)
            c->retry_after = mg_err_get(c->err)->retry_after;
        j->resp = mg_strndup(buf, n);
        j->resp_len = n;
        c->content_type[0] = '\0';
        c->content_disposition[0] = '\0';
        return;
    }
    if (c->raw != NULL) {
        j->resp = (char *)c->raw;
        j->resp_len = c->raw_len;
        c->raw = NULL;
        return;
    }
    if (c->out != NULL) {
        char *text = json_dumps(c->out, JSON_COMPACT);
        if (text == NULL)
            mg_log(MG_LOG_ERROR, "platform: cannot render the answer of request %s", c->request_id);
        j->resp = text ? text : mg_strdup("{}");
        j->resp_len = strlen(j->resp);
    }
}

static void job_run(struct mg_job *job, struct mg_store *store)
{
    struct pf_job *j = H2O_STRUCT_FROM_MEMBER(struct pf_job, job, job);
    struct pf_call *c = &j->call;
    c->store = store;
    c->now = mg_now_ms();
    c->status = 200;
    if (store == NULL)
        pf_fail(c, MG_E_INTERNAL, NULL, "The database is not reachable.");
    else if ((c->route->auth == PF_PUBLIC || c->authed || pf_session_check(c) == MG_OK) && parse_body(c) == MG_OK)
        c->route->handler(c);
    render(j);
}

static void job_free(struct pf_job *j)
{
    struct pf_call *c = &j->call;
    json_decref(c->body);
    json_decref(c->out);
    free(c->raw);
    free(c->body_text);
    free(j->resp);
    sodium_memzero(c, sizeof(*c)); /* tokens and passwords were in here */
    free(j);
}

static void job_done(struct mg_job *job)
{
    struct pf_job *j = H2O_STRUCT_FROM_MEMBER(struct pf_job, job, job);
    struct pf_call *c = &j->call;
    if (j->req != NULL) {
        send_answer_as(j->req, c->status, j->resp ? j->resp : "", j->resp_len, c->set_cookie, c->retry_after,
                       c->content_type, c->content_disposition, c->err == MG_E_NONE ? c->csrf_out : NULL);
        mg_metrics_request("platform", c->status, 0, 0);
    }
    if (j->sen != NULL)
        j->sen->job = NULL;
    atomic_fetch_sub(&c->pf->inflight, 1);
    job_free(j);
}

/* ---- on the loop thread ------------------------------------------------------------- */

static void copy_header(h2o_req_t *req, const char *lname, char *out, size_t cap)
{
    struct mg_str v = mg_http_header(req, lname);
    size_t n = v.ptr ? MG_MIN(v.len, cap - 1) : 0;
    if (n)
        memcpy(out, v.ptr, n);
    out[n] = '\0';
}

/* Is ip one of the comma-separated trusted proxies? */
static int trusted(const char *list, const char *ip, size_t len)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == len && len > 0 && strncmp(p, ip, len) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* The real client: the peer, unless the peer is a trusted proxy; then the
 * right-most X-Forwarded-For entry that is not one (a client can prepend
 * anything to that header, but not append). */
static void client_ip(struct mg_platform *pf, h2o_req_t *req, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    char peer[NI_MAXHOST] = "";
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (sl > 0)
        h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, peer);
    mg_strlcpy(out, peer, cap);
    if (!trusted(pf->cfg.trusted_proxies, peer, strlen(peer)))
        return;
    struct mg_str xff = mg_http_header(req, "x-forwarded-for");
    if (xff.ptr == NULL)
        return;
    size_t end = xff.len;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff.ptr[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && xff.ptr[a] == ' ')
            a++;
        while (b > a && xff.ptr[b - 1] == ' ')
            b--;
        if (b > a && !trusted(pf->cfg.trusted_proxies, xff.ptr + a, b - a)) {
            size_t n = MG_MIN(b - a, cap - 1);
            memcpy(out, xff.ptr + a, n);
            out[n] = '\0';
            return;
        }
        end = start > 0 ? start - 1 : 0;
    }
}

/* The session cookie's value from the Cookie header(s). */
static void session_cookie(struct mg_platform *pf, h2o_req_t *req, char *out, size_t cap)
{
    const char *name = pf->cfg.secure_cookies ? SESSION_COOKIE_SECURE : SESSION_COOKIE_PLAIN;
    size_t nlen = strlen(name);
    out[0] = '\0';
    for (size_t i = 0; i < req->headers.size; i++) {
        h2o_header_t *h = &req->headers.entries[i];
        if (h->name != &H2O_TOKEN_COOKIE->buf)
            continue;
        const char *p = h->value.base, *end = p + h->value.len;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == ';'))
                p++;
            const char *e = memchr(p, ';', (size_t)(end - p));
            if (e == NULL)
                e = end;
            if ((size_t)(e - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
                size_t n = MG_MIN((size_t)(e - p) - nlen - 1, cap - 1);
                memcpy(out, p + nlen + 1, n);
                out[n] = '\0';
                return;
            }
            p = e;
        }
    }
}

static void bearer(h2o_req_t *req, char *out, size_t cap)
{
    struct mg_str v = mg_http_header(req, "authorization");
    out[0] = '\0';
    if (v.ptr == NULL || v.len < 7 || strncasecmp(v.ptr, "Bearer ", 7) != 0)
        return;
    size_t n = MG_MIN(v.len - 7, cap - 1);
    memcpy(out, v.ptr + 7, n);
    out[n] = '\0';
}

static void on_req_gone(void *p)
{
    struct pf_sentinel *sen = p;
    if (sen->job != NULL) {
        sen->job->req = NULL;
        sen->job->sen = NULL;
    }
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct pf_handler *h = (struct pf_handler *)self;
    struct mg_platform *pf = h->pf;
    struct mg_pool_loop *pl = h2o_context_get_handler_context(req->conn->ctx, self);
    char params[PF_MAX_PARAMS][PF_PARAM_MAX], rid[33];
    uint8_t rb[16];
    int known = 0;

    mg_random(rb, sizeof(rb));
    sodium_bin2hex(rid, sizeof(rid), rb, sizeof(rb));
    add_header(req, "x-request-id", rid);

    struct mg_str path = mg_http_path(req);
    size_t plen = strlen(PF_PREFIX);
    if (path.len < plen || memcmp(path.ptr, PF_PREFIX, plen) != 0 || (path.len > plen && path.ptr[plen] != '/'))
        return -1; /* /platform/v1x is not ours */
    const struct pf_route *r =
        pf_route_find(req->method.base, req->method.len, path.ptr + plen, path.len - plen, params, &known);
    if (r == NULL) {
        send_error(req, known ? MG_E_METHOD_NOT_ALLOWED : MG_E_PATH_UNKNOWN, NULL, rid);
        return 0;
    }
    if (req->entity.len > pf->cfg.max_body) {
        char d[96];
        snprintf(d, sizeof(d), "A platform request body may have at most %zu bytes.", pf->cfg.max_body);
        send_error(req, MG_E_BODY_TOO_LARGE, d, rid);
        return 0;
    }

    /* JSON only: a cross-site form can send text/plain or form bodies without a preflight, never
     * application/json, so this also stops login CSRF on the public endpoints */
    if (req->entity.len > 0) {
        struct mg_str ct = mg_http_header(req, "content-type");
        size_t n = 0;
        while (ct.ptr != NULL && n < ct.len && ct.ptr[n] != ';' && ct.ptr[n] != ' ')
            n++;
        if (ct.ptr == NULL || !(n == 16 && strncasecmp(ct.ptr, "application/json", 16) == 0)) {
            send_error(req, MG_E_CONTENT_TYPE, NULL, rid);
            return 0;
        }
    }

    struct pf_job *j = mg_calloc(1, sizeof(*j));
    struct pf_call *c = &j->call;
    c->route = r;
    c->pf = pf;
    memcpy(c->params, params, sizeof(params));
    memcpy(c->request_id, rid, sizeof(rid));
    if (req->entity.base != NULL && req->entity.len > 0) {
        c->body_text = mg_malloc(req->entity.len + 1);
        memcpy(c->body_text, req->entity.base, req->entity.len);
        c->body_text[req->entity.len] = '\0';
        c->body_len = req->entity.len;
    }
    const char *q = memchr(req->path.base, '?', req->path.len);
    if (q != NULL) {
        size_t n = MG_MIN((size_t)(req->path.base + req->path.len - q - 1), sizeof(c->query) - 1);
        memcpy(c->query, q + 1, n);
        c->query[n] = '\0';
    }
    client_ip(pf, req, c->ip, sizeof(c->ip));
    copy_header(req, "user-agent", c->user_agent, sizeof(c->user_agent));
    copy_header(req, "x-csrf-token", c->csrf, sizeof(c->csrf));
    bearer(req, c->bearer, sizeof(c->bearer));
    session_cookie(pf, req, c->cookie, sizeof(c->cookie));

    j->req = req;
    j->job.run = job_run;
    j->job.done = job_done;
    struct pf_sentinel *sen = h2o_mem_alloc_shared(&req->pool, sizeof(*sen), on_req_gone);
    sen->job = j;
    j->sen = sen;
    atomic_fetch_add(&pf->inflight, 1);
    if (mg_pool_submit(pl, &j->job) != MG_OK) {
        atomic_fetch_sub(&pf->inflight, 1);
        sen->job = NULL;
        job_free(j);
        send_error(req, MG_E_OVERLOADED, "The account service is busy.", rid);
        return 0;
    }
    return 0;
}

static void on_context_init(h2o_handler_t *self, h2o_context_t *ctx)
{
    struct pf_handler *h = (struct pf_handler *)self;
    h2o_context_set_handler_context(ctx, self, mg_pool_attach(h->pf->pool, ctx->loop));
}

static void on_context_dispose(h2o_handler_t *self, h2o_context_t *ctx)
{
    free(h2o_context_get_handler_context(ctx, self));
}

struct mg_platform *mg_platform_new(const struct mg_platform_config *cfg, struct mg_pool *pool,
                                    struct mg_mailer *mailer, struct mg_pw_lists *lists, const uint8_t secret[32])
{
    struct mg_platform *pf = mg_calloc(1, sizeof(*pf));
    pf->cfg = *cfg;
    if (pf->cfg.max_body == 0)
        pf->cfg.max_body = 64 * 1024;
    pf->pool = pool;
    pf->mailer = mailer;
    pf->pw_lists = lists;
    pf->limits = pf_limits_new();
    crypto_kdf_derive_from_key(pf->csrf_key, sizeof(pf->csrf_key), 1, "mg-csrf_", secret);
    crypto_kdf_derive_from_key(pf->totp_key, sizeof(pf->totp_key), 2, "mg-totp_", secret);
    memcpy(pf->key_secret, secret, sizeof(pf->key_secret));
    if (pf->cfg.mfa_max_failures <= 0 || pf->cfg.mfa_max_failures > 10)
        pf->cfg.mfa_max_failures = 5;
    if (cfg->test_clock)
        mg_log(MG_LOG_WARN, "MG_TEST_CLOCK is set: POST /platform/v1/test/clock can move this server's clock. "
                            "Never set it outside tests.");
    return pf;
}

void mg_platform_set_keycache(struct mg_platform *pf, struct mg_keycache *keys)
{
    pf->keys = keys;
}

void mg_platform_set_meter(struct mg_platform *pf, struct mg_meter *meter)
{
    pf->meter = meter;
}

void mg_platform_set_alerts(struct mg_platform *pf, struct mg_alerts *alerts)
{
    pf->alerts = alerts;
}

void mg_platform_set_prices(struct mg_platform *pf, struct mg_pricebook *book,
                            int (*reload)(void *arg, struct mg_store *s), void *arg)
{
    pf->prices = book;
    pf->prices_reload = reload;
    pf->prices_reload_arg = arg;
}

void mg_platform_set_channel_ops(struct mg_platform *pf, const struct mg_platform_channel_ops *ops)
{
    pf->chan = *ops;
    pf->has_chan = 1;
}

void mg_platform_free(struct mg_platform *pf)
{
    if (pf == NULL)
        return;
    sodium_memzero(pf->csrf_key, sizeof(pf->csrf_key));
    sodium_memzero(pf->totp_key, sizeof(pf->totp_key));
    sodium_memzero(pf->key_secret, sizeof(pf->key_secret));
    pf_limits_free(pf->limits);
    free(pf);
}

int mg_platform_run_local(struct mg_platform *pf, struct mg_store *s, const char *method, const char *path,
                          const char *body, char **out)
{
    char params[PF_MAX_PARAMS][PF_PARAM_MAX] = {{0}};
    int known;
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : strlen(path);
    const struct pf_route *r = pf_route_find(method, strlen(method), path, plen, params, &known);
    if (r == NULL) {
        *out = mg_strdup("{\"error\":{\"code\":\"path_unknown\",\"message\":\"no such platform route\"}}");
        return 404;
    }
    struct pf_job *j = mg_calloc(1, sizeof(*j));
    struct pf_call *c = &j->call;
    c->route = r;
    c->pf = pf;
    memcpy(c->params, params, sizeof(params));
    if (q != NULL)
        mg_strlcpy(c->query, q + 1, sizeof(c->query));
    if (body != NULL) {
        c->body_text = mg_strdup(body);
        c->body_len = strlen(body);
    }
    mg_strlcpy(c->ip, "local", sizeof(c->ip));
    mg_strlcpy(c->request_id, "local", sizeof(c->request_id));
    /* the operator: trusted like any process that can open the database; id 0 in the audit log */
    c->authed = 1;
    c->acct.is_admin = 1;
    mg_strlcpy(c->acct.email, "operator", sizeof(c->acct.email));
    job_run(&j->job, s);
    int status = c->status;
    *out = j->resp ? j->resp : mg_strdup("");
    j->resp = NULL;
    job_free(j);
    return status;
}

size_t mg_platform_inflight(struct mg_platform *pf)
{
    return atomic_load(&pf->inflight);
}

void mg_platform_register(struct mg_platform *pf, h2o_hostconf_t *hostconf)
{
    h2o_pathconf_t *pc = h2o_config_register_path(hostconf, PF_PREFIX, 0);
    struct pf_handler *h = (struct pf_handler *)h2o_create_handler(pc, sizeof(*h));
    h->pf = pf;
    h->super.on_req = on_req;
    h->super.on_context_init = on_context_init;
    h->super.on_context_dispose = on_context_dispose;
}
