/* Unit tests: API key format, error registry, buffers, money and prices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "billing/prices.h"
#include "core/apikey.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mg.h"
#include "core/service.h"

/* SECURITY-REFERENCES.md section 4: our CRC32 / base62 vectors. */
static void checksum_vectors(void **state)
{
    char out[7] = {0};
    mg_key_checksum("0123456789abcdefghijABCDEFGHIJ", 30, out);
    assert_string_equal(out, "3mpbCX");
    mg_key_checksum("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 30, out);
    assert_string_equal(out, "1yLcDB");
}

static void generated_keys_parse(void **state)
{
    for (int r = 0; r < MG_REGION__COUNT; r++) {
        char key[MG_KEY_LEN + 1];
        struct mg_key_parts gen, parsed;
        mg_key_generate((enum mg_region)r, key, &gen);
        assert_int_equal(strlen(key), MG_KEY_LEN);
        assert_int_equal(mg_key_parse(key, MG_KEY_LEN, &parsed), MG_OK);
        assert_int_equal(parsed.region, r);
        assert_string_equal(parsed.public_id, gen.public_id);
        assert_memory_equal(key, r == MG_REGION_CN ? "mgk_cn_" : "mgk_gl_", 7);
    }
}

/* Any one-character change is caught before a lookup (KY-1, test 36). */
static void one_character_mutation_fails(void **state)
{
    char key[MG_KEY_LEN + 1];
    mg_key_generate(MG_REGION_GLOBAL, key, NULL);
    for (size_t i = 0; i < MG_KEY_LEN; i++) {
        char saved = key[i];
        key[i] = saved == 'A' ? 'B' : 'A';
        if (key[i] == saved)
            continue;
        assert_int_equal(mg_key_parse(key, MG_KEY_LEN, NULL), MG_DECLINED);
        key[i] = saved;
    }
    assert_int_equal(mg_key_parse(key, MG_KEY_LEN, NULL), MG_OK);
    assert_int_equal(mg_key_parse(key, MG_KEY_LEN - 1, NULL), MG_DECLINED);
    assert_int_equal(mg_key_parse("sk-api-abc", 10, NULL), MG_DECLINED);
}

static void digest_depends_on_secret_and_key(void **state)
{
    uint8_t a[32], b[32], c[32];
    mg_key_digest((const uint8_t *)"s1", 2, "k", 1, a);
    mg_key_digest((const uint8_t *)"s1", 2, "k", 1, b);
    mg_key_digest((const uint8_t *)"s2", 2, "k", 1, c);
    assert_memory_equal(a, b, 32);
    assert_memory_not_equal(a, c, 32);
}

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* RFC 4231 section 4: HMAC-SHA256 test cases 1-7 (5 is truncated to 128
 * bits; 6 and 7 have a 131-byte key, longer than SHA-256's block). */
static void hasher_rfc4231_vectors(void **state)
{
    static const char tc7[] = "This is a test using a larger than block-size key and a larger than block-size data. "
                              "The key needs to be hashed before being used by the HMAC algorithm.";
    struct {
        uint8_t key_byte; /* 0: the key is 0x01..0x19 */
        size_t key_len;
        const char *data; /* NULL: data_len bytes of data_byte */
        uint8_t data_byte;
        size_t data_len;
        const char *mac;
    } v[] = {
        {0x0b, 20, "Hi There", 0, 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {'J', 4, "what do ya want for nothing?", 0, 28,
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {0xaa, 20, NULL, 0xdd, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {0, 25, NULL, 0xcd, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {0x0c, 20, "Test With Truncation", 0, 20, "a3b6167473100ee06e0c796c2955552b"},
        {0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 54,
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {0xaa, 131, tc7, 0, sizeof(tc7) - 1, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(v); i++) {
        uint8_t key[131], data[64], want[32], got[32], oneshot[32];
        for (size_t j = 0; j < v[i].key_len; j++)
            key[j] = v[i].key_byte ? v[i].key_byte : (uint8_t)(j + 1);
        if (i == 1)
            memcpy(key, "Jefe", 4);
        const char *d = v[i].data;
        if (d == NULL) {
            memset(data, v[i].data_byte, v[i].data_len);
            d = (const char *)data;
        }
        size_t maclen = strlen(v[i].mac) / 2;
        unhex(v[i].mac, want, maclen);
        struct mg_key_hasher h;
        mg_key_hasher_init(&h, key, v[i].key_len);
        mg_key_hasher_digest(&h, d, v[i].data_len, got);
        mg_key_hasher_free(&h);
        mg_key_digest(key, v[i].key_len, d, v[i].data_len, oneshot);
        assert_memory_equal(got, want, maclen);
        assert_memory_equal(oneshot, want, maclen);
    }
}

/* The prepared hasher gives the one-shot's bytes for every secret length
 * around the block size (0, 1, 63, 64, 65, 200) and random keys of every
 * length a request can carry. */
static void hasher_equals_oneshot(void **state)
{
    uint8_t secret[200], a[32], b[32];
    char key[300];
    for (size_t slen = 0; slen <= sizeof(secret); slen++) {
        mg_random(secret, slen);
        struct mg_key_hasher h;
        mg_key_hasher_init(&h, secret, slen);
        for (int r = 0; r < 8; r++) {
            size_t klen = (size_t)(r == 0 ? MG_KEY_LEN : (size_t)(slen * 7 + (size_t)r * 37) % sizeof(key));
            if (r == 1)
                mg_key_generate(MG_REGION_GLOBAL, key, NULL); /* a real key: 57 bytes */
            else
                mg_random(key, klen);
            mg_key_hasher_digest(&h, key, klen, a);
            mg_key_digest(secret, slen, key, klen, b);
            assert_memory_equal(a, b, 32);
        }
        mg_key_hasher_free(&h);
    }
}

struct hasher_thread {
    const struct mg_key_hasher *h;
    const uint8_t *secret;
    int mismatches;
};

static void *hasher_worker(void *arg)
{
    struct hasher_thread *t = arg;
    char key[MG_KEY_LEN + 1];
    uint8_t a[32], b[32];
    for (int i = 0; i < 2000; i++) {
        mg_key_generate(MG_REGION_CN, key, NULL);
        mg_key_hasher_digest(t->h, key, MG_KEY_LEN, a);
        mg_key_digest(t->secret, 32, key, MG_KEY_LEN, b);
        t->mismatches += memcmp(a, b, 32) != 0;
    }
    return NULL;
}

/* One hasher, four threads at once (as the loop threads use it). */
static void hasher_is_shared_by_threads(void **state)
{
    uint8_t secret[32];
    struct mg_key_hasher h;
    pthread_t tid[4];
    struct hasher_thread t[4];
    mg_random(secret, sizeof(secret));
    mg_key_hasher_init(&h, secret, sizeof(secret));
    for (int i = 0; i < 4; i++) {
        t[i] = (struct hasher_thread){&h, secret, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, hasher_worker, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(t[i].mismatches, 0);
    }
    mg_key_hasher_free(&h);
    mg_key_hasher_free(&h); /* twice is fine */
}

static void mask_never_shows_the_secret(void **state)
{
    char key[MG_KEY_LEN + 1], out[64];
    mg_key_generate(MG_REGION_CN, key, NULL);
    mg_key_mask(key, MG_KEY_LEN, out, sizeof(out));
    assert_non_null(strstr(out, "mgk_cn_"));
    assert_null(strstr(out, key + 19)); /* the secret part */
    mg_key_mask("sk-api-0123456789abcdef", 23, out, sizeof(out));
    assert_int_equal(strncmp(out, "sk-api-0", 8), 0);
    assert_null(strstr(out, "9abcdef"));
}

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

static void buffer_ceiling(void **state)
{
    struct mg_buf b;
    mg_buf_init(&b, 8);
    assert_int_equal(mg_buf_append(&b, "12345678", 8), MG_OK);
    assert_int_equal(mg_buf_append(&b, "9", 1), MG_DECLINED);
    assert_int_equal(b.len, 8);
    mg_buf_free(&b);
}

static void scopes_round_trip(void **state)
{
    uint32_t s;
    char out[128], bad[32];
    assert_int_equal(mg_scopes_parse("chat,video", &s, bad, sizeof(bad)), MG_OK);
    assert_int_equal(s, MG_SCOPE(MG_SVC_CHAT) | MG_SCOPE(MG_SVC_VIDEO));
    mg_scopes_format(s, out, sizeof(out));
    assert_string_equal(out, "chat,video");
    assert_int_equal(mg_scopes_parse("chat,bogus", &s, bad, sizeof(bad)), MG_DECLINED);
    assert_string_equal(bad, "bogus");
    assert_int_equal(mg_scopes_parse("all", &s, NULL, 0), MG_OK);
    assert_int_equal(s, MG_SCOPES_ALL);
}

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
        cmocka_unit_test(checksum_vectors),         cmocka_unit_test(generated_keys_parse),
        cmocka_unit_test(one_character_mutation_fails), cmocka_unit_test(digest_depends_on_secret_and_key),
        cmocka_unit_test(hasher_rfc4231_vectors),   cmocka_unit_test(hasher_equals_oneshot),
        cmocka_unit_test(hasher_is_shared_by_threads),
        cmocka_unit_test(mask_never_shows_the_secret), cmocka_unit_test(error_shapes_are_valid_json),
        cmocka_unit_test(truncated_error_stays_json), cmocka_unit_test(buffer_ceiling),
        cmocka_unit_test(error_body_is_json_whatever_the_bytes),
        cmocka_unit_test(scopes_round_trip),        cmocka_unit_test(money_parse_and_format),
        cmocka_unit_test(price_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
