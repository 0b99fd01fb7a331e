/* Unit tests: the field scanner (core/jscan) against jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/jscan.h"
#include "core/mg.h"

/* Accept/reject, and on rejection line, column, position and text, as
 * json_loadb(JSON_REJECT_DUPLICATES). */
static void same_as_jansson(const char *doc, size_t len)
{
    struct mg_jscan js = {.flags = MG_JSCAN_REJECT_DUPLICATES};
    json_error_t jerr;
    json_t *j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = mg_jscan_parse(&js, doc, len);
    if ((rc == MG_OK) != (j != NULL))
        fail_msg("accept/reject differs on '%.*s'", (int)len, doc);
    if (j == NULL) {
        if (js.err.line != jerr.line || js.err.column != jerr.column || strcmp(js.err.text, jerr.text) != 0)
            fail_msg("'%.*s': jansson %d:%d %s, jscan %d:%d %s", (int)len, doc, jerr.line, jerr.column, jerr.text,
                     js.err.line, js.err.column, js.err.text);
    }
    json_decref(j);
}

#define SAME(lit) same_as_jansson(lit, sizeof(lit) - 1)

static void jscan_errors_match_jansson(void **state)
{
    SAME("");
    SAME("   ");
    SAME("{\"model\":\"m\",\"stream\":true}");
    SAME("{\"a\":1,}");
    SAME("{\"a\":1");
    SAME("{\"a\" 1}");
    SAME("{\"a\":1,\"a\":2}");
    SAME("{\"x\":{\"k\":1,\"\\u006b\":2}}");
    SAME("[01]");
    SAME("[1.]");
    SAME("[1e]");
    SAME("[-]");
    SAME("[1]x");
    SAME("{\"a\":1}\n\n  }");
    SAME("[\"\\ud800\"]");
    SAME("[\"\\udc00\"]");
    SAME("[\"\\ud800\\u0041\"]");
    SAME("[\"\\ud83d\\ude00\"]");
    SAME("[\"ab\ncd\"]");
    SAME("[\"a\tb\"]");
    SAME("[\"\\x\"]");
    SAME("[\"\\u12g4\"]");
    SAME("[\xff]");
    SAME("[\"\xc3\"]");
    SAME("[\"\xed\xa0\x80\"]");
    SAME("[\"\xe0\x80\x80\"]");
    SAME("{\"a\\u0000\":1}");
    SAME("[\"\\u0000\"]");
    SAME("[9223372036854775807,-9223372036854775808]");
    SAME("[9223372036854775808]");
    SAME("[-9223372036854775809]");
    SAME("[1e308,1e309]");
    SAME("[1e-400]");
    SAME("[1.7976931348623159e308]");
    SAME("nul");
    SAME("[truex]");
    SAME("[true,false,null]");
    SAME("{\"\xc3\xa9\xc3\xa9\":1,\n \"b\":[1,2,,]}");
    SAME("[\"a very long string token that has no end");
    SAME("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10,"
         "\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16,\"k17\":17,\"k3\":0}");
}

static void jscan_depth_ceiling(void **state)
{
    static char b[2 * MG_JSCAN_MAX_DEPTH + 8];
    for (size_t d = MG_JSCAN_MAX_DEPTH - 1; d <= MG_JSCAN_MAX_DEPTH + 1; d++) {
        memset(b, '[', d);
        b[d] = '1';
        memset(b + d + 1, ']', d);
        same_as_jansson(b, 2 * d + 1); /* a scalar is a level */
        memset(b + d, ']', d);
        same_as_jansson(b, 2 * d);
    }
}

/* The top-level fields the gateway reads, unescaped, with the last value of a
 * repeated key when duplicates are allowed. */
static void jscan_fields(void **state)
{
    char model[96], id[8];
    struct mg_jscan_field f[] = {
        {.key = "model", .str = model, .str_cap = sizeof(model)},
        {.key = "stream"},
        {.key = "task_id", .str = id, .str_cap = sizeof(id)},
        {.key = "n"},
    };
    struct mg_jscan js = {.fields = f, .nfields = MG_ARRAY_SIZE(f)};
    static const char doc[] = "{\"mo\\u0064el\":\"Mini\\u004dax-M2.5\",\"x\":{\"model\":\"inner\"},"
                              "\"stream\":false,\"task_id\":\"0123456789\",\"n\":-42}";
    assert_int_equal(mg_jscan_parse(&js, doc, sizeof(doc) - 1), MG_OK);
    assert_int_equal(js.top, MG_JSCAN_OBJECT);
    assert_int_equal(f[0].type, MG_JSCAN_STRING);
    assert_string_equal(model, "MiniMax-M2.5");
    assert_int_equal(f[0].str_len, 12);
    assert_int_equal(f[1].type, MG_JSCAN_FALSE);
    assert_int_equal(f[2].type, MG_JSCAN_STRING); /* too long for its buffer: length only */
    assert_int_equal(f[2].str_len, 10);
    assert_string_equal(id, "");
    assert_int_equal(f[3].type, MG_JSCAN_INTEGER);
    assert_int_equal(f[3].integer, -42);
    assert_memory_equal(f[3].raw, "-42", 3);

    static const char dup[] = "{\"model\":\"a\",\"model\":\"b\"}";
    assert_int_equal(mg_jscan_parse(&js, dup, sizeof(dup) - 1), MG_OK);
    assert_string_equal(model, "b");
    js.flags = MG_JSCAN_REJECT_DUPLICATES;
    assert_int_equal(mg_jscan_parse(&js, dup, sizeof(dup) - 1), MG_DECLINED);
    assert_int_equal(f[0].type, MG_JSCAN_ABSENT);
    assert_string_equal(js.err.text, "duplicate object key near '\"model\"'");

    static const char arr[] = "[{\"model\":\"a\"}]";
    assert_int_equal(mg_jscan_parse(&js, arr, sizeof(arr) - 1), MG_OK);
    assert_int_equal(js.top, MG_JSCAN_ARRAY);
    assert_int_equal(f[0].type, MG_JSCAN_ABSENT);
}

/* jansson drops one NUL after a scalar; the scanner only with the flag. */
static void jscan_jansson_nul_quirk(void **state)
{
    static const char doc[] = "{\"n\":1\0}";
    struct mg_jscan js = {0};
    json_t *j = json_loadb(doc, sizeof(doc) - 1, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    assert_int_equal(mg_jscan_parse(&js, doc, sizeof(doc) - 1), MG_DECLINED);
    js.flags = MG_JSCAN_JANSSON_NUL;
    assert_int_equal(mg_jscan_parse(&js, doc, sizeof(doc) - 1), MG_OK);
}

/* The duplicate-key tables grow with the document and no further: a big
 * object (hash set) and deep objects (key stack) are checked exactly. */
static void jscan_many_keys(void **state)
{
    struct mg_buf b;
    struct mg_jscan js = {.flags = MG_JSCAN_REJECT_DUPLICATES};
    mg_buf_init(&b, 1 << 22);
    mg_buf_append(&b, "{", 1);
    for (int i = 0; i < 20000; i++)
        mg_buf_appendf(&b, "%s\"k%d\":{\"a\":%d,\"b\":1}", i ? "," : "", i, i);
    assert_int_equal(mg_jscan_parse(&js, b.data, b.len - 0), MG_DECLINED); /* no closing brace yet */
    mg_buf_append(&b, "}", 1);
    assert_int_equal(mg_jscan_parse(&js, b.data, b.len), MG_OK);
    b.len--;
    mg_buf_appendf(&b, ",\"k\\u0031234\":0}"); /* "k1234", spelled with an escape */
    assert_int_equal(mg_jscan_parse(&js, b.data, b.len), MG_DECLINED);
    same_as_jansson(b.data, b.len);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jscan_errors_match_jansson), cmocka_unit_test(jscan_depth_ceiling),
        cmocka_unit_test(jscan_fields),               cmocka_unit_test(jscan_jansson_nul_quirk),
        cmocka_unit_test(jscan_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
