/* ownpath.c: ids of owned resources at paths in JSON and query strings (see ownpath.h). */
#include "gateway/ownpath.h"
#include "core/jscan.h"
#include "core/mg.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define MAX_KEY 64 /* the keys of the route table's paths are short names */

struct seg {
    const char *key; /* may be empty: "[]" at the start of a path */
    size_t klen;
    int array; /* "key[]": then every element */
};

/* Next segment of *p; 0 at the end of the path. */
static int next_seg(const char **p, struct seg *s)
{
    const char *q = *p;
    if (*q == '\0')
        return 0;
    s->key = q;
    while (*q != '\0' && *q != '.' && *q != '[')
        q++;
    s->klen = (size_t)(q - s->key);
    s->array = q[0] == '[' && q[1] == ']';
    if (s->array)
        q += 2;
    if (*q == '.')
        q++;
    *p = q;
    return 1;
}

void mg_ownpath_canon(char *id)
{
    size_t n = strlen(id), z = 0;
    for (size_t i = 0; i < n; i++)
        if (id[i] < '0' || id[i] > '9')
            return;
    while (z + 1 < n && id[z] == '0')
        z++;
    memmove(id, id + z, n - z + 1);
}

static int add(struct mg_own_id *out, size_t cap, size_t *n, const char *id, size_t len)
{
    if (*n >= cap)
        return MG_AGAIN;
    memcpy(out[*n].id, id, len);
    out[*n].id[len] = '\0';
    mg_ownpath_canon(out[*n].id);
    (*n)++;
    return MG_OK;
}

static int add_int(struct mg_own_id *out, size_t cap, size_t *n, long long v)
{
    char b[24];
    int len = snprintf(b, sizeof(b), "%lld", v);
    return add(out, cap, n, b, (size_t)len);
}

static int leaf(json_t *v, struct mg_own_id *out, size_t cap, size_t *n)
{
    if (v == NULL || json_is_null(v))
        return MG_OK;
    if (json_is_integer(v))
        return add_int(out, cap, n, (long long)json_integer_value(v));
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < MG_OWN_ID_MAX &&
        strlen(json_string_value(v)) == json_string_length(v))
        return add(out, cap, n, json_string_value(v), json_string_length(v));
    return MG_DECLINED;
}

static int walk(json_t *v, const char *path, struct mg_own_id *out, size_t cap, size_t *n)
{
    struct seg s;
    const char *rest = path;
    if (!next_seg(&rest, &s))
        return leaf(v, out, cap, n);
    if (s.klen > 0) {
        if (!json_is_object(v) || (v = json_object_getn(v, s.key, s.klen)) == NULL)
            return MG_OK;
    }
    if (!s.array)
        return walk(v, rest, out, cap, n);
    if (!json_is_array(v))
        return MG_OK;
    for (size_t i = 0; i < json_array_size(v); i++) {
        int rc = walk(json_array_get(v, i), rest, out, cap, n);
        if (rc != MG_OK)
            return rc;
    }
    return MG_OK;
}

int mg_ownpath_json(json_t *doc, const char *path, struct mg_own_id *out, size_t cap, size_t *n)
{
    return walk(doc, path, out, cap, n);
}

int mg_ownpath_body(const char *doc, size_t len, const char *path, struct mg_own_id *out, size_t cap, size_t *n)
{
    char key[MAX_KEY], str[MG_OWN_ID_MAX];
    const char *rest = path;
    struct seg s;
    /* object steps with the scanner (no tree); an array step loads only that array */
    while (next_seg(&rest, &s)) {
        assert(s.klen > 0 && s.klen < sizeof(key)); /* the route table's paths start with a key */
        memcpy(key, s.key, s.klen);
        key[s.klen] = '\0';
        struct mg_jscan_field f = {.key = key, .str = str, .str_cap = sizeof(str)};
        struct mg_jscan js = {.fields = &f, .nfields = 1};
        if (mg_jscan_parse(&js, doc, len) != MG_OK)
            return MG_DECLINED;
        if (js.top != MG_JSCAN_OBJECT || f.type == MG_JSCAN_ABSENT || f.type == MG_JSCAN_NULL)
            return MG_OK;
        if (s.array) {
            if (f.type != MG_JSCAN_ARRAY)
                return MG_OK;
            json_t *a = json_loadb(f.raw, f.raw_len, 0, NULL);
            int rc = MG_OK;
            for (size_t i = 0; a != NULL && i < json_array_size(a) && rc == MG_OK; i++)
                rc = walk(json_array_get(a, i), rest, out, cap, n);
            json_decref(a);
            return rc;
        }
        if (*rest == '\0') {
            if (f.type == MG_JSCAN_INTEGER)
                return add_int(out, cap, n, (long long)f.integer);
            if (f.type == MG_JSCAN_STRING && f.str_len > 0 && f.str_len < sizeof(str) && strlen(str) == f.str_len)
                return add(out, cap, n, str, f.str_len);
            return MG_DECLINED;
        }
        if (f.type != MG_JSCAN_OBJECT)
            return MG_OK;
        doc = f.raw;
        len = f.raw_len;
    }
    return MG_OK;
}

/* The array a list path names, and the path of the id inside an element. */
static json_t *list_array(json_t *doc, const char *path, const char **elem_path)
{
    struct seg s;
    const char *rest = path;
    json_t *v = doc;
    while (next_seg(&rest, &s)) {
        if (s.klen > 0 && (!json_is_object(v) || (v = json_object_getn(v, s.key, s.klen)) == NULL))
            return NULL;
        if (s.array) {
            *elem_path = rest;
            return json_is_array(v) ? v : NULL;
        }
    }
    return NULL;
}

/* The id of one list element, or 0. */
static int elem_id(json_t *e, const char *elem_path, struct mg_own_id *out)
{
    size_t n = 0;
    return walk(e, elem_path, out, 1, &n) == MG_OK && n == 1;
}

size_t mg_ownpath_list_len(json_t *doc, const char *path)
{
    const char *ep;
    json_t *a = list_array(doc, path, &ep);
    return a ? json_array_size(a) : 0;
}

size_t mg_ownpath_list(json_t *doc, const char *path, struct mg_own_id *out, size_t cap)
{
    const char *ep;
    json_t *a = list_array(doc, path, &ep);
    size_t n = 0;
    for (size_t i = 0; a != NULL && i < json_array_size(a) && n < cap; i++)
        n += (size_t)elem_id(json_array_get(a, i), ep, &out[n]);
    return n;
}

size_t mg_ownpath_filter(json_t *doc, const char *path, int (*keep)(void *arg, size_t i), void *arg)
{
    const char *ep;
    json_t *a = list_array(doc, path, &ep);
    struct mg_own_id id;
    size_t removed = 0, k = 0;
    for (size_t i = 0; a != NULL && i < json_array_size(a);) {
        if (elem_id(json_array_get(a, i), ep, &id) && keep(arg, k++)) {
            i++;
            continue;
        }
        json_array_remove(a, i);
        removed++;
    }
    return removed;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes s[0..len) into out[0..cap); SIZE_MAX when it does not fit. */
static size_t decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+')
            c = ' ';
        else if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap)
            return SIZE_MAX;
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

int mg_ownpath_query(const char *query, size_t len, const char *name, struct mg_own_id *out)
{
    const char *p = query, *end = query + len;
    char pname[MAX_KEY];
    int count = 0;
    out->id[0] = '\0';
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *ke = eq ? eq : e;
        size_t kl = decode(p, (size_t)(ke - p), pname, sizeof(pname));
        if (kl != SIZE_MAX && kl == strlen(name) && strlen(pname) == kl && memcmp(pname, name, kl) == 0) {
            if (count++ == 0 && eq != NULL) {
                size_t vl = decode(eq + 1, (size_t)(e - eq - 1), out->id, sizeof(out->id));
                if (vl == SIZE_MAX || strlen(out->id) != vl)
                    out->id[0] = '\0';
                mg_ownpath_canon(out->id);
            }
        }
        p = e + 1;
    }
    return count;
}
