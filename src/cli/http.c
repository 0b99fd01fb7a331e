/*
 * http.c: the CLI's one HTTP client (libcurl).
 *
 * Auth: always `Authorization: Bearer` — it works on every MiniMax path in
 * both regions and on maxgate (the cn endpoint rejects x-api-key: seed 001).
 * Credentials go only to the base URL; downloads of returned media URLs
 * carry none.  libcurl honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY itself.
 */
#include "cli/cli.h"
#include "core/apikey.h"
#include "core/buf.h"
#include "core/mg.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_RESPONSE (256u << 20) /* non-streamed answers (base64 images, hex audio) stay below this */
#define DEFAULT_TIMEOUT_S 300

const char *mg_cli_base_url(const struct mg_cli *cli)
{
    if (cli->prof.base_url[0])
        return cli->prof.base_url;
    enum mg_region r = MG_REGION_GLOBAL;
    if (cli->prof.region[0])
        mg_region_parse(cli->prof.region, &r);
    /* MAXGATE_GLOBAL_URL / MAXGATE_CN_URL replace MiniMax's hosts (a mirror, or the tests' simulators) */
    const char *over = getenv(r == MG_REGION_CN ? "MAXGATE_CN_URL" : "MAXGATE_GLOBAL_URL");
    return over != NULL && over[0] ? over : mg_region_api_base(r);
}

struct sink {
    struct mg_buf buf;
    /* SSE */
    mg_cli_sse_cb cb;
    void *arg;
    struct mg_buf line, event, data;
    int stopped;
    struct mg_http_result *res;
    CURL *curl;
};

static void sse_dispatch(struct sink *s)
{
    if (s->data.len > 0 && !s->stopped)
        s->stopped = s->cb(s->arg, s->event.data ? s->event.data : "", s->data.data ? s->data.data : "");
    mg_buf_reset(&s->event);
    mg_buf_reset(&s->data);
}

static void sse_line(struct sink *s, const char *l, size_t n)
{
    if (n > 0 && l[n - 1] == '\r')
        n--;
    if (n == 0) {
        sse_dispatch(s);
    } else if (n >= 5 && memcmp(l, "data:", 5) == 0) {
        size_t off = (n > 5 && l[5] == ' ') ? 6 : 5;
        if (s->data.len)
            mg_buf_append(&s->data, "\n", 1);
        mg_buf_append(&s->data, l + off, n - off);
    } else if (n >= 6 && memcmp(l, "event:", 6) == 0) {
        size_t off = (n > 6 && l[6] == ' ') ? 7 : 6;
        mg_buf_reset(&s->event);
        mg_buf_append(&s->event, l + off, n - off);
    }
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t len = size * n;
    long status = 0;
    if (s->cb != NULL) {
        char *ct = NULL;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(s->curl, CURLINFO_CONTENT_TYPE, &ct);
        if (status / 100 == 2 && ct != NULL && strstr(ct, "event-stream") != NULL) {
            for (size_t i = 0; i < len; i++) {
                if (p[i] == '\n') {
                    sse_line(s, s->line.data ? s->line.data : "", s->line.len);
                    mg_buf_reset(&s->line);
                } else if (mg_buf_append(&s->line, p + i, 1) != MG_OK) {
                    return 0;
                }
            }
            return s->stopped ? 0 : len;
        }
    }
    return mg_buf_append(&s->buf, p, len) == MG_OK ? len : 0;
}

/* MAXGATE_CA_BUNDLE: a PEM file of extra trusted CAs, for servers with a
 * private CA (and the tests' self-signed simulator). */
static void ca_bundle(CURL *c)
{
    const char *ca = getenv("MAXGATE_CA_BUNDLE");
    if (ca != NULL && ca[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
}

static CURL *easy(struct mg_cli *cli, const char *url, struct curl_slist **h, struct sink *s)
{
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "maxgate-cli/0.1");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(cli->timeout_s > 0 ? cli->timeout_s : DEFAULT_TIMEOUT_S));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    ca_bundle(c);
    s->curl = c;
    /* the platform API takes the session (and never the API key); the rest the key */
    const char *cred = cli->cred == MG_CLI_CRED_SESSION ? cli->prof.session_token
                       : cli->cred == MG_CLI_CRED_KEY   ? cli->prof.api_key
                                                        : "";
    if (cred[0]) {
        char auth[300];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cred);
        *h = curl_slist_append(*h, auth);
    }
    return c;
}

static void verbose(struct mg_cli *cli, const char *method, const char *url)
{
    char mask[80];
    if (!cli->verbose)
        return;
    if (cli->cred != MG_CLI_CRED_KEY) {
        fprintf(stderr, "> %s %s\n> Authorization: %s\n", method, url,
                cli->cred == MG_CLI_CRED_SESSION && cli->prof.session_token[0] ? "Bearer mgs_… (session)" : "(none)");
        return;
    }
    mg_key_mask(cli->prof.api_key, strlen(cli->prof.api_key), mask, sizeof(mask));
    fprintf(stderr, "> %s %s\n> Authorization: Bearer %s\n", method, url, cli->prof.api_key[0] ? mask : "(none)");
}

static int perform(struct mg_cli *cli, CURL *c, struct curl_slist *h, struct sink *s, struct mg_http_result *res)
{
    char *ct = NULL;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    memset(res, 0, sizeof(*res));
    res->curl_code = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ct != NULL)
        mg_strlcpy(res->content_type, ct, sizeof(res->content_type));
    if (s->stopped || (res->curl_code == CURLE_WRITE_ERROR && s->cb != NULL))
        res->curl_code = CURLE_OK; /* the callback chose to stop */
    res->body = s->buf.data ? s->buf.data : mg_strdup("");
    res->len = s->buf.len;
    if (cli->verbose)
        fprintf(stderr, "< HTTP %ld (%s)\n", res->status, res->content_type);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    mg_buf_free(&s->line);
    mg_buf_free(&s->event);
    mg_buf_free(&s->data);
    return res->curl_code == CURLE_OK ? MG_OK : MG_ERR;
}

static void url_of(struct mg_cli *cli, const char *path, char *out, size_t cap)
{
    const char *base = mg_cli_base_url(cli);
    size_t bl = strlen(base);
    snprintf(out, cap, "%.*s%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl), base, path);
}

static void sink_init(struct sink *s, mg_cli_sse_cb cb, void *arg)
{
    memset(s, 0, sizeof(*s));
    mg_buf_init(&s->buf, MAX_RESPONSE);
    mg_buf_init(&s->line, MAX_RESPONSE);
    mg_buf_init(&s->event, 256);
    mg_buf_init(&s->data, MAX_RESPONSE);
    s->cb = cb;
    s->arg = arg;
}

static int json_request(struct mg_cli *cli, const char *method, const char *path, json_t *body, mg_cli_sse_cb cb,
                        void *arg, struct mg_http_result *res)
{
    char url[1200];
    struct curl_slist *h = NULL;
    struct sink s;
    char *text = NULL;
    url_of(cli, path, url, sizeof(url));
    sink_init(&s, cb, arg);
    CURL *c = easy(cli, url, &h, &s);
    verbose(cli, method, url);
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT);
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method); /* DELETE, PATCH (the platform API) */
    if (cb != NULL)
        h = curl_slist_append(h, "Accept: text/event-stream");
    int rc = perform(cli, c, h, &s, res);
    free(text);
    return rc;
}

int mg_cli_request(struct mg_cli *cli, const char *method, const char *path, json_t *body, struct mg_http_result *res)
{
    return json_request(cli, method, path, body, NULL, NULL, res);
}

int mg_cli_stream(struct mg_cli *cli, const char *path, json_t *body, mg_cli_sse_cb cb, void *arg,
                  struct mg_http_result *res)
{
    return json_request(cli, "POST", path, body, cb, arg, res);
}

int mg_cli_upload(struct mg_cli *cli, const char *path, const char *file, const char *purpose,
                  struct mg_http_result *res)
{
    char url[1200];
    struct curl_slist *h = NULL;
    struct sink s;
    url_of(cli, path, url, sizeof(url));
    sink_init(&s, NULL, NULL);
    CURL *c = easy(cli, url, &h, &s);
    curl_mime *mime = curl_mime_init(c);
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_name(part, "file");
    curl_mime_filedata(part, file);
    part = curl_mime_addpart(mime);
    curl_mime_name(part, "purpose");
    curl_mime_data(part, purpose, CURL_ZERO_TERMINATED);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    verbose(cli, "POST", url);
    int rc = perform(cli, c, h, &s, res);
    curl_mime_free(mime);
    return rc;
}

static size_t to_file(char *p, size_t size, size_t n, void *arg)
{
    return fwrite(p, size, n, arg) * size;
}

int mg_cli_download(struct mg_cli *cli, const char *url, const char *file, size_t *bytes)
{
    FILE *f = fopen(file, "wb");
    long status = 0;
    curl_off_t got = 0;
    if (f == NULL)
        return MG_DECLINED;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "maxgate-cli/0.1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    ca_bundle(c);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(cli->timeout_s > 0 ? cli->timeout_s : DEFAULT_TIMEOUT_S));
    if (cli->verbose)
        fprintf(stderr, "> GET %s (no credentials)\n", url);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &got);
    curl_easy_cleanup(c);
    fclose(f);
    *bytes = (size_t)got;
    return rc == CURLE_OK && status / 100 == 2 ? MG_OK : MG_ERR;
}

void mg_cli_result_free(struct mg_http_result *res)
{
    free(res->body);
    res->body = NULL;
}

/* ---- errors -------------------------------------------------------------------- */

int mg_cli_exit_code(long status, int base_code, const char *error_code)
{
    if (status == 401 || status == 403)
        return MG_EXIT_AUTH;
    if (status == 429 || status == 402)
        return MG_EXIT_QUOTA;
    if (status == 408 || status == 504)
        return MG_EXIT_TIMEOUT;
    if (error_code != NULL && strncmp(error_code, "key_", 4) == 0)
        return MG_EXIT_AUTH;
    switch (base_code) {
    case 0:
        return status / 100 == 2 ? MG_EXIT_OK : MG_EXIT_API;
    case 1004: case 2049:
        return MG_EXIT_AUTH;
    case 1002: /* rate limit (mmx wrongly calls it a content filter) */
    case 1008: case 1028: case 1030: case 1039: case 2056: case 2061:
        return MG_EXIT_QUOTA;
    case 1001:
        return MG_EXIT_TIMEOUT;
    case 1026: case 1027:
        return MG_EXIT_FILTER;
    default:
        return MG_EXIT_API;
    }
}

int mg_cli_fail(struct mg_cli *cli, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (cli != NULL && cli->json) {
        json_t *o = json_pack("{s:{s:i,s:s}}", "error", "code", code, "message", msg);
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "maxgate: %s\n", msg);
    }
    return code;
}

void mg_cli_print_json(json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(2));
    printf("%s\n", s);
    free(s);
}

int mg_cli_check(struct mg_cli *cli, struct mg_http_result *res, json_t **doc)
{
    if (res->curl_code != CURLE_OK) {
        if (res->curl_code == CURLE_OPERATION_TIMEDOUT)
            return mg_cli_fail(cli, MG_EXIT_TIMEOUT, "request timed out after %lld s (raise --timeout)",
                               (long long)(cli->timeout_s > 0 ? cli->timeout_s : DEFAULT_TIMEOUT_S));
        return mg_cli_fail(cli, MG_EXIT_NETWORK, "network error talking to %s: %s", mg_cli_base_url(cli),
                           curl_easy_strerror((CURLcode)res->curl_code));
    }
    json_t *d = json_loadb(res->body, res->len, 0, NULL);
    const char *msg = NULL, *code = NULL;
    int base = 0;
    json_t *br = json_object_get(d, "base_resp"), *err = json_object_get(d, "error");
    if (br != NULL) {
        base = (int)json_integer_value(json_object_get(br, "status_code"));
        msg = json_string_value(json_object_get(br, "status_msg"));
    }
    if (json_is_object(err)) {
        msg = json_string_value(json_object_get(err, "message"));
        code = json_string_value(json_object_get(err, "code"));
        if (base == 0)
            base = (int)json_integer_value(json_object_get(err, "minimax_code"));
    }
    int exit = mg_cli_exit_code(res->status, base, code);
    if (exit == MG_EXIT_OK && d == NULL && res->len > 0 && strstr(res->content_type, "json") != NULL)
        exit = MG_EXIT_API;
    if (exit == MG_EXIT_OK) {
        if (doc != NULL)
            *doc = d;
        else
            json_decref(d);
        return MG_EXIT_OK;
    }
    /* Against MiniMax itself a key of the other region is a bare 401: ask the
     * other region, so the user hears which region the key belongs to. */
    if (exit == MG_EXIT_AUTH && cli->prof.base_url[0] == '\0') {
        enum mg_region r = MG_REGION_GLOBAL;
        mg_region_parse(cli->prof.region[0] ? cli->prof.region : "global", &r);
        struct mg_cli alt = *cli;
        struct mg_http_result probe;
        const char *other = mg_region_name(r == MG_REGION_CN ? MG_REGION_GLOBAL : MG_REGION_CN);
        mg_strlcpy(alt.prof.region, other, sizeof(alt.prof.region));
        alt.verbose = 0;
        mg_cli_request(&alt, "GET", "/v1/token_plan/remains", NULL, &probe);
        int theirs = probe.curl_code == CURLE_OK && probe.status == 200;
        mg_cli_result_free(&probe);
        if (theirs) {
            json_decref(d);
            return mg_cli_fail(cli, MG_EXIT_AUTH, "this key belongs to %s; use --region %s", other, other);
        }
    }
    /* maxgate's messages already say what to do; the code tells the cases apart */
    int rc = mg_cli_fail(cli, exit, "%s (HTTP %ld%s%s)", msg ? msg : "request failed", res->status,
                         code ? ", " : "", code ? code : "");
    json_decref(d);
    return rc;
}
