/*
 * fuzz_jscan.c: the field scanner (src/core/jscan.c) against jansson.
 *
 * For every input, with and without duplicate rejection:
 *   - mg_jscan_parse accepts exactly when json_loadb accepts, except that by
 *     default it also rejects jansson's stray NUL after a scalar: a document
 *     only jansson accepts must hold a NUL and be accepted with
 *     MG_JSCAN_JANSSON_NUL, which must agree with jansson on every input;
 *   - on acceptance, the top-level type and every requested field agree:
 *     presence, type, the decoded string (bytes and length), the integer, the
 *     real (strtod of the raw span), and for objects and arrays the raw span
 *     loads to a value json_equal to jansson's;
 *   - on rejection, with FUZZ_JSCAN_STRICT_ERRORS set in the environment, the
 *     line, column, position and text equal jansson's (jscan.h names the rare
 *     cases where they may not; the default run checks only accept/reject).
 */
#include "core/jscan.h"
#include "core/mg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {"model", "stream", "task_id", "a", "", "usage", "\xc3\xa9"};

#define CHECK(c)                                                                                               \
    do {                                                                                                       \
        if (!(c)) {                                                                                            \
            fprintf(stderr, "fuzz_jscan: %s (line %d)\n", #c, __LINE__);                                       \
            abort();                                                                                           \
        }                                                                                                      \
    } while (0)

static void compare_field(const struct mg_jscan_field *f, json_t *v)
{
    if (v == NULL) {
        CHECK(f->type == MG_JSCAN_ABSENT);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        CHECK(f->type == MG_JSCAN_STRING);
        CHECK(f->str_len == json_string_length(v));
        CHECK(f->str_len < f->str_cap);
        CHECK(memcmp(f->str, json_string_value(v), f->str_len) == 0 && f->str[f->str_len] == '\0');
        break;
    case JSON_INTEGER:
        CHECK(f->type == MG_JSCAN_INTEGER);
        CHECK(f->integer == json_integer_value(v));
        break;
    case JSON_REAL: {
        CHECK(f->type == MG_JSCAN_REAL);
        char *s = mg_strndup(f->raw, f->raw_len);
        double d = strtod(s, NULL);
        free(s);
        CHECK(d == json_real_value(v) || (d != d && json_real_value(v) != json_real_value(v)));
        break;
    }
    case JSON_TRUE:
        CHECK(f->type == MG_JSCAN_TRUE && f->raw_len == 4);
        break;
    case JSON_FALSE:
        CHECK(f->type == MG_JSCAN_FALSE && f->raw_len == 5);
        break;
    case JSON_NULL:
        CHECK(f->type == MG_JSCAN_NULL && f->raw_len == 4);
        break;
    case JSON_OBJECT:
    case JSON_ARRAY: {
        CHECK(f->type == (json_is_object(v) ? MG_JSCAN_OBJECT : MG_JSCAN_ARRAY));
        json_t *w = json_loadb(f->raw, f->raw_len, 0, NULL);
        CHECK(w != NULL && json_equal(v, w));
        json_decref(w);
        break;
    }
    }
}

static void one(const char *data, size_t size, int dups, int strict_errors)
{
    char bufs[MG_ARRAY_SIZE(keys)][512];
    struct mg_jscan_field fields[MG_ARRAY_SIZE(keys)];
    struct mg_jscan js = {.flags = dups ? MG_JSCAN_REJECT_DUPLICATES : 0, .fields = fields,
                          .nfields = MG_ARRAY_SIZE(keys)};
    json_error_t jerr;

    memset(fields, 0, sizeof(fields));
    for (size_t i = 0; i < MG_ARRAY_SIZE(keys); i++)
        fields[i] = (struct mg_jscan_field){.key = keys[i], .str = bufs[i], .str_cap = sizeof(bufs[i])};
    json_t *doc = json_loadb(data, size, dups ? JSON_REJECT_DUPLICATES : 0, &jerr);
    int ours = mg_jscan_parse(&js, data, size);

    struct mg_jscan quirk = js;
    quirk.flags |= MG_JSCAN_JANSSON_NUL;
    int theirs_nul = mg_jscan_parse(&quirk, data, size);
    CHECK((theirs_nul == MG_OK) == (doc != NULL));
    if (ours == MG_OK)
        CHECK(doc != NULL);
    else if (doc != NULL)
        CHECK(memchr(data, '\0', size) != NULL);

    if (doc == NULL) {
        CHECK(quirk.top == MG_JSCAN_ABSENT);
        if (strict_errors && memchr(data, '\0', size) == NULL) {
            if (quirk.err.line != jerr.line || quirk.err.column != jerr.column ||
                quirk.err.position != (size_t)jerr.position || strcmp(quirk.err.text, jerr.text) != 0) {
                fprintf(stderr, "jansson %d:%d:%d %s\njscan   %d:%d:%zu %s\n", jerr.line, jerr.column,
                        jerr.position, jerr.text, quirk.err.line, quirk.err.column, quirk.err.position,
                        quirk.err.text);
                abort();
            }
        }
        return;
    }
    CHECK(quirk.top == (json_is_object(doc) ? MG_JSCAN_OBJECT : MG_JSCAN_ARRAY));
    for (size_t i = 0; i < MG_ARRAY_SIZE(keys); i++) {
        json_t *v = json_is_object(doc) ? json_object_getn(doc, keys[i], strlen(keys[i])) : NULL;
        if (v != NULL && json_is_string(v) && json_string_length(v) >= sizeof(bufs[i]))
            continue; /* too long for the buffer: str is "" by contract */
        compare_field(&quirk.fields[i], v);
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int strict = -1;
    if (strict < 0)
        strict = getenv("FUZZ_JSCAN_STRICT_ERRORS") != NULL;
    one((const char *)data, size, 1, strict);
    one((const char *)data, size, 0, strict);
    return 0;
}
