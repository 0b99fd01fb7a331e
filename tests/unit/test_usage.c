/* Unit tests: the usage table and the tree-free readers (gateway/usage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "billing/prices.h"
#include "core/mg.h"
#include "gateway/usage.h"

/* from_frame against json_loadb + mg_usage_extract: same answer, same event. */
static int frame_same(enum mg_usage_kind k, const char *s, size_t n, struct mg_usage_event *out)
{
    struct mg_usage_event a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    json_t *doc = json_loadb(s, n, 0, NULL);
    int rb = doc != NULL && mg_usage_extract(k, doc, &b);
    json_decref(doc);
    int ra = mg_usage_from_frame(k, s, n, &a);
    assert_int_equal(ra, rb);
    assert_memory_equal(&a, &b, sizeof(a));
    *out = a;
    return ra;
}

#define FRAME(k, lit, ev) frame_same(k, lit, sizeof(lit) - 1, ev)

/* The tree extractor on json, checked against the scanner (from_frame). */
static int64_t extract(enum mg_usage_kind k, const char *json, struct mg_usage_event *ev)
{
    return frame_same(k, json, strlen(json), ev);
}

static void usage_extractors(void **state)
{
    struct mg_usage_event ev;
    assert_true(extract(MG_USAGE_SPEECH, "{\"data\":{\"audio\":\"ff\",\"status\":2},\"extra_info\":{\"usage_characters\":11}}", &ev));
    assert_int_equal(ev.characters, 11);
    assert_true(extract(MG_USAGE_IMAGE, "{\"metadata\":{\"success_count\":\"3\",\"failed_count\":\"0\"}}", &ev));
    assert_int_equal(ev.images, 3);
    assert_true(extract(MG_USAGE_IMAGE, "{\"metadata\":{\"success_count\":2}}", &ev));
    assert_int_equal(ev.images, 2);
    assert_false(extract(MG_USAGE_IMAGE, "{\"metadata\":{\"success_count\":\"0\"}}", &ev));
    assert_true(extract(MG_USAGE_MUSIC, "{\"data\":{\"audio\":\"ff\"},\"base_resp\":{\"status_code\":0}}", &ev));
    assert_int_equal(ev.tracks, 1);
    assert_false(extract(MG_USAGE_MUSIC, "{\"base_resp\":{\"status_code\":1008}}", &ev));
    assert_true(extract(MG_USAGE_VIDEO, "{\"status\":\"Success\",\"file_id\":\"1\"}", &ev));
    assert_int_equal(ev.videos, 1);
    assert_false(extract(MG_USAGE_VIDEO, "{\"status\":\"Processing\"}", &ev));
    assert_false(extract(MG_USAGE_VIDEO, "{\"status\":\"Failed\"}", &ev));
    assert_true(extract(MG_USAGE_ANTHROPIC, "{\"type\":\"message\",\"usage\":{\"input_tokens\":42,\"output_tokens\":30}}", &ev));
    assert_int_equal(ev.input_tokens, 42);
    assert_int_equal(ev.output_tokens, 30);
    assert_true(extract(MG_USAGE_CHAT, "{\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":223}}", &ev));
    assert_int_equal(ev.output_tokens, 223);
    assert_false(extract(MG_USAGE_CHAT, "[1,2]", &ev));
}

static void usage_table_rows(void **state)
{
    assert_null(mg_usage_kind_info(MG_USAGE_NONE));
    assert_null(mg_usage_kind_info(MG_USAGE_NKINDS));
    for (int k = MG_USAGE_NONE + 1; k < MG_USAGE_NKINDS; k++) {
        const struct mg_usage_kind_info *i = mg_usage_kind_info((enum mg_usage_kind)k);
        assert_non_null(i);
        assert_int_equal(i->kind, k);
        assert_non_null(i->name);
        assert_true(i->bill != 0);
    }
    assert_int_equal(mg_usage_kind_info(MG_USAGE_SPEECH)->bill, MG_BILL_CHARACTERS);
    assert_false(mg_usage_kind_info(MG_USAGE_CHAT)->body_needs_base_ok);
    assert_true(mg_usage_kind_info(MG_USAGE_MUSIC)->body_needs_base_ok);
}

/* The tricky frames of the brief: "usage" inside a string, nested deeper,
 * duplicated, a key spelled with escapes, a cut frame. */
static void usage_frame_exact(void **state)
{
    struct mg_usage_event ev;
    assert_true(FRAME(MG_USAGE_CHAT,
                      "{\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":999}\"}}],"
                      "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}", &ev));
    assert_int_equal(ev.input_tokens, 1);
    assert_false(FRAME(MG_USAGE_CHAT, "{\"x\":{\"usage\":{\"prompt_tokens\":5}}}", &ev));
    assert_true(FRAME(MG_USAGE_CHAT, "{\"usage\":{\"prompt_tokens\":1},\"usage\":{\"prompt_tokens\":2}}", &ev));
    assert_int_equal(ev.input_tokens, 2);
    assert_true(FRAME(MG_USAGE_CHAT, "{\"usage\":{\"prompt\\u005ftokens\":4,\"prompt_tokens_details\":{\"cached_tokens\":\"3\"}}}", &ev));
    assert_int_equal(ev.input_tokens, 4);
    assert_int_equal(ev.cached_tokens, 3);
    assert_false(FRAME(MG_USAGE_CHAT, "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}", &ev));
    assert_false(FRAME(MG_USAGE_CHAT, "{\"usage\":{\"total_tokens\":0,\"total_characters\":0}}", &ev));
    assert_true(FRAME(MG_USAGE_ANTHROPIC,
                      "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":42,"
                      "\"cache_read_input_tokens\":7,\"output_tokens\":0}}}", &ev));
    assert_int_equal(ev.input_tokens, 49);
    assert_int_equal(ev.cached_tokens, 7);
    assert_true(FRAME(MG_USAGE_ANTHROPIC, "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":30}}", &ev));
    assert_int_equal(ev.output_tokens, 30);
    /* a long zero-padded number string is still the number (mg_parse_i64) */
    assert_true(FRAME(MG_USAGE_SPEECH,
                      "{\"extra_info\":{\"usage_characters\":\"00000000000000000000000000000000000000000000000000"
                      "0000000000000000000011\"}}", &ev));
    assert_int_equal(ev.characters, 11);
    assert_true(FRAME(MG_USAGE_CHAT, "{\"usage\":{\"prompt_tokens\":7\0}}", &ev)); /* jansson's NUL quirk */
}

/* Regression: the old body reader parsed the last `"usage"` in the bytes, so a
 * string value "usage" after the real object hid the usage. */
static void usage_body_string_named_usage(void **state)
{
    static const char body[] = "{\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":223},"
                               "\"choices\":[{\"message\":{\"content\":\"usage\"}}]}";
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    assert_true(mg_usage_from_body(MG_USAGE_CHAT, body, sizeof(body) - 1, &ev));
    assert_int_equal(ev.output_tokens, 223);
    static const char music_err[] = "{\"data\":{\"audio\":\"ff\"},\"base_resp\":{\"status_code\":1008}}";
    memset(&ev, 0, sizeof(ev));
    assert_false(mg_usage_from_body(MG_USAGE_MUSIC, music_err, sizeof(music_err) - 1, &ev));
}

/* The billing keys drive the cost: one unit priced by its column. */
static void usage_billing_keys(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    mg_strlcpy(ev.model, "MiniMax-M2.5", sizeof(ev.model));
    ev.input_tokens = 1000000;
    ev.cached_tokens = 500000;
    ev.output_tokens = 1000000;
    assert_int_equal(mg_bill_units_of(&ev), MG_BILL_INPUT_TOKENS | MG_BILL_OUTPUT_TOKENS | MG_BILL_CACHED_TOKENS);
    /* 0.5M uncached x 0.30 + 0.5M cached x 0.03 + 1M out x 1.20 */
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 150000 + 15000 + 1200000);
    memset(&ev, 0, sizeof(ev));
    mg_strlcpy(ev.model, "speech-2.8-hd", sizeof(ev.model));
    ev.characters = 10000;
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 1000000); /* $1.00 per 10k characters */
    mg_prices_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usage_extractors),
        cmocka_unit_test(usage_table_rows),
        cmocka_unit_test(usage_frame_exact),
        cmocka_unit_test(usage_body_string_named_usage),
        cmocka_unit_test(usage_billing_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
