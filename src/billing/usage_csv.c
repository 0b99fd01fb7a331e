/* usage_csv.c: the usage log as CSV (usage_csv.h). */
#include "billing/usage_csv.h"
#include "core/mg.h"
#include "core/money.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char header[] = "request_id,time,key,model,service,route,http_status,estimated,input_tokens,"
                             "output_tokens,cached_tokens,characters,images,videos,tracks,voices,cost_micros,cost,"
                             "latency_ms,video_seconds,video_resolution\r\n"; /* new columns go at the end */

int mg_csv_field(struct mg_buf *b, const char *s)
{
    int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    if (strpbrk(s, ",\"\r\n") == NULL)
        return formula ? mg_buf_appendf(b, "'%s", s) : mg_buf_append(b, s, strlen(s));
    size_t mark = b->len;
    int rc = mg_buf_append(b, formula ? "\"'" : "\"", formula ? 2 : 1);
    for (const char *p = s; rc == MG_OK && *p; p++)
        rc = *p == '"' ? mg_buf_append(b, "\"\"", 2) : mg_buf_append(b, p, 1);
    if (rc == MG_OK)
        rc = mg_buf_append(b, "\"", 1);
    if (rc != MG_OK) { /* never half a field */
        b->len = mark;
        b->data[mark] = '\0';
    }
    return rc;
}

struct csv {
    struct mg_buf *b;
    size_t rows, max;
    int full;   /* the buffer's ceiling */
    int more;   /* an event past max */
    struct mg_usage_event last;
};

static int row(void *arg, const struct mg_usage_event *e)
{
    struct csv *w = arg;
    char when[32], cost[32];
    struct tm tm;
    if (w->rows == w->max) {
        w->more = 1;
        return MG_DECLINED;
    }
    time_t t = (time_t)(e->ts_ms / 1000);
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    mg_money_format(e->cost_micros, cost, sizeof(cost));
    size_t mark = w->b->len;
    int rc = MG_OK;
    const char *text[] = {e->request_id, when, e->key_public_id, e->model, e->service, e->route};
    for (size_t i = 0; i < MG_ARRAY_SIZE(text) && rc == MG_OK; i++)
        if ((rc = mg_csv_field(w->b, text[i])) == MG_OK)
            rc = mg_buf_append(w->b, ",", 1);
    if (rc == MG_OK)
        rc = mg_buf_appendf(w->b, "%d,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%lld,%lld,", e->http_status,
                            e->estimated ? "true" : "false", (long long)e->input_tokens, (long long)e->output_tokens,
                            (long long)e->cached_tokens, (long long)e->characters, (long long)e->images,
                            (long long)e->videos, (long long)e->tracks, (long long)e->voices,
                            (long long)e->cost_micros, cost, (long long)e->latency_ms, (long long)e->video_seconds);
    if (rc == MG_OK && (rc = mg_csv_field(w->b, e->video_res)) == MG_OK) /* the client's words: quoted as text */
        rc = mg_buf_append(w->b, "\r\n", 2);
    if (rc != MG_OK) {
        w->b->len = mark;
        w->b->data[mark] = '\0';
        w->full = 1;
        return MG_DECLINED;
    }
    w->rows++;
    w->last = *e;
    return MG_OK;
}

int mg_usage_csv(struct mg_store *s, const struct mg_usage_filter *f, size_t max_rows, struct mg_buf *b, size_t *rows,
                 int *truncated)
{
    struct csv w = {.b = b, .max = max_rows};
    struct mg_usage_filter page = *f;
    page.before_ts_ms = 0;
    page.before_id = NULL;
    *rows = 0;
    *truncated = 0;
    if (mg_buf_append(b, header, sizeof(header) - 1) != MG_OK)
        return MG_DECLINED;
    for (;;) { /* pages of the log's ceiling, each going on after the last row written */
        size_t before = w.rows;
        int rc = s->ops->usage_log(s, &page, MG_USAGE_LOG_MAX, row, &w);
        if (rc != MG_OK)
            return rc;
        if (w.full)
            return MG_DECLINED;
        if (w.more || w.rows - before < MG_USAGE_LOG_MAX)
            break;
        page.before_ts_ms = w.last.ts_ms;
        page.before_id = w.last.request_id;
    }
    *rows = w.rows;
    if (w.more) {
        char when[32] = "";
        struct tm tm;
        time_t t = (time_t)(w.last.ts_ms / 1000 + 1); /* to is exclusive: a second past the last row's */
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        *truncated = 1;
        if (mg_buf_appendf(b, "# truncated after %zu rows (newest first): export again with to=%s for older ones\r\n",
                           w.rows, when) != MG_OK)
            return MG_DECLINED;
    }
    return MG_OK;
}
