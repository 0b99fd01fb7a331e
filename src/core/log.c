/* log.c: JSON-lines server log (stderr) and access log (GW-10). */
#include "core/log.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mg.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = MG_LOG_INFO;
static int access_fd = -1;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void mg_log_set_level(enum mg_log_level lv) { atomic_store(&min_level, (int)lv); }

static void timestamp(char out[32])
{
    int64_t ms = mg_now_ms();
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void mg_log(enum mg_log_level lv, const char *fmt, ...)
{
    char msg[2048], ts[32];
    struct mg_buf b;
    va_list ap;
    if ((int)lv < atomic_load(&min_level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    timestamp(ts);
    mg_buf_init(&b, 8192);
    mg_buf_appendf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[lv]);
    mg_buf_append_json_str(&b, msg, strlen(msg));
    mg_buf_append(&b, "}\n", 2);
    write_all(STDERR_FILENO, b.data, b.len);
    mg_buf_free(&b);
}

int mg_log_access_open(const char *where)
{
    if (strcmp(where, "off") == 0) {
        access_fd = -1;
        return MG_OK;
    }
    if (strcmp(where, "-") == 0) {
        access_fd = STDERR_FILENO;
        return MG_OK;
    }
    int fd = open(where, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return MG_ERR;
    access_fd = fd;
    return MG_OK;
}

static void str_field(struct mg_buf *b, const char *name, const char *v)
{
    if (v == NULL)
        return;
    mg_buf_appendf(b, ",\"%s\":", name);
    mg_buf_append_json_str(b, v, strlen(v));
}

int mg_log_access_enabled(void) { return access_fd >= 0; }

void mg_log_access(const struct mg_access_entry *e)
{
    char ts[32];
    struct mg_buf b;
    if (access_fd < 0)
        return;
    timestamp(ts);
    mg_buf_init(&b, 8192);
    mg_buf_appendf(&b, "{\"ts\":\"%s\",\"type\":\"access\"", ts);
    str_field(&b, "request_id", e->request_id);
    str_field(&b, "method", e->method);
    str_field(&b, "path", e->path);
    str_field(&b, "route", e->route);
    str_field(&b, "key", e->key_public_id);
    if (e->account_id)
        mg_buf_appendf(&b, ",\"account\":%lld", (long long)e->account_id);
    str_field(&b, "region", e->region);
    str_field(&b, "model", e->model);
    str_field(&b, "channel", e->channel);
    str_field(&b, "error", e->error);
    mg_buf_appendf(&b,
                   ",\"status\":%d,\"upstream_status\":%d,\"stream\":%s,\"latency_us\":%lld,\"ttfb_us\":%lld,"
                   "\"input_tokens\":%lld,\"output_tokens\":%lld,\"characters\":%lld,\"images\":%lld,"
                   "\"videos\":%lld,\"tracks\":%lld,\"cost_micros\":%lld}\n",
                   e->status, e->upstream_status, e->streamed ? "true" : "false", (long long)e->latency_us,
                   (long long)e->ttfb_us, (long long)e->input_tokens, (long long)e->output_tokens,
                   (long long)e->characters, (long long)e->images, (long long)e->videos, (long long)e->tracks,
                   (long long)e->cost_micros);
    write_all(access_fd, b.data, b.len);
    mg_buf_free(&b);
}
