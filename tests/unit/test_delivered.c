/* Unit tests: the delivered-output estimator (gateway/delivered.c): what text
 * counts, the chars-per-token ratio, and frames that are not JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/delivered.h"

static struct mg_est count(const char *frame)
{
    struct mg_est e = {0, 0};
    mg_est_frame(&e, frame, strlen(frame));
    return e;
}

static void openai_delta_content_counts(void **state)
{
    (void)state;
    struct mg_est e = count("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello!\",\"role\":"
                            "\"assistant\"},\"finish_reason\":null}],\"model\":\"MiniMax-M2.7\"}");
    assert_int_equal(e.ascii, 6); /* "assistant" (role) and the model name do not count */
    assert_int_equal(e.wide, 0);
}

static void reasoning_and_tool_arguments_count(void **state)
{
    (void)state;
    struct mg_est e = count("{\"choices\":[{\"delta\":{\"reasoning_content\":\"abcd\",\"tool_calls\":[{\"index\":0,"
                            "\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}");
    assert_int_equal(e.ascii, 4 + 7); /* the tool's name is not output text; {"a":1} unescaped is 7 */
}

static void final_message_frame_is_not_counted_twice(void **state)
{
    (void)state;
    struct mg_est e = count("{\"choices\":[{\"finish_reason\":\"stop\",\"message\":{\"content\":\"Hello! I am\"}}],"
                            "\"object\":\"chat.completion\",\"usage\":{\"prompt_tokens\":3}}");
    assert_int_equal(e.ascii, 0);
    e = count("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"text\":\"not in a delta\"}");
    assert_int_equal(e.ascii + e.wide, 0);
}

static void anthropic_text_and_thinking_deltas(void **state)
{
    (void)state;
    struct mg_est e = count("{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\","
                            "\"text\":\" am\"}}");
    assert_int_equal(e.ascii, 3); /* "text_delta" is the type, not text */
    e = count("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":"
              "\"The user\"}}");
    assert_int_equal(e.ascii, 8);
    e = count("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}");
    assert_int_equal(e.ascii, 0);
}

static void unicode_raw_and_escaped(void **state)
{
    (void)state;
    /* 你好 raw (2 code points, 6 bytes), \u4e16 (1), an emoji as a surrogate pair (1), \n (1 ASCII) */
    struct mg_est e = count("{\"choices\":[{\"delta\":{\"content\":\"\xe4\xbd\xa0\xe5\xa5\xbd\\u4e16\\ud83d\\ude00\\n\"}}]}");
    assert_int_equal(e.wide, 4);
    assert_int_equal(e.ascii, 1);
}

static void the_ratio(void **state)
{
    (void)state;
    struct mg_est e = {0, 0};
    assert_int_equal(mg_est_tokens(&e), 0);
    e.ascii = 1; /* never zero when text was delivered */
    assert_int_equal(mg_est_tokens(&e), 1);
    e.ascii = 4;
    assert_int_equal(mg_est_tokens(&e), 1);
    e.ascii = 5;
    assert_int_equal(mg_est_tokens(&e), 2);
    e.ascii = 0;
    e.wide = 2; /* two CJK characters make a token */
    assert_int_equal(mg_est_tokens(&e), 1);
    e.wide = 3;
    assert_int_equal(mg_est_tokens(&e), 2);
    /* the simulator's 9 words, 20 times: 660 ASCII characters */
    e = (struct mg_est){660, 0};
    assert_int_equal(mg_est_tokens(&e), 165);
    assert_int_equal(mg_est_input_tokens(0), 0);
    assert_int_equal(mg_est_input_tokens(10), 1);
    assert_int_equal(mg_est_input_tokens(MG_EST_REQUEST_OVERHEAD + 9), 3);
}

static void frames_split_across_counts_accumulate(void **state)
{
    (void)state;
    struct mg_est e = {0, 0};
    const char *f = "{\"choices\":[{\"delta\":{\"content\":\"abc\"}}]}";
    for (int i = 0; i < 10; i++)
        mg_est_frame(&e, f, strlen(f));
    assert_int_equal(e.ascii, 30);
}

static void broken_frames_are_safe(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "\"delta\"", "{\"delta\":{\"content\":\"abc", "{\"delta\":{\"content\":\"ab\\", "{\"delta\":{\"content\":\"\\u12",
        "}}}]]]\"delta\"{{{", "{\"delta\":{\"content\":12,\"text\":null,\"content\":[\"x\"]}}",
        "{\"delta\"\0:{\"content\":\"x\"}}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"delta\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mg_est e = {0, 0};
        size_t n = strlen(bad[i]);
        if (i == 7)
            n = sizeof("{\"delta\"\0:{\"content\":\"x\"}}") - 1; /* with the NUL byte inside */
        mg_est_frame(&e, bad[i], n);
        assert_true(e.ascii <= 3 && e.wide == 0);
    }
    struct mg_est e = count("{\"delta\":{\"content\":\"abc");
    assert_int_equal(e.ascii, 3); /* a cut frame counts what arrived */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openai_delta_content_counts),
        cmocka_unit_test(reasoning_and_tool_arguments_count),
        cmocka_unit_test(final_message_frame_is_not_counted_twice),
        cmocka_unit_test(anthropic_text_and_thinking_deltas),
        cmocka_unit_test(unicode_raw_and_escaped),
        cmocka_unit_test(the_ratio),
        cmocka_unit_test(frames_split_across_counts_accumulate),
        cmocka_unit_test(broken_frames_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
