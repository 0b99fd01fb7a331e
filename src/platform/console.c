/*
 * console.c: the console's static files from memory (console.h).
 *
 * index.html is the one file whose bytes change when served: at registration
 * its "{{hash:FILE}}" marks become FILE's content-hash prefix, once, into a
 * buffer that lives as long as the process.  Everything else is sent straight
 * from the embedded data.
 */
#include "platform/console.h"
#include "core/embed.h"
#include "core/log.h"

#include <string.h>

extern const struct mg_embed_set mg_embed_web;

#define PREFIX "/console/"
#define HASH_PREFIX_LEN 12      /* of the hex SHA-256 in "?v=": 48 bits, collisions are not a worry */
#define MARK_OPEN "{{hash:"
#define MARK_CLOSE "}}"
#define INDEX_GROWTH_MAX 4096   /* ceiling on what the marks may add to index.html */

static const char CSP[] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
static const char CACHE_IMMUTABLE[] = "public, max-age=31536000, immutable";
static const char CACHE_REVALIDATE[] = "no-cache";

/* Content types by file name ending; the first match wins. */
static const struct {
    const char *ext;
    const char *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

/* Console routes whose page reads a token from the URL fragment: nothing of
 * their URL may leave in a Referer. */
static const char *const NO_REFERRER_ROUTES[] = {"verify", "set-password", "reset"};

static struct {
    const struct mg_embed_file *index;
    char *index_html; /* index.html with its marks replaced; process lifetime */
    size_t index_len;
} con;

static void add(h2o_req_t *req, const char *name, const char *value, size_t len)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, value, len);
}

static void add_security_headers(h2o_req_t *req, int no_referrer)
{
    add(req, "content-security-policy", CSP, sizeof(CSP) - 1);
    add(req, "x-content-type-options", H2O_STRLIT("nosniff"));
    add(req, "x-frame-options", H2O_STRLIT("DENY"));
    if (no_referrer)
        add(req, "referrer-policy", H2O_STRLIT("no-referrer"));
    else
        add(req, "referrer-policy", H2O_STRLIT("strict-origin-when-cross-origin"));
}

static int is_head(h2o_req_t *req) { return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")); }

/* Sends status with body (static: not copied); HEAD gets the headers only. */
static void send_static(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = status;
    req->res.reason = mg_http_reason(status);
    req->res.content_length = len;
    if (type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    h2o_start_response(req, &generator);
    h2o_iovec_t buf = h2o_iovec_init(body, is_head(req) ? 0 : len);
    h2o_send(req, &buf, buf.len ? 1 : 0, H2O_SEND_STATE_FINAL);
}

static void send_text(h2o_req_t *req, int status, const char *text)
{
    add_security_headers(req, 0);
    send_static(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void send_redirect(h2o_req_t *req, const char *location)
{
    add_security_headers(req, 0);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LOCATION, NULL, location, strlen(location));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT(CACHE_REVALIDATE));
    send_static(req, 302, "text/plain; charset=utf-8", H2O_STRLIT("see /console/\n"));
}

static const char *content_type(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < MG_ARRAY_SIZE(TYPES); i++) {
        size_t e = strlen(TYPES[i].ext);
        if (n > e && memcmp(path + n - e, TYPES[i].ext, e) == 0)
            return TYPES[i].type;
    }
    return "application/octet-stream";
}

/* 1 when the request's If-None-Match names etag (or is "*"). */
static int not_modified(h2o_req_t *req, const char *etag, size_t etag_len)
{
    struct mg_str inm = mg_http_header(req, "if-none-match");
    if (inm.ptr == NULL)
        return 0;
    if (inm.len == 1 && inm.ptr[0] == '*')
        return 1;
    for (size_t i = 0; i + etag_len <= inm.len; i++) /* a list of tags: any one of them */
        if (memcmp(inm.ptr + i, etag, etag_len) == 0)
            return 1;
    return 0;
}

/* 1 when the query is exactly "v=<the first HASH_PREFIX_LEN hex of sha256>". */
static int query_names_hash(h2o_req_t *req, const char *sha256)
{
    if (req->query_at == SIZE_MAX)
        return 0;
    const char *q = req->path.base + req->query_at + 1;
    size_t qlen = req->path.len - req->query_at - 1;
    return qlen == 2 + HASH_PREFIX_LEN && memcmp(q, "v=", 2) == 0 && memcmp(q + 2, sha256, HASH_PREFIX_LEN) == 0;
}

static void send_file(h2o_req_t *req, const struct mg_embed_file *f, const char *body, size_t len,
                      const char *cache, int no_referrer)
{
    char etag[2 + 64 + 1];
    int n = snprintf(etag, sizeof(etag), "\"%s\"", f->sha256);
    add_security_headers(req, no_referrer);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache, strlen(cache));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL, h2o_strdup(&req->pool, etag, (size_t)n).base,
                   (size_t)n);
    if (not_modified(req, etag, (size_t)n)) {
        send_static(req, 304, NULL, "", 0);
        return;
    }
    send_static(req, 200, content_type(f->path), body, len);
}

/* The route is the first segment after /console/ ("reset" of "reset/x"). */
static int route_is(struct mg_str rel, const char *route)
{
    size_t n = strlen(route);
    return rel.len >= n && memcmp(rel.ptr, route, n) == 0 && (rel.len == n || rel.ptr[n] == '/');
}

static void send_index(h2o_req_t *req, struct mg_str rel)
{
    int no_referrer = 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(NO_REFERRER_ROUTES); i++)
        no_referrer |= route_is(rel, NO_REFERRER_ROUTES[i]);
    /* The marks' hashes are inside index.html, so its own hash is its ETag. */
    send_file(req, con.index, con.index_html, con.index_len, CACHE_REVALIDATE, no_referrer);
}

static int on_console(h2o_handler_t *self, h2o_req_t *req)
{
    struct mg_str path = mg_http_path(req);
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) && !is_head(req)) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET, HEAD"));
        send_text(req, 405, "the console answers GET and HEAD only\n");
        return 0;
    }
    if (path.len == sizeof(PREFIX) - 2 && memcmp(path.ptr, PREFIX, path.len) == 0) {
        send_redirect(req, PREFIX);
        return 0;
    }
    if (path.len < sizeof(PREFIX) - 1 || memcmp(path.ptr, PREFIX, sizeof(PREFIX) - 1) != 0) {
        send_text(req, 404, "not found\n"); /* "/consolex": not ours, but it reached our path */
        return 0;
    }
    struct mg_str rel = mg_str_make(path.ptr + sizeof(PREFIX) - 1, path.len - (sizeof(PREFIX) - 1));
    const struct mg_embed_file *f = rel.len > 0 ? mg_embed_find(&mg_embed_web, rel.ptr, rel.len) : NULL;
    if (f != NULL && f != con.index) {
        const char *cache = query_names_hash(req, f->sha256) ? CACHE_IMMUTABLE : CACHE_REVALIDATE;
        send_file(req, f, (const char *)f->data, f->len, cache, 0);
        return 0;
    }
    /* a name with an extension in its last segment is a file request: no page answers it */
    const char *last = rel.ptr;
    for (size_t i = 0; i < rel.len; i++)
        if (rel.ptr[i] == '/')
            last = rel.ptr + i + 1;
    if (f == NULL && memchr(last, '.', (size_t)(rel.ptr + rel.len - last)) != NULL) {
        send_text(req, 404, "no such file in the console\n");
        return 0;
    }
    send_index(req, rel);
    return 0;
}

/* index.html with every {{hash:FILE}} replaced by FILE's hash prefix.  An
 * unknown FILE stays as it is (logged): the browser's request for it fails
 * and the browser tests see that. */
static void build_index(void)
{
    const char *src = (const char *)con.index->data, *end = src + con.index->len;
    size_t cap = con.index->len + INDEX_GROWTH_MAX, n = 0;
    char *out = mg_malloc(cap + 1);
    while (src < end) {
        const char *m = memmem(src, (size_t)(end - src), MARK_OPEN, sizeof(MARK_OPEN) - 1);
        const char *name = m ? m + sizeof(MARK_OPEN) - 1 : NULL;
        const char *close = m ? memmem(name, (size_t)(end - name), MARK_CLOSE, sizeof(MARK_CLOSE) - 1) : NULL;
        size_t keep = (size_t)((close ? m : end) - src);
        memcpy(out + n, src, keep); /* never beyond cap: what is kept is at most the input */
        n += keep;
        src += keep;
        if (close == NULL)
            break;
        const struct mg_embed_file *f = mg_embed_find(&mg_embed_web, name, (size_t)(close - name));
        size_t mark_len = (size_t)(close - m) + sizeof(MARK_CLOSE) - 1;
        if (f == NULL || n + HASH_PREFIX_LEN > cap) {
            mg_log(MG_LOG_ERROR, "console: index.html names %.*s, which is not an embedded file (or too many marks)",
                   (int)(close - name), name);
            memcpy(out + n, m, mark_len);
            n += mark_len;
        } else {
            memcpy(out + n, f->sha256, HASH_PREFIX_LEN);
            n += HASH_PREFIX_LEN;
        }
        src = m + mark_len;
    }
    out[n] = '\0';
    con.index_html = out;
    con.index_len = n;
}

void mg_console_register(h2o_hostconf_t *host)
{
    static const char missing[] = "<!doctype html><title>maxgate</title><p>This build has no console files.</p>\n";
    static const struct mg_embed_file empty = {"index.html", (const unsigned char *)missing, sizeof(missing) - 1,
                                               "0000000000000000000000000000000000000000000000000000000000000000"};
    if (con.index == NULL) { /* the files are the same for every host: once per process */
        con.index = mg_embed_find(&mg_embed_web, H2O_STRLIT("index.html"));
        if (con.index == NULL) {
            mg_log(MG_LOG_ERROR, "console: no index.html among the embedded files (src/web)");
            con.index = &empty;
        }
        build_index();
    }
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/console", 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = on_console;
}

static int on_root(h2o_handler_t *self, h2o_req_t *req)
{
    struct mg_str path = mg_http_path(req);
    int get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) || is_head(req);
    if (!get || path.len != 1 || path.ptr[0] != '/')
        return -1;
    send_redirect(req, PREFIX);
    return 0;
}

void mg_console_register_root(h2o_hostconf_t *host)
{
    h2o_pathconf_t *pc = NULL;
    for (size_t i = 0; i < host->paths.size && pc == NULL; i++)
        if (h2o_memis(host->paths.entries[i].path.base, host->paths.entries[i].path.len, H2O_STRLIT("/")))
            pc = &host->paths.entries[i];
    if (pc == NULL)
        pc = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
    h->on_req = on_root;
    /* h2o_create_handler appends; the root redirect must run before the path's owner */
    memmove(pc->handlers.entries + 1, pc->handlers.entries, (pc->handlers.size - 1) * sizeof(pc->handlers.entries[0]));
    pc->handlers.entries[0] = h;
}
