/*
 * sq_reports.c: the operator's reports (store.h "Reports"): a period's
 * usage summed per account and model, with the units, for revenue against
 * the official price.
 */
#include "store/sq_impl.h"
#include "core/mg.h"

#include <string.h>

int sq_usage_by_account_model(struct mg_store *s, int64_t from_ms, int64_t to_ms, size_t limit,
                              int (*cb)(void *arg, const struct mg_usage_event *sum, int64_t requests), void *arg)
{
    struct mg_usage_event e;
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT account_id, model, service, count(*), sum(input_tokens), sum(output_tokens), "
                                  "sum(cached_tokens), sum(characters), sum(images), sum(videos), sum(tracks), "
                                  "sum(voices), sum(cost_micros), video_seconds, video_res FROM usage_events WHERE ts_ms >= ? "
                                  "AND ts_ms < ? GROUP BY account_id, model, service, video_seconds, video_res "
                                  "ORDER BY account_id, model LIMIT ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)MG_MIN(limit, (size_t)MG_REPORT_ROWS_MAX));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&e, 0, sizeof(e));
        e.account_id = sqlite3_column_int64(st, 0);
        mg_strlcpy(e.model, sq_text(st, 1), sizeof(e.model));
        mg_strlcpy(e.service, sq_text(st, 2), sizeof(e.service));
        e.input_tokens = sqlite3_column_int64(st, 4);
        e.output_tokens = sqlite3_column_int64(st, 5);
        e.cached_tokens = sqlite3_column_int64(st, 6);
        e.characters = sqlite3_column_int64(st, 7);
        e.images = sqlite3_column_int64(st, 8);
        e.videos = sqlite3_column_int64(st, 9);
        e.tracks = sqlite3_column_int64(st, 10);
        e.voices = sqlite3_column_int64(st, 11);
        e.cost_micros = sqlite3_column_int64(st, 12);
        e.video_seconds = sqlite3_column_int64(st, 13); /* videos are priced by length and resolution */
        mg_strlcpy(e.video_res, sq_text(st, 14), sizeof(e.video_res));
        if (cb(arg, &e, sqlite3_column_int64(st, 3)) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "usage by account and model");
}
