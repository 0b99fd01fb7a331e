/* Unit tests: the error registry and its three wire shapes (core/err). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "core/err.h"
#include "core/mg.h"

static void error_shapes_are_valid_json(void **state)
{
    char buf[2048];
    json_error_t jerr;
    for (int e = 1; e < MG_E__COUNT; e++) {
        for (int sh = 0; sh < 3; sh++) {
            size_t n = mg_err_render(buf, sizeof(buf), (enum mg_err_shape)sh, (enum mg_err)e, "a \"quoted\"\ndetail",
                                     "rid1");
            json_t *doc = json_loadb(buf, n, 0, &jerr);
            assert_non_null(doc);
            const struct mg_err_def *d = mg_err_get((enum mg_err)e);
            if (sh == MG_SHAPE_NATIVE) {
                json_t *br = json_object_get(doc, "base_resp");
                assert_int_equal(json_integer_value(json_object_get(br, "status_code")), d->minimax_code);
                assert_non_null(strstr(json_string_value(json_object_get(br, "status_msg")), "\"quoted\""));
            } else if (sh == MG_SHAPE_OPENAI) {
                assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "error"), "type")),
                                    d->openai_type);
            } else {
                assert_string_equal(json_string_value(json_object_get(doc, "type")), "error");
                assert_string_equal(json_string_value(json_object_get(doc, "request_id")), "rid1");
            }
            json_decref(doc);
        }
    }
}

/* PLATFORM-API.md: {"error":{"code","message","field"?},"request_id"} with the row's name as the code */
static void platform_shape_names_code_and_field(void **state)
{
    char buf[2048];
    size_t n = mg_err_render_platform(buf, sizeof(buf), MG_E_PASSWORD_POLICY, "Use at least 12 characters.",
                                      "new_password", "rid2");
    json_t *doc = json_loadb(buf, n, 0, NULL);
    assert_non_null(doc);
    json_t *e = json_object_get(doc, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "password_policy");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "new_password");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "12 characters"));
    assert_string_equal(json_string_value(json_object_get(doc, "request_id")), "rid2");
    json_decref(doc);
    n = mg_err_render_platform(buf, sizeof(buf), MG_E_SESSION_EXPIRED, NULL, NULL, "r");
    doc = json_loadb(buf, n, 0, NULL);
    assert_non_null(doc);
    assert_null(json_object_get(json_object_get(doc, "error"), "field"));
    json_decref(doc);
    char detail[3000], small[300];
    memset(detail, 'x', sizeof(detail) - 1);
    detail[sizeof(detail) - 1] = '\0';
    n = mg_err_render_platform(small, sizeof(small), MG_E_FIELD_INVALID, detail, "f", "r");
    doc = json_loadb(small, n, 0, NULL);
    assert_non_null(doc);
    json_decref(doc);
}

static void truncated_error_stays_json(void **state)
{
    char detail[3000], small[400];
    memset(detail, 'x', sizeof(detail) - 1);
    detail[sizeof(detail) - 1] = '\0';
    size_t n = mg_err_render(small, sizeof(small), MG_SHAPE_OPENAI, MG_E_FIELD_INVALID, detail, "r");
    json_t *doc = json_loadb(small, n, 0, NULL);
    assert_non_null(doc);
    json_decref(doc);
    n = mg_err_render_sse(small, sizeof(small), MG_SHAPE_ANTHROPIC, MG_E_UPSTREAM_STREAM_BROKEN, detail, "r");
    assert_int_equal(strncmp(small, "event: error\ndata: {", 20), 0);
    assert_int_equal(strcmp(small + n - 2, "\n\n"), 0);
    /* native and OpenAI streams have no named events: one data frame with the family's error body */
    n = mg_err_render_sse(small, sizeof(small), MG_SHAPE_OPENAI, MG_E_UPSTREAM_STREAM_BROKEN, NULL, "r");
    assert_int_equal(strncmp(small, "data: {\"error\":", 15), 0);
    assert_int_equal(strcmp(small + n - 2, "\n\n"), 0);
    assert_int_equal(mg_err_get(MG_E_OVERLOADED)->retry_after, 1);
    assert_int_equal(mg_err_get(MG_E_KEY_REVOKED)->retry_after, 0);
}

/* Regression (found by the fuzzer): a message cut inside a UTF-8 sequence,
 * or binary bytes in a detail, made an error body that was not valid JSON. */
static void error_body_is_json_whatever_the_bytes(void **state)
{
    char detail[1100], buf[4096];
    memset(detail, 'a', sizeof(detail));
    for (size_t i = 900; i + 1 < sizeof(detail); i += 2) {
        detail[i] = (char)0xc3; /* "é" repeated across the 1024-byte cut */
        detail[i + 1] = (char)0xa9;
    }
    detail[sizeof(detail) - 1] = '\0';
    size_t n = mg_err_render(buf, sizeof(buf), MG_SHAPE_NATIVE, MG_E_JSON_MALFORMED, detail, "r");
    json_t *doc = json_loadb(buf, n, 0, NULL);
    assert_non_null(doc);
    json_decref(doc);
    n = mg_err_render(buf, sizeof(buf), MG_SHAPE_OPENAI, MG_E_JSON_MALFORMED, "near '\xff\xfe'", "r");
    assert_non_null(doc = json_loadb(buf, n, 0, NULL));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_shapes_are_valid_json),
        cmocka_unit_test(truncated_error_stays_json),
        cmocka_unit_test(platform_shape_names_code_and_field),
        cmocka_unit_test(error_body_is_json_whatever_the_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
