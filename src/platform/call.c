/*
 * call.c: what a platform handler uses to read its request and shape its
 * answer (pf.h).  Runs on the platform's workers.
 */
#include "platform/pf.h"
#include "core/log.h"
#include "core/mg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void pf_fail(struct pf_call *c, enum mg_err e, const char *field, const char *detail)
{
    c->err = e;
    mg_strlcpy(c->field, field ? field : "", sizeof(c->field));
    mg_strlcpy(c->detail, detail ? detail : "", sizeof(c->detail));
    json_decref(c->out);
    c->out = NULL;
    free(c->raw);
    c->raw = NULL;
}

void pf_reply(struct pf_call *c, int status, json_t *obj)
{
    json_decref(c->out);
    c->status = status;
    c->out = obj;
}

void pf_reply_raw(struct pf_call *c, int status, const char *content_type, char *body, size_t len,
                  const char *disposition)
{
    json_decref(c->out);
    c->out = NULL;
    free(c->raw);
    c->status = status;
    c->raw = (uint8_t *)body;
    c->raw_len = len;
    mg_strlcpy(c->content_type, content_type, sizeof(c->content_type));
    mg_strlcpy(c->content_disposition, disposition ? disposition : "", sizeof(c->content_disposition));
}

void pf_no_content(struct pf_call *c)
{
    pf_reply(c, 204, NULL);
}

void pf_store_failed(struct pf_call *c, int rc)
{
    pf_fail(c, rc == MG_AGAIN ? MG_E_OVERLOADED : MG_E_INTERNAL, NULL, NULL);
}

const char *pf_str(const struct pf_call *c, const char *name)
{
    const char *s = c->body ? json_string_value(json_object_get(c->body, name)) : NULL;
    return s ? s : "";
}

int64_t pf_int(const struct pf_call *c, const char *name, int64_t dflt)
{
    json_t *v = c->body ? json_object_get(c->body, name) : NULL;
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int pf_has(const struct pf_call *c, const char *name)
{
    json_t *v = c->body ? json_object_get(c->body, name) : NULL;
    return v != NULL && !json_is_null(v);
}

int64_t pf_param_id(const struct pf_call *c, int i)
{
    int64_t v;
    const char *p = c->params[i];
    if (mg_parse_i64(p, strlen(p), &v) != MG_OK || v <= 0)
        return -1;
    return v;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int pf_query_limit(struct pf_call *c, int64_t dflt, int64_t max, int64_t *limit)
{
    char buf[24], detail[64];
    *limit = dflt;
    pf_query(c, "limit", buf, sizeof(buf));
    if (buf[0] == '\0')
        return MG_OK;
    if (mg_parse_i64(buf, strlen(buf), limit) != MG_OK || *limit < 1 || *limit > max) {
        snprintf(detail, sizeof(detail), "limit is a number from 1 to %lld.", (long long)max);
        pf_fail(c, MG_E_FIELD_INVALID, "limit", detail);
        return MG_DECLINED;
    }
    return MG_OK;
}

int pf_query_page(struct pf_call *c, int64_t dflt, int64_t max, size_t *limit, int64_t *before)
{
    char buf[24];
    int64_t v;
    *before = 0;
    if (pf_query_limit(c, dflt, max, &v) != MG_OK)
        return MG_DECLINED;
    *limit = (size_t)v;
    pf_query(c, "before", buf, sizeof(buf));
    if (buf[0] && (mg_parse_i64(buf, strlen(buf), before) != MG_OK || *before < 1)) {
        pf_fail(c, MG_E_FIELD_INVALID, "before", "before is an id (the last one of the previous page).");
        return MG_DECLINED;
    }
    return MG_OK;
}

void pf_query(const struct pf_call *c, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = c->query;
    out[0] = '\0';
    while (*p) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t o = 0;
            for (size_t i = nlen + 1; i < len && o + 1 < cap; i++) {
                int hi, lo;
                if (p[i] == '%' && i + 2 < len && (hi = hexval(p[i + 1])) >= 0 && (lo = hexval(p[i + 2])) >= 0) {
                    out[o++] = (char)(hi * 16 + lo);
                    i += 2;
                } else {
                    out[o++] = p[i] == '+' ? ' ' : p[i];
                }
            }
            out[o] = '\0'; /* an encoded NUL simply ends the value early */
            return;
        }
        p += len;
        if (*p == '&')
            p++;
    }
}

json_t *pf_b64url(const uint8_t *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = mg_malloc(cap);
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_t *s = json_string(out);
    free(out);
    return s;
}

void pf_set_time(json_t *obj, const char *key, int64_t ms)
{
    char buf[32];
    struct tm tm;
    if (ms <= 0) {
        json_object_set_new(obj, key, json_null());
        return;
    }
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(obj, key, json_string(buf));
}

int pf_time_parse(const char *s, int64_t *out)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return MG_DECLINED;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return MG_DECLINED;
    const char *p = s + n;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
            return MG_DECLINED;
        off = (*p == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60);
        p += 6;
    } else {
        return MG_DECLINED;
    }
    if (*p != '\0')
        return MG_DECLINED;
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
    *out = ((int64_t)timegm(&tm) - off) * 1000;
    return MG_OK;
}

void pf_audit(struct pf_call *c, const char *type, int64_t account_id, const char *detail)
{
    struct mg_audit_event e;
    memset(&e, 0, sizeof(e));
    e.ts_ms = c->now;
    mg_strlcpy(e.type, type, sizeof(e.type));
    e.account_id = account_id;
    e.actor_id = c->authed ? c->acct.id : 0;
    mg_strlcpy(e.ip, c->ip, sizeof(e.ip));
    mg_strlcpy(e.detail, detail ? detail : "", sizeof(e.detail));
    if (c->store->ops->audit_append(c->store, &e) != MG_OK)
        mg_log(MG_LOG_ERROR, "audit: could not record %s for account %lld (request %s)", type, (long long)account_id,
               c->request_id);
}

int pf_mail(struct pf_call *c, enum mg_mail_kind kind, const char *to, const char *token, int minutes)
{
    struct mg_mail_vars v;
    memset(&v, 0, sizeof(v));
    v.token = token;
    v.ip = c->ip;
    v.minutes = minutes;
    return mg_mailer_send(c->pf->mailer, kind, to, &v);
}

void pf_notify(struct pf_call *c, int64_t account_id, const char *kind, const char *text)
{
    struct mg_notification n;
    memset(&n, 0, sizeof(n));
    n.account_id = account_id;
    n.ts_ms = c->now;
    mg_strlcpy(n.kind, kind, sizeof(n.kind));
    mg_strlcpy(n.text, text, sizeof(n.text));
    if (c->store->ops->notification_insert(c->store, &n) != MG_OK)
        mg_log(MG_LOG_ERROR, "notification: could not record %s for account %lld", kind, (long long)account_id);
}

int pf_body_models(struct pf_call *c, char *out, size_t cap)
{
    json_t *arr = json_object_get(c->body, "models"), *v;
    size_t i, o = 0;
    out[0] = '\0';
    json_array_foreach(arr, i, v) {
        const char *m = json_string_value(v);
        size_t n = m ? strlen(m) : 0;
        int ok = n >= 1 && n <= 64;
        for (size_t j = 0; ok && j < n; j++)
            ok = (unsigned char)m[j] > ' ' && m[j] != ',' && m[j] != 0x7f;
        if (!ok || o + n + 2 > cap) {
            pf_fail(c, MG_E_FIELD_INVALID, "models",
                    ok ? "The model list is too long." : "Each model is a name of 1 to 64 characters without spaces or commas.");
            return MG_DECLINED;
        }
        if (o > 0)
            out[o++] = ',';
        memcpy(out + o, m, n);
        o += n;
        out[o] = '\0';
    }
    return MG_OK;
}
