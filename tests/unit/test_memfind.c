/* Unit tests: mg_needle_find (core/mg.h), the substring search of the stream paths, against glibc's memmem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/mg.h"
#include "gateway/delivered.h"
#include "gateway/usage.h"

/* needle anchored on its rarest byte, as every needle made ahead is (checked below) */
static const char *memfind(const char *hay, size_t n, const char *needle, size_t nlen)
{
    struct mg_needle nd = {needle, nlen, mg_needle_rarest(needle, nlen)};
    return mg_needle_find(&nd, hay, n);
}

static const char *find(const char *hay, const char *needle)
{
    return memfind(hay, strlen(hay), needle, strlen(needle));
}

static void edges(void **state)
{
    const char *f = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}";
    assert_ptr_equal(find(f, "\"delta\""), strstr(f, "\"delta\""));
    assert_ptr_equal(find(f, "{\"choices\""), f);                    /* at the start */
    assert_ptr_equal(find(f, "}}]}"), f + strlen(f) - 4);             /* at the end */
    assert_null(find(f, "\"usage\""));
    assert_null(find("ab", "abc"));                                   /* longer than the haystack */
    assert_ptr_equal(memfind(f, strlen(f), "x", 0), f);            /* empty needle */
    assert_null(memfind(NULL, 0, "a", 1));
    const char *esc = "aaab\\u0041";
    assert_ptr_equal(find(esc, "\\u"), esc + 4);                        /* a byte JSON rarely has */
    assert_ptr_equal(find("dddelta \"delta\"", "\"delta\""), strstr("dddelta \"delta\"", "\"delta\""));
    /* a NUL inside the haystack or the needle is a byte like any other */
    const char hay[] = {'a', '\0', 'b', 'c', '\0', 'd'};
    const char nul[] = {'c', '\0', 'd'};
    assert_ptr_equal(memfind(hay, sizeof(hay), nul, sizeof(nul)), hay + 3);
}

/* Random haystacks of a small alphabet (so partial matches are frequent) against memmem. */
static void agrees_with_memmem(void **state)
{
    static const char alphabet[] = "\"delta:{}, \\u";
    char hay[256], needle[12];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 20000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % sizeof(hay)), m = 1 + (size_t)((x >> 8) % sizeof(needle));
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            hay[i] = alphabet[x % (sizeof(alphabet) - 1)];
        }
        for (size_t i = 0; i < m; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            needle[i] = alphabet[x % (sizeof(alphabet) - 1)];
        }
        if (n >= m && (x & 3) == 0) /* often plant it */
            memcpy(hay + (x >> 16) % (n - m + 1), needle, m);
        assert_ptr_equal(memfind(hay, n, needle, m), memmem(hay, n, needle, m));
    }
}

/* Each needle made ahead anchors on the byte mg_needle_rarest picks (the byte is chosen by hand there). */
static void needles_anchor_on_their_rarest_byte(void **state)
{
    const struct mg_needle *fixed[] = {&mg_needle_delta, &mg_needle_unicode_escape, &mg_needle_message_delta};
    for (size_t i = 0; i < MG_ARRAY_SIZE(fixed); i++)
        assert_int_equal(fixed[i]->at, mg_needle_rarest(fixed[i]->s, fixed[i]->len));
    int seen = 0;
    for (int k = 0; k < MG_USAGE_NKINDS; k++) {
        const struct mg_usage_kind_info *info = mg_usage_kind_info((enum mg_usage_kind)k);
        for (size_t i = 0; info != NULL && i < MG_ARRAY_SIZE(info->needles) && info->needles[i].s; i++, seen++) {
            assert_int_equal(info->needles[i].len, strlen(info->needles[i].s));
            assert_int_equal(info->needles[i].at, mg_needle_rarest(info->needles[i].s, info->needles[i].len));
        }
    }
    assert_true(seen >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edges),
        cmocka_unit_test(agrees_with_memmem),
        cmocka_unit_test(needles_anchor_on_their_rarest_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
