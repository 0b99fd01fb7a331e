/* Unit tests: money, ratios and the price table (billing/prices). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "billing/prices.h"
#include "core/mg.h"

static void money_parse_and_format(void **state)
{
    int64_t v;
    char out[32];
    assert_int_equal(mg_money_parse("12.345678", &v), MG_OK);
    assert_int_equal(v, 12345678);
    assert_int_equal(mg_money_parse("5", &v), MG_OK);
    assert_int_equal(v, 5000000);
    const char *bad[] = {"1.2345678", "-", "1e3", "", ".5", "1.", "-1", " 1"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++)
        assert_int_equal(mg_money_parse(bad[i], &v), MG_DECLINED);
    mg_money_format(12300000, out, sizeof(out));
    assert_string_equal(out, "12.30");
    mg_money_format(1, out, sizeof(out));
    assert_string_equal(out, "0.000001");
    assert_int_equal(mg_ratio_parse("0.40", &v), MG_OK);
    assert_int_equal(v, 400000);
    assert_int_equal(mg_ratio_parse("40%", &v), MG_OK);
    assert_int_equal(v, 400000);
}

static void price_arithmetic(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    mg_strlcpy(ev.model, "MiniMax-M2.7", sizeof(ev.model));
    ev.output_tokens = 1000000;
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 1200000);
    assert_int_equal(mg_prices_cost(t, &ev, 400000), 480000);
    ev.output_tokens = 1; /* 1.2 micro -> rounds to 1 */
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 1);
    ev.output_tokens = 0;
    ev.input_tokens = 1000000;
    ev.cached_tokens = 500000; /* half at the cache-read price */
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 150000 + 30000);
    /* large counts do not overflow */
    ev.input_tokens = ev.cached_tokens = 0;
    ev.output_tokens = INT64_C(1000000000000);
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), INT64_C(1200000000000));
    memset(&ev, 0, sizeof(ev));
    mg_strlcpy(ev.model, "image-01", sizeof(ev.model));
    ev.images = 3;
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 10500);
    mg_strlcpy(ev.model, "speech-2.8-hd", sizeof(ev.model));
    ev.images = 0;
    ev.characters = 10000;
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 1000000);
    assert_non_null(mg_prices_find(t, "MiniMax-M2.7-highspeed"));
    assert_int_equal(mg_prices_find(t, "MiniMax-M2.7-highspeed")->output_per_mtok, 2400000);
    assert_null(mg_prices_find(t, "unknown-model"));
    mg_prices_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(money_parse_and_format),
        cmocka_unit_test(price_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
