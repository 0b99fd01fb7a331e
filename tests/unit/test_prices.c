/* Unit tests: money, ratios and the price table (billing/prices). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "billing/prices.h"
#include "core/buf.h"
#include "core/mg.h"
#include "server/config.h"

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

static void model_names_are_validated(void **state)
{
    const char *good[] = {"MiniMax-M2.7", "speech-2.8-hd", "a", "org/model:v1_2", "voice_clone"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(good); i++)
        assert_true(mg_model_name_valid(good[i], strlen(good[i]), 0));
    const char *bad[] = {"", "MiniMax M2.7", "m\r\nX-Evil: 1", "m\"", "m'", "m*", "m\\x", "m;", "m\t", "\xc3\xa9"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++)
        assert_false(mg_model_name_valid(bad[i], strlen(bad[i]), 0));
    char n[MG_MODEL_NAME_MAX + 2];
    memset(n, 'a', sizeof(n));
    assert_true(mg_model_name_valid(n, MG_MODEL_NAME_MAX, 0)); /* the ceiling itself */
    assert_false(mg_model_name_valid(n, MG_MODEL_NAME_MAX + 1, 0));
    assert_false(mg_model_name_valid("a\0b", 3, 0)); /* a NUL inside the length */
    /* patterns: one '*' only, and only where allowed */
    assert_true(mg_model_name_valid("speech-*-hd", 11, 1));
    assert_false(mg_model_name_valid("a*b*", 4, 1));
}

static void unpriced_rows_and_units(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    /* names the issue tried: none is priced */
    assert_null(mg_prices_find(t, "foo"));
    assert_null(mg_prices_find(t, "MiniMax-M2.7-evil"));
    assert_null(mg_prices_find(t, "MiniMax-M2.9"));
    assert_non_null(mg_prices_find(t, "MiniMax-M2.1"));
    /* voice clone and design have prices now (MINIMAX-API.md 4.2: CNY 9.9 per voice) */
    const struct mg_price *v = mg_prices_find(t, "voice_clone");
    assert_non_null(v);
    assert_int_equal(v->per_voice, 1386000);
    assert_true(mg_price_covers(v, MG_BILL_VOICES));
    assert_false(mg_price_covers(v, MG_BILL_INPUT_TOKENS | MG_BILL_OUTPUT_TOKENS));
    assert_non_null(mg_prices_find(t, "voice_design"));
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    mg_strlcpy(ev.model, "voice_clone", sizeof(ev.model));
    ev.voices = 1;
    assert_int_equal(mg_prices_cost(t, &ev, 400000), 554400);
    /* an image model prices no chat tokens */
    assert_false(mg_price_covers(mg_prices_find(t, "image-01"), MG_BILL_INPUT_TOKENS | MG_BILL_OUTPUT_TOKENS));
    /* output limits: M3's own, the default for the rest */
    assert_int_equal(mg_price_max_output(mg_prices_find(t, "MiniMax-M3")), 524288);
    assert_int_equal(mg_price_max_output(mg_prices_find(t, "MiniMax-M2.7")), MG_DEFAULT_MAX_OUTPUT);
    assert_int_equal(mg_price_max_output(NULL), MG_DEFAULT_MAX_OUTPUT);
    mg_prices_free(t);
}

static void price_columns_from_config_values(void **state)
{
    struct mg_price p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(mg_price_set_column(&p, "input_per_mtok", "0.30"), MG_OK);
    assert_int_equal(p.input_per_mtok, 300000);
    assert_int_equal(mg_price_set_column(&p, "per_voice", "1.386"), MG_OK);
    assert_int_equal(p.per_voice, 1386000);
    assert_int_equal(mg_price_set_column(&p, "per_10k_chars", "0.000001"), MG_OK);
    assert_int_equal(p.per_10k_chars, 1);
    assert_int_equal(mg_price_set_column(&p, "max_output_tokens", "8192"), MG_OK);
    assert_int_equal(p.max_output_tokens, 8192);
    /* money never as a float, never negative; limits whole and positive */
    assert_int_equal(mg_price_set_column(&p, "input_per_mtok", "1e-3"), MG_DECLINED);
    assert_int_equal(mg_price_set_column(&p, "input_per_mtok", "-1"), MG_DECLINED);
    assert_int_equal(mg_price_set_column(&p, "input_per_mtok", "0.0000001"), MG_DECLINED);
    assert_int_equal(mg_price_set_column(&p, "max_output_tokens", "0"), MG_DECLINED);
    assert_int_equal(mg_price_set_column(&p, "max_output_tokens", "1.5"), MG_DECLINED);
    assert_int_equal(mg_price_set_column(&p, "model", "x"), MG_ERR);
    assert_int_equal(p.input_per_mtok, 300000); /* a refused value changes nothing */
    /* every column the setter knows is named in the list messages print */
    const char *names[] = {"input_per_mtok", "output_per_mtok", "cached_per_mtok", "per_10k_chars", "per_image",
                           "per_video", "per_track", "per_voice", "max_output_tokens"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(names); i++) {
        assert_non_null(strstr(mg_price_columns(), names[i]));
        assert_int_equal(mg_price_set_column(&p, names[i], "7"), MG_OK);
    }
}

/* Writes an INI file and loads it; returns mg_config_load's answer. */
static int load_ini(const char *text, struct mg_config *cfg, char *err, size_t errlen)
{
    char dir[] = "/tmp/mgprice.XXXXXX", file[64];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/maxgate.ini", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int rc = mg_config_load(cfg, file, err, errlen);
    unlink(file);
    rmdir(dir);
    return rc;
}

static void config_price_sections_override_the_table(void **state)
{
    struct mg_config *cfg = mg_calloc(1, sizeof(*cfg));
    char err[1024];
    assert_int_equal(load_ini("[price.foo]\ninput_per_mtok = 1.5\noutput_per_mtok = 3\n"
                              "[price.MiniMax-M2.7]\noutput_per_mtok = 2.00\nmax_output_tokens = 1000\n"
                              "[price.sim-*]\ninput_per_mtok = 0.30\n"
                              "[price.foo]\ncached_per_mtok = 0.01\n", /* a repeated section adds to its row */
                              cfg, err, sizeof(err)),
                     MG_OK);
    assert_int_equal(cfg->nprices, 3);
    struct mg_price_table *t = mg_prices_default();
    assert_null(mg_prices_find(t, "foo"));
    for (size_t i = 0; i < cfg->nprices; i++)
        mg_prices_set(t, &cfg->prices[i]);
    const struct mg_price *p = mg_prices_find(t, "foo");
    assert_non_null(p);
    assert_int_equal(p->input_per_mtok, 1500000);
    assert_int_equal(p->output_per_mtok, 3000000);
    assert_int_equal(p->cached_per_mtok, 10000);
    p = mg_prices_find(t, "MiniMax-M2.7"); /* replaced whole: the input price is not inherited */
    assert_int_equal(p->output_per_mtok, 2000000);
    assert_int_equal(p->input_per_mtok, 0);
    assert_int_equal(mg_price_max_output(p), 1000);
    assert_int_equal(mg_prices_find(t, "MiniMax-M2.7-highspeed")->output_per_mtok, 2400000); /* untouched */
    assert_int_equal(mg_prices_find(t, "sim-429")->input_per_mtok, 300000);
    mg_prices_free(t);

    /* mistakes name the file, the line and what is wrong */
    assert_int_equal(load_ini("[price.foo]\ninput = 0.3\n", cfg, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, ":2: [price.foo] unknown key 'input'"));
    assert_non_null(strstr(err, "input_per_mtok"));
    assert_int_equal(load_ini("[price.foo]\ninput_per_mtok = 0.3.1\n", cfg, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "an amount like 0.30"));
    assert_int_equal(load_ini("[price.foo bar]\ninput_per_mtok = 1\n", cfg, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "a model name is 1 to 64"));
    assert_int_equal(load_ini("[price.x]\nmax_output_tokens = -5\n", cfg, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "a whole number of at least 1"));
    /* the ceiling on sections */
    struct mg_buf b;
    mg_buf_init(&b, 1 << 20);
    for (int i = 0; i <= MG_CONFIG_MAX_PRICES; i++)
        mg_buf_appendf(&b, "[price.m%d]\nper_image = 1\n", i);
    mg_buf_append(&b, "", 1);
    assert_int_equal(load_ini(b.data, cfg, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "too many [price.MODEL] sections"));
    mg_buf_free(&b);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(money_parse_and_format),
        cmocka_unit_test(price_arithmetic),
        cmocka_unit_test(model_names_are_validated),
        cmocka_unit_test(unpriced_rows_and_units),
        cmocka_unit_test(price_columns_from_config_values),
        cmocka_unit_test(config_price_sections_override_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
