/* Unit tests: the SSE parser (gateway/sse.c), with usage read from its frames.
 * The usage extractors themselves: test_usage.c; the route table: test_routes.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mg.h"
#include "gateway/sse.h"
#include "gateway/usage.h"

struct collect {
    struct mg_buf out; /* "event|data\n" per event */
    struct mg_usage_event ev;
    enum mg_usage_kind kind;
    int events;
};

static void on_event(void *arg, const char *ev, size_t el, const char *data, size_t dl, int truncated)
{
    struct collect *c = arg;
    mg_buf_append(&c->out, ev, el);
    mg_buf_append(&c->out, "|", 1);
    mg_buf_append(&c->out, data, dl);
    mg_buf_append(&c->out, truncated ? "|T\n" : "\n", truncated ? 3 : 1);
    c->events++;
    json_t *doc = json_loadb(data, dl, 0, NULL);
    if (doc != NULL)
        mg_usage_extract(c->kind, doc, &c->ev);
    json_decref(doc);
}

static const char anthropic_stream[] =
    "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":42,"
    "\"output_tokens\":0}}}\r\n\r\n"
    ": a comment line\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}\n\n"
    "event: message_delta\rdata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":30}}\r\r"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

static void run_split(const char *s, size_t len, size_t cut, enum mg_usage_kind kind, struct collect *c)
{
    struct mg_sse p;
    memset(c, 0, sizeof(*c));
    mg_buf_init(&c->out, 1 << 20);
    c->kind = kind;
    mg_sse_init(&p, 1 << 16, on_event, c);
    mg_sse_feed(&p, s, cut);
    mg_sse_feed(&p, s + cut, len - cut);
    mg_sse_free(&p);
}

/* The same stream split at every byte boundary (and byte by byte) gives the
 * same events and the same usage. */
static void sse_split_at_every_byte(void **state)
{
    size_t len = sizeof(anthropic_stream) - 1;
    struct collect whole, part;
    run_split(anthropic_stream, len, len, MG_USAGE_ANTHROPIC, &whole);
    assert_int_equal(whole.events, 5);
    assert_int_equal(whole.ev.input_tokens, 42);
    assert_int_equal(whole.ev.output_tokens, 30);
    for (size_t cut = 0; cut <= len; cut++) {
        run_split(anthropic_stream, len, cut, MG_USAGE_ANTHROPIC, &part);
        assert_int_equal(part.out.len, whole.out.len);
        assert_memory_equal(part.out.data, whole.out.data, whole.out.len);
        assert_int_equal(part.ev.input_tokens, 42);
        assert_int_equal(part.ev.output_tokens, 30);
        mg_buf_free(&part.out);
    }
    /* byte by byte */
    struct mg_sse p;
    memset(&part, 0, sizeof(part));
    mg_buf_init(&part.out, 1 << 20);
    part.kind = MG_USAGE_ANTHROPIC;
    mg_sse_init(&p, 1 << 16, on_event, &part);
    for (size_t i = 0; i < len; i++)
        mg_sse_feed(&p, anthropic_stream + i, 1);
    mg_sse_free(&p);
    assert_memory_equal(part.out.data, whole.out.data, whole.out.len);
    mg_buf_free(&part.out);
    mg_buf_free(&whole.out);
}

static void sse_multiline_data_and_cap(void **state)
{
    static const char s[] = "data: a\ndata: b\n\ndata: 0123456789abcdef\n\n";
    struct collect c;
    struct mg_sse p;
    memset(&c, 0, sizeof(c));
    mg_buf_init(&c.out, 4096);
    mg_sse_init(&p, 8, on_event, &c);
    mg_sse_feed(&p, s, sizeof(s) - 1);
    mg_sse_free(&p);
    assert_string_equal(c.out.data, "|a\nb\n||T\n");
    mg_buf_free(&c.out);
}

/* MiniMax's OpenAI-compatible stream: placeholder usage in chunks, the real
 * one in the final chat.completion frame (MINIMAX-API.md 2.2). */
static void usage_openai_stream_final_frame(void **state)
{
    static const char s[] =
        "data: {\"object\":\"chat.completion.chunk\",\"usage\":{\"total_tokens\":0,\"total_characters\":0}}\n\n"
        "data: {\"object\":\"chat.completion\",\"usage\":{\"total_tokens\":249,\"prompt_tokens\":26,"
        "\"completion_tokens\":223,\"prompt_tokens_details\":{\"cached_tokens\":6}}}\n\n"
        "data: [DONE]\n\n";
    struct collect c;
    run_split(s, sizeof(s) - 1, 7, MG_USAGE_CHAT, &c);
    assert_int_equal(c.ev.input_tokens, 26);
    assert_int_equal(c.ev.output_tokens, 223);
    assert_int_equal(c.ev.cached_tokens, 6);
    assert_false(mg_usage_frame_may_matter(MG_USAGE_CHAT, "{\"usage\":{\"total_tokens\":0}}", 27));
    mg_buf_free(&c.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sse_split_at_every_byte),   cmocka_unit_test(sse_multiline_data_and_cap),
        cmocka_unit_test(usage_openai_stream_final_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
