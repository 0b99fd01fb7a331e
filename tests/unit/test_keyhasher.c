/* Unit tests: the precomputed key hasher (core/apikey.c, mg_key_hasher):
 * RFC 4231 vectors, equality with the one-shot digest, shared by threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/apikey.h"
#include "core/mg.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hasher_rfc4231_vectors),
        cmocka_unit_test(hasher_equals_oneshot),
        cmocka_unit_test(hasher_is_shared_by_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
