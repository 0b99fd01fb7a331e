/* Unit tests: the request-framing check (src/net/framing.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net/framing.h"

static enum mg_net_framing check(const char *s) { return mg_net_framing_check(s, strlen(s)); }

static void clean_heads_pass(void **state)
{
    assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), MG_FRAMING_OK);
    assert_int_equal(check("GET / HTTP/1.1\r\n\r\n"), MG_FRAMING_OK);
    /* one empty line first, as picohttpparser allows after a previous body */
    assert_int_equal(check("\r\nGET / HTTP/1.1\r\n\r\n"), MG_FRAMING_OK);
    assert_int_equal(check("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"), MG_FRAMING_OK);
    assert_int_equal(check("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\nxx"), MG_FRAMING_OK);
    /* only the head is read: a bare LF or a fold in the body does not count */
    assert_int_equal(check("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\n a\n"), MG_FRAMING_OK);
    /* names that merely contain the framing headers' names */
    assert_int_equal(check("GET / HTTP/1.1\r\nX-Content-Length: 1\r\nContent-Lengths: 2\r\n"
                           "Transfer-Encoding-X: chunked\r\nContent-Length: 0\r\n\r\n"),
                     MG_FRAMING_OK);
}

static void ambiguous_framing_is_found(void **state)
{
    assert_int_equal(check("POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     MG_FRAMING_CL_AND_TE);
    assert_int_equal(check("POST / HTTP/1.1\r\nTRANSFER-ENCODING: chunked\r\ncontent-length: 2\r\n\r\n"),
                     MG_FRAMING_CL_AND_TE);
    assert_int_equal(check("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"),
                     MG_FRAMING_CL_REPEATED);
    assert_int_equal(check("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"),
                     MG_FRAMING_CL_REPEATED);
    assert_int_equal(check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
                     MG_FRAMING_TE_REPEATED);
}

static void line_ends_and_folds(void **state)
{
    assert_int_equal(check("GET / HTTP/1.1\nHost: x\r\n\r\n"), MG_FRAMING_BARE_LF);
    assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\n\r\n"), MG_FRAMING_BARE_LF);
    assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\r\n\n"), MG_FRAMING_BARE_LF);
    assert_int_equal(check("\nGET / HTTP/1.1\r\n\r\n"), MG_FRAMING_BARE_LF);
    assert_int_equal(check("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"), MG_FRAMING_OBS_FOLD);
    assert_int_equal(check("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n"), MG_FRAMING_OBS_FOLD);
}

static void truncated_heads_are_unreadable(void **state)
{
    assert_int_equal(mg_net_framing_check("", 0), MG_FRAMING_UNREADABLE);
    assert_int_equal(check("GET / HTTP/1.1\r\nHost: x\r\n"), MG_FRAMING_UNREADABLE);
    assert_int_equal(check("GET / HTTP/1.1"), MG_FRAMING_UNREADABLE);
    /* every prefix of a good head is either unreadable or (the whole) fine, never a crash */
    const char *head = "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
    for (size_t n = 0; n < strlen(head); n++)
        assert_int_equal(mg_net_framing_check(head, n), MG_FRAMING_UNREADABLE);
    assert_int_equal(mg_net_framing_check(head, strlen(head)), MG_FRAMING_OK);
}

static void every_verdict_has_a_sentence(void **state)
{
    for (int f = MG_FRAMING_CL_AND_TE; f <= MG_FRAMING_UNREADABLE; f++)
        assert_true(strlen(mg_net_framing_text((enum mg_net_framing)f)) > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_heads_pass),          cmocka_unit_test(ambiguous_framing_is_found),
        cmocka_unit_test(line_ends_and_folds),       cmocka_unit_test(truncated_heads_are_unreadable),
        cmocka_unit_test(every_verdict_has_a_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
