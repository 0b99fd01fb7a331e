/* egress.c: the proxy an upstream connection takes (see egress.h). */
#include "net/egress.h"
#include "core/mg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mg_egress_no_proxy(const char *list, const char *host)
{
    size_t hl = strlen(host);
    const char *p = list;
    if (list == NULL)
        return 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 1 && p[0] == '*')
            return 1;
        if (n > 0 && p[0] == '.') /* ".example.com" is "example.com" and below */
            p++, n--;
        if (n > 0 && n <= hl && strncasecmp(host + hl - n, p, n) == 0 && (n == hl || host[hl - n - 1] == '.'))
            return 1;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 0;
}

static const char *env2(const char *upper, const char *lower)
{
    const char *v = getenv(lower);
    if (v == NULL || v[0] == '\0')
        v = getenv(upper);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static int parse_proxy(const char *url, struct mg_egress *out, char *err, size_t errlen)
{
    const char *p = url, *at, *hostp, *end;
    if (strncasecmp(p, "http://", 7) == 0)
        p += 7;
    else if (strstr(p, "://") != NULL) {
        snprintf(err, errlen, "only http:// proxies are supported (CONNECT); got another scheme");
        return MG_ERR;
    }
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    hostp = at ? at + 1 : p;
    if (at != NULL) {
        char cred[300], b64[420];
        size_t cl = (size_t)(at - p);
        if (cl >= sizeof(cred)) {
            snprintf(err, errlen, "the proxy's user:password is too long");
            return MG_ERR;
        }
        memcpy(cred, p, cl);
        cred[cl] = '\0';
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)cred, cl, sodium_base64_VARIANT_ORIGINAL);
        sodium_memzero(cred, sizeof(cred));
        snprintf(out->auth, sizeof(out->auth), "proxy-authorization: Basic %s\r\n", b64);
        sodium_memzero(b64, sizeof(b64));
    }
    const char *colon = NULL;
    if (*hostp == '[') { /* [IPv6]:port */
        const char *rb = memchr(hostp, ']', (size_t)(end - hostp));
        if (rb == NULL)
            goto Bad;
        if ((size_t)(rb - hostp - 1) >= sizeof(out->host))
            goto Bad;
        memcpy(out->host, hostp + 1, (size_t)(rb - hostp - 1));
        out->host[rb - hostp - 1] = '\0';
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(hostp, ':', (size_t)(end - hostp));
        size_t hn = (size_t)((colon ? colon : end) - hostp);
        if (hn == 0 || hn >= sizeof(out->host))
            goto Bad;
        memcpy(out->host, hostp, hn);
        out->host[hn] = '\0';
    }
    out->port = 3128;
    if (colon != NULL) {
        long port = 0;
        for (const char *q = colon + 1; q < end; q++) {
            if (*q < '0' || *q > '9' || (port = port * 10 + (*q - '0')) > 65535)
                goto Bad;
        }
        if (port == 0)
            goto Bad;
        out->port = (uint16_t)port;
    }
    return MG_OK;
Bad:
    snprintf(err, errlen, "the proxy URL is not http://[user:password@]host[:port]");
    sodium_memzero(out, sizeof(*out));
    return MG_ERR;
}

int mg_egress_for(const char *host, int is_https, const char *setting, struct mg_egress *out, char *err, size_t errlen)
{
    const char *url;
    memset(out, 0, sizeof(*out));
    if (setting != NULL && setting[0] != '\0') {
        if (strcasecmp(setting, "none") == 0 || strcasecmp(setting, "direct") == 0)
            return MG_OK;
        return parse_proxy(setting, out, err, errlen);
    }
    url = is_https ? env2("HTTPS_PROXY", "https_proxy") : env2("HTTP_PROXY", "http_proxy");
    if (url == NULL || mg_egress_no_proxy(env2("NO_PROXY", "no_proxy"), host))
        return MG_OK;
    return parse_proxy(url, out, err, errlen);
}
