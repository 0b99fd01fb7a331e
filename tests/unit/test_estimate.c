/* Unit tests: the worst-case cost of a request (billing/estimate.c), priced
 * with the default table (billing/prices.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "billing/estimate.h"
#include "billing/prices.h"
#include "core/mg.h"

static const int64_t ONE = MG_RATIO_ONE;

static void chat_is_body_bytes_and_max_tokens(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    /* MiniMax-M2.7: 0.3 micro per input token, 1.2 per output token */
    struct mg_estimate_req q = {.kind = MG_EST_CHAT, .model = "MiniMax-M2.7", .body_len = 1000, .max_tokens = 25000};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 300 + 30000);
    /* the ratio applies once, rounded half up: (300 + 30000) x 0.4 */
    assert_int_equal(mg_estimate_cost(t, &q, 400000), 12120);
    /* no max_tokens: the model's maximum output, the price row's column (BL-1 checks against the same) */
    q.max_tokens = 0;
    int64_t lim = mg_price_max_output(mg_prices_find(t, "MiniMax-M2.7"));
    assert_true(lim >= 131072);
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 300 + (lim * 12 + 5) / 10);
    /* the case: max_tokens 200000 on a highspeed model is $0.48 + input */
    struct mg_estimate_req big = {.kind = MG_EST_CHAT, .model = "MiniMax-M2.7-highspeed", .body_len = 100, .max_tokens = 200000};
    assert_int_equal(mg_estimate_cost(t, &big, ONE), 60 + 480000);
    mg_prices_free(t);
}

/* The estimate never falls below what the usage event of the same request
 * can cost: real tokens <= body bytes, real output <= max_tokens. */
static void never_below_the_real_cost(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    for (size_t bytes = 1; bytes < 5000; bytes += 37) {
        for (int64_t out = 1; out < 3000; out += 211) {
            struct mg_estimate_req q = {.kind = MG_EST_CHAT, .model = "MiniMax-M2.5", .body_len = bytes, .max_tokens = out};
            struct mg_usage_event ev;
            memset(&ev, 0, sizeof(ev));
            mg_strlcpy(ev.model, "MiniMax-M2.5", sizeof(ev.model));
            ev.input_tokens = (int64_t)bytes / 4 + 1; /* any count up to bytes */
            ev.output_tokens = out;
            assert_true(mg_estimate_cost(t, &q, 400000) >= mg_prices_cost(t, &ev, 400000));
            ev.input_tokens = (int64_t)bytes;
            ev.cached_tokens = (int64_t)bytes / 2; /* cache reads are cheaper */
            assert_true(mg_estimate_cost(t, &q, 400000) >= mg_prices_cost(t, &ev, 400000));
        }
    }
    mg_prices_free(t);
}

static void units_per_kind(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    /* speech-2.6-hd: 1,000,000 micros per 10k characters = 100 per character */
    struct mg_estimate_req q = {.kind = MG_EST_SPEECH, .model = "speech-2.6-hd", .text_bytes = 12};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 1200);
    q.text_bytes = -1; /* text not in the body */
    assert_int_equal(mg_estimate_cost(t, &q, ONE), MG_ESTIMATE_SPEECH_CHARS * 100);
    q = (struct mg_estimate_req){.kind = MG_EST_IMAGE, .model = "image-01"};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 3500); /* n absent: one */
    q.n = 3;
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 10500);
    q.n = 1000; /* at most 9 images a request */
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 9 * 3500);
    q = (struct mg_estimate_req){.kind = MG_EST_VIDEO, .model = "MiniMax-Hailuo-02"};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 250000);
    q = (struct mg_estimate_req){.kind = MG_EST_MUSIC, .model = "music-2.0"};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 140000);
    q = (struct mg_estimate_req){.kind = MG_EST_VOICE, .model = "voice_clone"}; /* priced under the route's name */
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 1386000);
    q = (struct mg_estimate_req){.kind = MG_EST_NONE, .model = "MiniMax-M2.7", .body_len = 100};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 0);
    /* no price: 0 (pricing refuses the model before this), no NULL model crash */
    q = (struct mg_estimate_req){.kind = MG_EST_CHAT, .model = "foo", .body_len = 100, .max_tokens = 10};
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 0);
    q.model = NULL;
    assert_int_equal(mg_estimate_cost(t, &q, ONE), 0);
    mg_prices_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_is_body_bytes_and_max_tokens),
        cmocka_unit_test(never_below_the_real_cost),
        cmocka_unit_test(units_per_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
