/* Unit tests: strict upstream response heads and body framing (net/h1resp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net/h1resp.h"

static int parse(const char *s, struct mg_h1_head *h)
{
    const char *why = NULL;
    int r = mg_h1_parse_head(s, strlen(s), h, &why);
    if (r < 0)
        assert_non_null(why);
    return r;
}

static void heads_and_framing(void **state)
{
    struct mg_h1_head h;
    assert_true(parse("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n", &h) > 0);
    assert_int_equal(h.framing, MG_H1_LENGTH);
    assert_int_equal(h.content_length, 12);
    assert_true(h.keep_alive);
    assert_true(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\nConnection: close\r\n\r\n", &h) > 0);
    assert_int_equal(h.framing, MG_H1_CHUNKED);
    assert_false(h.keep_alive);
    assert_true(parse("HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n", &h) > 0);
    assert_false(h.keep_alive); /* 1.0 without keep-alive */
    assert_true(parse("HTTP/1.1 200 OK\r\n\r\n", &h) > 0);
    assert_int_equal(h.framing, MG_H1_TO_CLOSE);
    assert_false(h.keep_alive);
    assert_true(parse("HTTP/1.1 204 No Content\r\n\r\n", &h) > 0);
    assert_int_equal(h.framing, MG_H1_NO_BODY);
    assert_true(parse("HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 5\r\n\r\n", &h) > 0); /* same value */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\ncontent-le", &h), 0); /* incomplete */
}

static void refusals(void **state)
{
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: +1\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 99999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: \r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nx: a\r\n b\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 700 Odd\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
    };
    struct mg_h1_head h;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], &h), -1);
}

static void length_body_and_extra(void **state)
{
    struct mg_h1_head h;
    struct mg_h1_body b;
    char buf[32];
    size_t len, extra;
    assert_true(parse("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", &h) > 0);
    mg_h1_body_init(&b, &h);
    memcpy(buf, "abc", 3);
    len = 3;
    assert_int_equal(mg_h1_body_feed(&b, buf, &len, &extra), 0);
    assert_int_equal(len, 3);
    memcpy(buf, "deXYZ", 5);
    len = 5;
    assert_int_equal(mg_h1_body_feed(&b, buf, &len, &extra), 1);
    assert_int_equal(len, 2);
    assert_int_equal(extra, 3); /* bytes after the body: the connection is not reused */
}

static void chunked_byte_by_byte(void **state)
{
    static const char wire[] = "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nx-trailer: 1\r\n\r\n";
    struct mg_h1_head h;
    struct mg_h1_body b;
    char out[32], c;
    size_t n = 0, len, extra;
    int rc = 0;
    assert_true(parse("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", &h) > 0);
    mg_h1_body_init(&b, &h);
    for (size_t i = 0; i < sizeof(wire) - 1; i++) {
        assert_int_equal(rc, 0);
        c = wire[i];
        len = 1;
        rc = mg_h1_body_feed(&b, &c, &len, &extra);
        assert_int_not_equal(rc, -1);
        memcpy(out + n, &c, len);
        n += len;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(extra, 0);
    assert_int_equal(n, 9);
    assert_memory_equal(out, "Wikipedia", 9);
}

static void bad_chunk_keeps_what_came_before(void **state)
{
    char wire[] = "3\r\nabc\r\nzz\r\n";
    struct mg_h1_head h;
    struct mg_h1_body b;
    size_t len = sizeof(wire) - 1, extra;
    assert_true(parse("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", &h) > 0);
    mg_h1_body_init(&b, &h);
    assert_int_equal(mg_h1_body_feed(&b, wire, &len, &extra), -1);
    assert_int_equal(len, 3);
    assert_memory_equal(wire, "abc", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heads_and_framing),
        cmocka_unit_test(refusals),
        cmocka_unit_test(length_body_and_extra),
        cmocka_unit_test(chunked_byte_by_byte),
        cmocka_unit_test(bad_chunk_keeps_what_came_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
