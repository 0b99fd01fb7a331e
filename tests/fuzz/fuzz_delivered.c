/*
 * fuzz_delivered.c: the delivered-text counter (src/gateway/delivered.c) on
 * upstream frames.
 *
 * Checked on every input: no crash or overread (ASan), counts never
 * negative and at most the input's length.  On a valid JSON document
 * without duplicate keys (jansson, JSON_REJECT_DUPLICATES), the counts are
 * exactly a reference's on the tree: every string value whose key is a text
 * key (delivered.h), anywhere inside an object that is the value of a
 * "delta" key, counted as code points (ASCII / other), up to the walker's
 * depth limit (documents nested deeper are skipped).  Keys are compared as
 * they are spelled (upstreams do not escape plain ASCII keys): documents
 * with a \u005F..\u007F escape, which could spell "delta" or a text key
 * another way, are not compared.
 */
#include "gateway/delivered.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int text_key(const char *k)
{
    static const char *const text[] = {"content", "text", "thinking", "reasoning_content", "arguments", "partial_json"};
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        if (strcmp(k, text[i]) == 0)
            return 1;
    return 0;
}

static void count_string(struct mg_est *e, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80)
            e->ascii++;
        else if ((b & 0xC0) != 0x80)
            e->wide++;
    }
}

static int depth_of(json_t *v)
{
    int d = 0;
    const char *k;
    json_t *c;
    size_t i;
    if (json_is_object(v))
        json_object_foreach (v, k, c) {
            int x = depth_of(c);
            d = x > d ? x : d;
        }
    else if (json_is_array(v))
        json_array_foreach (v, i, c) {
            int x = depth_of(c);
            d = x > d ? x : d;
        }
    return d + (json_is_object(v) || json_is_array(v));
}

static void ref(struct mg_est *e, json_t *v, int in_delta)
{
    const char *k;
    json_t *c;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach (v, k, c) {
            if (in_delta && json_is_string(c) && text_key(k))
                count_string(e, json_string_value(c), json_string_length(c));
            ref(e, c, in_delta || (strcmp(k, "delta") == 0 && json_is_object(c)));
        }
    } else if (json_is_array(v)) {
        json_array_foreach (v, i, c)
            ref(e, c, in_delta);
    }
}

/* \u00XX with XX in 5f..7f: an escape that could spell a key's letter */
static int has_letter_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++)
        if (s[i] == '\\' && s[i + 1] == 'u' && s[i + 2] == '0' && s[i + 3] == '0' && (s[i + 4] == '5' || s[i + 4] == '6' || s[i + 4] == '7'))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overread */
    struct mg_est e = {0, 0}, r = {0, 0};
    memcpy(copy, data, size);
    mg_est_frame(&e, copy, size);
    if (e.ascii < 0 || e.wide < 0 || (size_t)(e.ascii + e.wide) > size)
        abort();
    json_t *doc = json_loadb(copy, size, JSON_REJECT_DUPLICATES, NULL);
    if (doc != NULL && memchr(copy, '\0', size) == NULL && !has_letter_escape(copy, size) && depth_of(doc) < 60) {
        ref(&r, doc, 0);
        if (r.ascii != e.ascii || r.wide != e.wide)
            abort();
    }
    json_decref(doc);
    free(copy);
    return 0;
}
