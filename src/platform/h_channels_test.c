/*
 * h_channels_test.c: the channel test of POST /admin/channels/{name}/test:
 * one cheap request through the channel (GET {base_url}/v1/models with its
 * upstream key), on the platform worker that runs the call, by libcurl with
 * the gateway's connect timeout and its egress proxy rules.  The answer says
 * the upstream's status, the latency and, at most, a short summary of what
 * came back (a model count or the upstream's own error message, cut short
 * and with the key taken out): never the body itself, never the key.
 */
#include "core/mg.h"
#include "net/egress.h"
#include "platform/pf.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PROBE_BODY_MAX (64 * 1024) /* what is read of the answer for its summary; the rest is dropped */
#define PROBE_TIMEOUT_MAX_MS 30000 /* a worker waits at most this long for the whole answer */
#define SUMMARY_MAX 120

struct body {
    char buf[PROBE_BODY_MAX + 1];
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t len = size * n, room = PROBE_BODY_MAX - b->len;
    size_t take = len < room ? len : room;
    memcpy(b->buf + b->len, p, take);
    b->len += take;
    b->buf[b->len] = '\0';
    return len; /* beyond the ceiling: read and dropped */
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* text, printable, at most SUMMARY_MAX bytes, with every occurrence of key replaced. */
static json_t *safe_summary(const char *text, const char *key)
{
    char out[SUMMARY_MAX + 4];
    size_t o = 0, klen = strlen(key);
    for (const char *p = text; *p && o < SUMMARY_MAX; p++) {
        if (klen >= 4 && strncmp(p, key, klen) == 0) {
            p += klen - 1;
            continue;
        }
        out[o++] = (unsigned char)*p >= ' ' && *p != 0x7f ? *p : ' ';
    }
    if (text[0] && o == SUMMARY_MAX)
        out[o++] = '.', out[o++] = '.', out[o++] = '.';
    out[o] = '\0';
    return json_string(out); /* json_string refuses invalid UTF-8 (a cut character): null then */
}

/* The upstream's own words from an answer: a model count, or its error message. */
static void summarize(const struct body *b, const char *key, long status, json_t *o)
{
    json_t *doc = json_loads(b->buf, 0, NULL), *v;
    char text[200] = "";
    if (doc != NULL && status >= 200 && status < 300 && json_is_array(v = json_object_get(doc, "data")))
        snprintf(text, sizeof(text), "%zu models", json_array_size(v));
    else if (doc != NULL && json_is_string(v = json_object_get(json_object_get(doc, "error"), "message")))
        mg_strlcpy(text, json_string_value(v), sizeof(text));
    else if (doc != NULL && json_is_string(v = json_object_get(json_object_get(doc, "base_resp"), "status_msg")))
        mg_strlcpy(text, json_string_value(v), sizeof(text));
    else if (doc == NULL && b->len > 0)
        mg_strlcpy(text, "the answer is not JSON", sizeof(text));
    json_decref(doc);
    if (text[0]) {
        json_t *s = safe_summary(text, key);
        json_object_set_new(o, "summary", s ? s : json_null());
    }
}

static const char *curl_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return "upstream_connect";
    case CURLE_OPERATION_TIMEDOUT:
        return "upstream_timeout";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return "upstream_tls";
    default:
        return "upstream_bad_response";
    }
}

static void wipe_list(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p != NULL; p = p->next)
        sodium_memzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static void fail_json(json_t *o, const char *code, const char *message)
{
    json_t *e = json_object();
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", json_string(message));
    json_object_set_new(o, "status", json_null());
    json_object_set_new(o, "ok", json_false());
    json_object_set_new(o, "latency_ms", json_integer(0));
    json_object_set_new(o, "error", e);
}

void pf_channel_probe(struct pf_call *c, const struct mg_channel_record *r, json_t *o)
{
    const struct mg_platform_channel_ops *ops = &c->pf->chan;
    char err[256] = "", url[600], host[256], cerr[CURL_ERROR_SIZE] = "", proxy[300];
    struct mg_egress eg;
    char *key = ops->open_key(ops->arg, r, err, sizeof(err));
    if (key == NULL) {
        fail_json(o, "key_unavailable", err);
        return;
    }
    size_t bl = strlen(r->base_url);
    while (bl > 0 && r->base_url[bl - 1] == '/')
        bl--;
    snprintf(url, sizeof(url), "%.*s/v1/models", (int)bl, r->base_url);
    const char *h = strstr(url, "://");
    if (h == NULL) {
        sodium_memzero(key, strlen(key));
        free(key);
        fail_json(o, "upstream_connect", "The channel's base URL is not an http(s) URL.");
        return;
    }
    h += 3;
    size_t hl = strcspn(h, ":/");
    snprintf(host, sizeof(host), "%.*s", (int)MG_MIN(hl, sizeof(host) - 1), h);
    if (mg_egress_for(host, strncmp(url, "https://", 8) == 0, r->proxy, &eg, err, sizeof(err)) != MG_OK) {
        sodium_memzero(key, strlen(key));
        free(key);
        fail_json(o, "upstream_connect", err);
        return;
    }
    pthread_once(&curl_once, curl_init);
    CURL *cu = curl_easy_init();
    struct body *b = mg_calloc(1, sizeof(*b));
    size_t an = strlen(key) + 32;
    char *auth = mg_malloc(an);
    snprintf(auth, an, "Authorization: Bearer %s", key);
    struct curl_slist *hdrs = curl_slist_append(NULL, auth), *phdrs = NULL;
    sodium_memzero(auth, an);
    free(auth);
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, (long)ops->connect_timeout_ms);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)MG_MIN(ops->timeout_ms, PROBE_TIMEOUT_MAX_MS));
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(cu, CURLOPT_USERAGENT, "maxgate-channel-test");
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, b);
    if (ops->ca_file[0])
        curl_easy_setopt(cu, CURLOPT_CAINFO, ops->ca_file);
    /* the proxy exactly as the gateway picks it (a channel's own setting, else the environment's) */
    if (eg.host[0]) {
        snprintf(proxy, sizeof(proxy), "http://%s:%u", eg.host, (unsigned)eg.port);
        curl_easy_setopt(cu, CURLOPT_PROXY, proxy);
        curl_easy_setopt(cu, CURLOPT_HTTPPROXYTUNNEL, 1L);
        if (eg.auth[0]) {
            char line[sizeof(eg.auth)];
            mg_strlcpy(line, eg.auth, sizeof(line));
            line[strcspn(line, "\r\n")] = '\0';
            phdrs = curl_slist_append(NULL, line);
            sodium_memzero(line, sizeof(line));
            curl_easy_setopt(cu, CURLOPT_PROXYHEADER, phdrs);
            curl_easy_setopt(cu, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
        }
    } else {
        curl_easy_setopt(cu, CURLOPT_PROXY, ""); /* direct: the environment's proxy does not apply */
    }
    CURLcode rc = curl_easy_perform(cu);
    long status = 0;
    curl_off_t total_us = 0;
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(cu, CURLINFO_TOTAL_TIME_T, &total_us);
    curl_easy_cleanup(cu);
    wipe_list(hdrs);
    wipe_list(phdrs);
    sodium_memzero(&eg, sizeof(eg));
    if (rc != CURLE_OK && status == 0) {
        json_t *s = safe_summary(cerr[0] ? cerr : curl_easy_strerror(rc), key);
        fail_json(o, curl_code(rc), s ? json_string_value(s) : "the request failed");
        json_decref(s);
        json_object_set_new(o, "latency_ms", json_integer((json_int_t)(total_us / 1000)));
    } else {
        json_object_set_new(o, "status", json_integer(status));
        json_object_set_new(o, "ok", json_boolean(status >= 200 && status < 300));
        json_object_set_new(o, "latency_ms", json_integer((json_int_t)(total_us / 1000)));
        summarize(b, key, status, o);
        if (status < 200 || status >= 300) {
            json_t *e = json_object();
            json_object_set_new(e, "code", json_string(status == 401 || status == 403 ? "upstream_key_refused"
                                                                                       : "upstream_status"));
            char m[80];
            snprintf(m, sizeof(m), "The upstream answered %ld.", status);
            json_object_set_new(e, "message", json_string(m));
            json_object_set_new(o, "error", e);
        }
    }
    sodium_memzero(b->buf, b->len);
    free(b);
    sodium_memzero(key, strlen(key));
    free(key);
}
