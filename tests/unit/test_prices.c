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

/* BL-1: a video is priced by model, resolution and length. */
static void video_prices_by_resolution_and_length(void **state)
{
    struct mg_price_table *t = mg_prices_default();
    struct mg_usage_event ev = {.model = "MiniMax-Hailuo-2.3", .videos = 1, .video_seconds = 10};
    /* the built-in row: any resolution, 6 s $0.25, 10 s $0.52 */
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 520000);
    ev.video_seconds = 6;
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 250000);
    ev.video_seconds = 0; /* not named: MiniMax's default length */
    assert_int_equal(mg_prices_cost(t, &ev, MG_RATIO_ONE), 250000);
    assert_int_equal(mg_prices_cost(t, &ev, 400000), 100000); /* the ratio applies */

    /* an operator's row: a resolution's own entry wins over "*", a length's over any length */
    struct mg_price p = {.model = "MiniMax-Hailuo-02", .per_video = 300000};
    char err[160], text[256];
    assert_int_equal(mg_video_prices_parse("768P/6s=0.25, 1080P/6s=0.49, */10s=0.52 ,512P=0.1", &p, err,
                                           sizeof(err)), MG_OK);
    assert_int_equal(p.nvideo, 4);
    mg_prices_set(t, &p);
    struct mg_usage_event v = {.model = "MiniMax-Hailuo-02", .videos = 1, .video_seconds = 6};
    strcpy(v.video_res, "1080P");
    assert_int_equal(mg_prices_cost(t, &v, MG_RATIO_ONE), 490000);
    strcpy(v.video_res, "1080p"); /* resolutions compare without case */
    assert_int_equal(mg_prices_cost(t, &v, MG_RATIO_ONE), 490000);
    v.video_seconds = 10;
    assert_int_equal(mg_prices_cost(t, &v, MG_RATIO_ONE), 520000); /* no 1080P/10s: any resolution's 10 s */
    strcpy(v.video_res, "512P");
    assert_int_equal(mg_prices_cost(t, &v, MG_RATIO_ONE), 100000); /* 512P at any length beats any resolution at 10 s */
    strcpy(v.video_res, "720P");
    v.video_seconds = 6;
    assert_int_equal(mg_prices_cost(t, &v, MG_RATIO_ONE), 300000); /* nothing matches: the row's per_video */
    v.videos = 3;
    strcpy(v.video_res, "768P");
    assert_int_equal(mg_prices_cost(t, &v, MG_RATIO_ONE), 750000);

    /* per second (MiniMax-H3): $0.13 a second at 2K, 15 s = $1.95; 768P at 40 %: 5 s x 0.08 x 0.4 */
    struct mg_usage_event h = {.model = "MiniMax-H3", .videos = 1, .video_seconds = 15, .video_res = "2K"};
    assert_int_equal(mg_prices_cost(t, &h, MG_RATIO_ONE), 1950000);
    h.video_seconds = 5;
    strcpy(h.video_res, "768P");
    assert_int_equal(mg_prices_cost(t, &h, 400000), 160000);
    assert_true(mg_price_covers(mg_prices_find(t, "MiniMax-H3"), MG_BILL_VIDEOS)); /* entries alone price it */

    /* the text form round-trips exactly, at the official price or a ratio's */
    mg_video_prices_format(&p, MG_RATIO_ONE, text, sizeof(text));
    assert_string_equal(text, "768P/6s=0.25, 1080P/6s=0.49, */10s=0.52, 512P=0.10");
    struct mg_price q = {.model = "x"};
    assert_int_equal(mg_video_prices_parse(text, &q, err, sizeof(err)), MG_OK);
    assert_memory_equal(q.video, p.video, sizeof(p.video));
    mg_video_prices_format(mg_prices_find(t, "MiniMax-H3-Max"), 400000, text, sizeof(text));
    assert_string_equal(text, "768P=0.032/s, 2K=0.052/s");

    /* bad entries say what to fix and change nothing */
    const char *bad[] = {"768P/6=0.25", "768P", "768P/6s=", "768P/6s=-1", "768P/0s=1", "768P/601s=1",
                         "7680000P=1", "76 8P=1", "768P=0", "768P/6s=1, 768p/6s=2", "768P=1000001"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        err[0] = '\0';
        assert_int_equal(mg_video_prices_parse(bad[i], &q, err, sizeof(err)), MG_DECLINED);
        assert_true(strlen(err) > 10);
        assert_int_equal(q.nvideo, 4);
    }
    /* the ceiling: MG_VIDEO_PRICES_MAX entries, one more is refused by name */
    char many[1024] = "";
    for (int i = 1; i <= MG_VIDEO_PRICES_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s*/%ds=1", i > 1 ? "," : "", i);
    assert_int_equal(mg_video_prices_parse(many, &q, err, sizeof(err)), MG_OK);
    assert_int_equal(q.nvideo, MG_VIDEO_PRICES_MAX);
    strcat(many, ",*/99s=1");
    assert_int_equal(mg_video_prices_parse(many, &q, err, sizeof(err)), MG_DECLINED);
    assert_non_null(strstr(err, "at most 12"));
    assert_int_equal(mg_video_prices_parse("", &q, err, sizeof(err)), MG_OK); /* none */
    assert_int_equal(q.nvideo, 0);
    /* the config's [price.MODEL] video = ... */
    assert_int_equal(mg_price_set_column(&q, "video", "2K/5s=0.65"), MG_OK);
    assert_int_equal(q.nvideo, 1);
    assert_int_equal(mg_price_set_column(&q, "video", "2K/5s"), MG_DECLINED);
    mg_prices_free(t);
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
        cmocka_unit_test(video_prices_by_resolution_and_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
