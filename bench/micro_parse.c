/*
 * micro_parse.c: the gateway's JSON hot path, scanner vs jansson (median ns).
 *   request body, 1 KiB and 64 KiB chat:  json_loadb(JSON_REJECT_DUPLICATES) + get model/stream
 *                                         vs mg_jscan_parse(MG_JSCAN_REJECT_DUPLICATES, model, stream)
 *   final chat stream frame:              json_loadb + mg_usage_extract vs mg_usage_from_frame
 *   placeholder chunk frame:              the same (both pre-filtered by the needle)
 * Build and run: bench/micro.sh
 */
#include "core/buf.h"
#include "core/jscan.h"
#include "core/mg.h"
#include "gateway/usage.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 2001

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static volatile long long sink;

static long long median(void (*fn)(const char *, size_t), const char *s, size_t n, int inner)
{
    static long long t[RUNS];
    for (int i = 0; i < 50; i++)
        fn(s, n);
    for (int r = 0; r < RUNS; r++) {
        long long a = now_ns();
        for (int i = 0; i < inner; i++)
            fn(s, n);
        t[r] = (now_ns() - a) / inner;
    }
    qsort(t, RUNS, sizeof(t[0]), cmp);
    return t[RUNS / 2];
}

static void body_jansson(const char *s, size_t n)
{
    json_error_t e;
    json_t *d = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
    sink += json_string_length(json_object_get(d, "model")) + json_is_true(json_object_get(d, "stream"));
    json_decref(d);
}

static void body_jscan(const char *s, size_t n)
{
    char model[96];
    struct mg_jscan_field f[2] = {{.key = "model", .str = model, .str_cap = sizeof(model)}, {.key = "stream"}};
    struct mg_jscan js = {.flags = MG_JSCAN_REJECT_DUPLICATES, .fields = f, .nfields = 2};
    sink += mg_jscan_parse(&js, s, n) + (long long)f[0].str_len + (f[1].type == MG_JSCAN_TRUE);
}

static void frame_jansson(const char *s, size_t n)
{
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    if (!mg_usage_frame_may_matter(MG_USAGE_CHAT, s, n))
        return;
    json_t *d = json_loadb(s, n, 0, NULL);
    sink += mg_usage_extract(MG_USAGE_CHAT, d, &ev) + ev.input_tokens;
    json_decref(d);
}

static void frame_scan(const char *s, size_t n)
{
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    sink += mg_usage_from_frame(MG_USAGE_CHAT, s, n, &ev) + ev.input_tokens;
}

/* A chat request of about `size` bytes: a system prompt and user turns. */
static void chat_body(struct mg_buf *b, size_t size)
{
    mg_buf_appendf(b, "{\"model\":\"MiniMax-M2.5\",\"stream\":true,\"temperature\":0.7,\"max_tokens\":1024,"
                      "\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"}");
    for (int i = 0; b->len + 200 < size; i++)
        mg_buf_appendf(b, ",{\"role\":\"%s\",\"content\":\"Turn %d: please summarise the report \\\"Q3\\\" in "
                          "three bullet points, with figures\\n and dates; caf\xc3\xa9 \\u00e9.\"}",
                       i % 2 ? "assistant" : "user", i);
    mg_buf_appendf(b, "]}");
}

int main(void)
{
    static const char final_frame[] =
        "{\"id\":\"0a1b\",\"object\":\"chat.completion\",\"created\":1755153113,\"model\":\"MiniMax-M2.5\","
        "\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":"
        "\"Hello! Here is the summary you asked for: three points, each with a figure and a date.\","
        "\"reasoning_content\":\"The user wants a short summary.\"}}],\"usage\":{\"total_tokens\":249,"
        "\"total_characters\":0,\"prompt_tokens\":26,\"completion_tokens\":223,\"prompt_tokens_details\":"
        "{\"cached_tokens\":6},\"completion_tokens_details\":{\"reasoning_tokens\":214}},\"input_sensitive\":false,"
        "\"output_sensitive\":false,\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}";
    static const char chunk[] =
        "{\"id\":\"0a1b\",\"object\":\"chat.completion.chunk\",\"created\":1755153113,\"model\":\"MiniMax-M2.5\","
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" three\"},\"finish_reason\":null}],"
        "\"usage\":{\"total_tokens\":0,\"total_characters\":0}}";
    struct mg_buf b1, b64;
    mg_buf_init(&b1, 1 << 20);
    mg_buf_init(&b64, 1 << 20);
    chat_body(&b1, 1024);
    chat_body(&b64, 65536);
    printf("%-34s %8s %10s %10s\n", "input", "bytes", "jansson", "scanner");
    printf("%-34s %8zu %8lld ns %8lld ns\n", "request body, chat 1 KiB", b1.len, median(body_jansson, b1.data, b1.len, 20),
           median(body_jscan, b1.data, b1.len, 20));
    printf("%-34s %8zu %8lld ns %8lld ns\n", "request body, chat 64 KiB", b64.len,
           median(body_jansson, b64.data, b64.len, 1), median(body_jscan, b64.data, b64.len, 1));
    printf("%-34s %8zu %8lld ns %8lld ns\n", "stream frame, final chat.completion", sizeof(final_frame) - 1,
           median(frame_jansson, final_frame, sizeof(final_frame) - 1, 20),
           median(frame_scan, final_frame, sizeof(final_frame) - 1, 20));
    printf("%-34s %8zu %8lld ns %8lld ns\n", "stream frame, content chunk", sizeof(chunk) - 1,
           median(frame_jansson, chunk, sizeof(chunk) - 1, 100), median(frame_scan, chunk, sizeof(chunk) - 1, 100));
    mg_buf_free(&b1);
    mg_buf_free(&b64);
    return 0;
}
