/*
 * bodyspec.c: a platform request body against its row's spec (pf.h): a JSON
 * object with only the declared fields, each of its type and within its
 * bounds.  The first fault is answered 400 naming the field; a secret's value
 * is never quoted back.
 */
#include "platform/pf.h"
#include "core/mg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* local@domain: one '@', a local part of 1..64 bytes without spaces or
 * controls, a domain of letters, digits, '-' and '.' with no empty label. */
static int email_ok(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (at == NULL || at == s || (size_t)(at - s) > 64 || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return 0;
    for (const char *p = s; p < at; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == ',')
            return 0;
    const char *d = at + 1, *end = s + len;
    if (d == end || *d == '.' || end[-1] == '.')
        return 0;
    for (const char *p = d; p < end; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 (ch == '.' && p[1] != '.');
        if (!ok)
            return 0;
    }
    return 1;
}

__attribute__((format(printf, 4, 5))) static int bad(struct pf_call *c, enum mg_err e, const char *field,
                                                      const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    pf_fail(c, e, field, detail);
    return MG_DECLINED;
}

static int check_field(struct pf_call *c, const struct pf_field *f, json_t *v)
{
    size_t len;
    switch (f->type) {
    case PF_STR:
    case PF_EMAIL:
    case PF_SECRET:
        if (!json_is_string(v))
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a string.", f->name);
        len = json_string_length(v);
        if (memchr(json_string_value(v), '\0', len) != NULL)
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must not contain NUL characters.", f->name);
        if (f->type == PF_EMAIL) {
            /* one spelling per address (AC-2: case-insensitive; §8 item 8: "A@x.com " is a@x.com) */
            char norm[256];
            const char *s = json_string_value(v);
            while (len > 0 && (*s == ' ' || *s == '\t'))
                s++, len--;
            while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
            if (len > 254 || !email_ok(s, len))
                return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be an email address such as name@example.com.",
                           f->name);
            for (size_t i = 0; i < len; i++)
                norm[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
            norm[len] = '\0';
            json_object_set_new(c->body, f->name, json_string(norm));
            return MG_OK;
        }
        if ((int64_t)len < f->min || (int64_t)len > f->max)
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be %lld to %lld bytes long.", f->name,
                       (long long)f->min, (long long)f->max);
        return MG_OK;
    case PF_INT:
        if (!json_is_integer(v))
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a whole number.", f->name);
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be from %lld to %lld.", f->name, (long long)f->min,
                       (long long)f->max);
        return MG_OK;
    case PF_BOOL:
        if (!json_is_boolean(v))
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be true or false.", f->name);
        return MG_OK;
    case PF_LIST:
        if (!json_is_array(v) || (int64_t)json_array_size(v) > f->max)
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a list of at most %lld names.", f->name,
                       (long long)f->max);
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!json_is_string(json_array_get(v, i)))
                return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a list of strings.", f->name);
        return MG_OK;
    case PF_OBJS:
        if (!json_is_array(v) || (int64_t)json_array_size(v) > f->max)
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a list of at most %lld objects.", f->name,
                       (long long)f->max);
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!json_is_object(json_array_get(v, i)))
                return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a list of objects.", f->name);
        return MG_OK;
    case PF_OBJ:
        if (!json_is_object(v))
            return bad(c, MG_E_FIELD_INVALID, f->name, "'%s' must be a JSON object.", f->name);
        return MG_OK;
    }
    return MG_OK;
}

int pf_body_check(struct pf_call *c, const struct pf_field *spec, json_t *body)
{
    const char *member;
    json_t *v;
    if (body != NULL) {
        json_object_foreach(body, member, v) {
            const struct pf_field *f = spec;
            while (f->name != NULL && strcmp(f->name, member) != 0)
                f++;
            if (f->name == NULL) {
                char name[64];
                mg_strlcpy(name, member, sizeof(name));
                return bad(c, MG_E_FIELD_INVALID, name, "Unknown field '%s': this endpoint does not take it.", name);
            }
            if (json_is_null(v) && !f->required)
                continue;
            if (check_field(c, f, v) != MG_OK)
                return MG_DECLINED;
        }
    }
    for (const struct pf_field *f = spec; f->name != NULL; f++) {
        json_t *x = body ? json_object_get(body, f->name) : NULL;
        if (f->required && (x == NULL || json_is_null(x)))
            return bad(c, MG_E_FIELD_MISSING, f->name, "Send '%s'.", f->name);
    }
    return MG_OK;
}
