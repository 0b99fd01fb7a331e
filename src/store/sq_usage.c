/* sq_usage.c: the usage ledger domain of the SQLite backend (store.h "Usage"). */
#include "store/sq_impl.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

static void bind_event(sqlite3_stmt *st, const struct mg_usage_event *e)
{
    sqlite3_bind_text(st, 1, e->request_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, e->ts_ms);
    sqlite3_bind_int64(st, 3, e->account_id);
    sqlite3_bind_int64(st, 4, e->key_id);
    sqlite3_bind_text(st, 5, e->key_public_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, e->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, e->service, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, e->route, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, e->input_tokens);
    sqlite3_bind_int64(st, 10, e->output_tokens);
    sqlite3_bind_int64(st, 11, e->cached_tokens);
    sqlite3_bind_int64(st, 12, e->characters);
    sqlite3_bind_int64(st, 13, e->images);
    sqlite3_bind_int64(st, 14, e->videos);
    sqlite3_bind_int64(st, 15, e->tracks);
    sqlite3_bind_int64(st, 16, e->voices);
    sqlite3_bind_int64(st, 17, e->cost_micros);
    sqlite3_bind_int(st, 18, e->http_status);
    sqlite3_bind_int(st, 19, e->estimated);
    sqlite3_bind_int64(st, 20, e->latency_ms);
    sqlite3_bind_int64(st, 21, e->video_seconds);
    sqlite3_bind_text(st, 22, e->video_res, -1, SQLITE_STATIC);
}

static int run(struct mg_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? MG_OK : sq_fail(s, what);
    sqlite3_reset(st);
    return rc;
}

/* A checkpoint replaces the stream's previous one; a real event deletes its
 * stream's checkpoint (a PK lookup in a table of the streams open now). */
int sq_usage_insert(struct mg_store *s, const struct mg_usage_event *ev, size_t n)
{
    int rc = MG_OK;
    sqlite3_stmt *ins, *ckpt, *del;
    if (n == 0)
        return MG_OK;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    ins = sq_prep_kept(s, SQ_KEPT_USAGE_INS, "INSERT OR IGNORE INTO usage_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                                            "?,?,?,?,?,?,?)");
    ckpt = sq_prep_kept(s, SQ_KEPT_CKPT_PUT, "INSERT OR REPLACE INTO stream_checkpoints VALUES (?,?,?,?,?,?,?,?,?,?,?,"
                                             "?,?,?,?,?,?,?,?,?,?,?)");
    del = sq_prep_kept(s, SQ_KEPT_CKPT_DEL, "DELETE FROM stream_checkpoints WHERE request_id = ?");
    if (ins == NULL || ckpt == NULL || del == NULL)
        rc = MG_ERR;
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        const struct mg_usage_event *e = &ev[i];
        if (e->checkpoint) {
            bind_event(ckpt, e);
            rc = run(s, ckpt, "checkpoint insert");
            SQ(s)->ckpt_rows = -1; /* some: counted again after the batch */
            continue;
        }
        bind_event(ins, e);
        rc = run(s, ins, "usage insert");
        if (rc == MG_OK && SQ(s)->ckpt_rows != 0) {
            sqlite3_bind_text(del, 1, e->request_id, -1, SQLITE_STATIC);
            rc = run(s, del, "checkpoint delete");
        }
    }
    if (rc == MG_OK && SQ(s)->ckpt_rows != 0) { /* one count a batch, not a delete an event */
        sqlite3_stmt *cnt = sq_prep_kept(s, SQ_KEPT_CKPT_COUNT, "SELECT count(*) FROM stream_checkpoints");
        if (cnt != NULL && sqlite3_step(cnt) == SQLITE_ROW)
            SQ(s)->ckpt_rows = sqlite3_column_int64(cnt, 0);
    }
    sq_kept_release(s); /* kept for the next batch, holding no read and no pointer into ev */
    return sq_tx_end(s, rc);
}

int sq_usage_settle_checkpoints(struct mg_store *s, size_t *n)
{
    *n = 0;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    int rc = sq_exec(s, "INSERT OR IGNORE INTO usage_events SELECT * FROM stream_checkpoints");
    if (rc == MG_OK) {
        *n = (size_t)sqlite3_changes(DB(s));
        rc = sq_exec(s, "DELETE FROM stream_checkpoints");
    }
    return sq_tx_end(s, rc);
}

static void read_event(sqlite3_stmt *st, struct mg_usage_event *e)
{
    memset(e, 0, sizeof(*e));
    mg_strlcpy(e->request_id, (const char *)sqlite3_column_text(st, 0), sizeof(e->request_id));
    e->ts_ms = sqlite3_column_int64(st, 1);
    e->account_id = sqlite3_column_int64(st, 2);
    e->key_id = sqlite3_column_int64(st, 3);
    mg_strlcpy(e->key_public_id, (const char *)sqlite3_column_text(st, 4), sizeof(e->key_public_id));
    mg_strlcpy(e->model, (const char *)sqlite3_column_text(st, 5), sizeof(e->model));
    mg_strlcpy(e->service, (const char *)sqlite3_column_text(st, 6), sizeof(e->service));
    mg_strlcpy(e->route, (const char *)sqlite3_column_text(st, 7), sizeof(e->route));
    e->input_tokens = sqlite3_column_int64(st, 8);
    e->output_tokens = sqlite3_column_int64(st, 9);
    e->cached_tokens = sqlite3_column_int64(st, 10);
    e->characters = sqlite3_column_int64(st, 11);
    e->images = sqlite3_column_int64(st, 12);
    e->videos = sqlite3_column_int64(st, 13);
    e->tracks = sqlite3_column_int64(st, 14);
    e->voices = sqlite3_column_int64(st, 15);
    e->cost_micros = sqlite3_column_int64(st, 16);
    e->http_status = sqlite3_column_int(st, 17);
    e->estimated = sqlite3_column_int(st, 18);
    e->latency_ms = sqlite3_column_int64(st, 19);
    e->video_seconds = sqlite3_column_int64(st, 20);
    mg_strlcpy(e->video_res, sq_text(st, 21), sizeof(e->video_res));
}

/* Steps st to the end, each row to cb (which may stop it). */
static int each_event(struct mg_store *s, sqlite3_stmt *st, mg_store_usage_cb cb, void *arg, const char *what)
{
    int rc;
    struct mg_usage_event e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_event(st, &e);
        if (cb(arg, &e) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, what);
}

int sq_usage_list(struct mg_store *s, const char *request_id, size_t limit, mg_store_usage_cb cb, void *arg)
{
    sqlite3_stmt *st = sq_prep(s, request_id ? "SELECT * FROM usage_events WHERE request_id = ? LIMIT ?"
                                          : "SELECT * FROM usage_events ORDER BY ts_ms DESC, request_id DESC LIMIT ?");
    if (st == NULL)
        return MG_ERR;
    if (request_id) {
        sqlite3_bind_text(st, 1, request_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
    } else {
        sqlite3_bind_int64(st, 1, (int64_t)limit);
    }
    return each_event(s, st, cb, arg, "usage list");
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* One account's range of usage_account_ts (account_id, ts_ms, and the key
 * request_id), walked backwards; the other filters are checked per row.
 * ?8 < 0 is a status class: 2xx when it is MG_USAGE_STATUS_OK (?9), else not 2xx. */
int sq_usage_log(struct mg_store *s, const struct mg_usage_filter *f, size_t limit, mg_store_usage_cb cb, void *arg)
{
    int64_t to = f->to_ms > 0 ? f->to_ms : INT64_MAX;
    if (f->before_ts_ms > 0 && f->before_ts_ms < to)
        to = f->before_ts_ms + 1; /* rows at before_ts_ms itself go on by request_id */
    if (limit > MG_USAGE_LOG_MAX)
        limit = MG_USAGE_LOG_MAX;
    sqlite3_stmt *st = sq_prep(s, "SELECT * FROM usage_events WHERE account_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3"
                               " AND (?4 IS NULL OR request_id = ?4) AND (?5 IS NULL OR key_public_id = ?5)"
                               " AND (?6 IS NULL OR model = ?6) AND (?7 IS NULL OR service = ?7)"
                               " AND (?8 = 0 OR http_status = ?8 OR (?8 < 0 AND (?8 = ?9) = (http_status BETWEEN 200 AND 299)))"
                               " AND (?10 IS NULL OR ts_ms < ?11 OR request_id < ?10)"
                               " ORDER BY ts_ms DESC, request_id DESC LIMIT ?12");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, f->account_id);
    sqlite3_bind_int64(st, 2, f->from_ms > 0 ? f->from_ms : 0);
    sqlite3_bind_int64(st, 3, to);
    bind_opt(st, 4, f->request_id);
    bind_opt(st, 5, f->key_public_id);
    bind_opt(st, 6, f->model);
    bind_opt(st, 7, f->service);
    sqlite3_bind_int(st, 8, f->status);
    sqlite3_bind_int(st, 9, MG_USAGE_STATUS_OK);
    bind_opt(st, 10, f->before_ts_ms > 0 ? f->before_id : NULL);
    sqlite3_bind_int64(st, 11, f->before_ts_ms);
    sqlite3_bind_int64(st, 12, (int64_t)limit);
    return each_event(s, st, cb, arg, "usage log");
}

int sq_usage_spend_all(struct mg_store *s, int64_t from_ms, int64_t to_ms,
                       mg_store_spend_cb cb, void *arg)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT account_id, key_id, service, sum(cost_micros) FROM usage_events"
                               " WHERE ts_ms >= ? AND ts_ms < ? GROUP BY account_id, key_id, service");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sq_text(st, 2),
               sqlite3_column_int64(st, 3)) != MG_OK)
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "usage spend");
}

/* The group's column, and its order: days by date, the rest by cost. */
static const char *const group_sql[] = {
    [MG_GROUP_DAY] = "strftime('%Y-%m-%d', ts_ms / 1000, 'unixepoch')",
    [MG_GROUP_SERVICE] = "service",
    [MG_GROUP_KEY] = "key_public_id",
    [MG_GROUP_MODEL] = "model",
};

int sq_usage_aggregate(struct mg_store *s, int64_t account_id, int64_t from_ms, int64_t to_ms, enum mg_usage_group g,
                       size_t limit, mg_store_total_cb cb, void *arg, int *more)
{
    char sql[768];
    int rc;
    *more = 0;
    if ((unsigned)g >= sizeof(group_sql) / sizeof(group_sql[0]))
        return MG_DECLINED;
    if (limit > MG_USAGE_GROUPS_MAX)
        limit = MG_USAGE_GROUPS_MAX;
    snprintf(sql, sizeof(sql),
             "SELECT %s AS g, count(*), sum(cost_micros), sum(input_tokens), sum(output_tokens), sum(cached_tokens),"
             " sum(characters), sum(images), sum(videos), sum(tracks), sum(voices) FROM usage_events"
             " WHERE account_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 GROUP BY g ORDER BY %s LIMIT ?4",
             group_sql[g], g == MG_GROUP_DAY ? "g" : "sum(cost_micros) DESC, g");
    sqlite3_stmt *st = sq_prep(s, sql);
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    sqlite3_bind_int64(st, 4, (int64_t)limit + 1); /* one more says there are more */
    size_t n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct mg_usage_total t;
        if (n++ == limit) {
            *more = 1;
            break;
        }
        memset(&t, 0, sizeof(t));
        mg_strlcpy(t.key, sq_text(st, 0), sizeof(t.key));
        t.requests = sqlite3_column_int64(st, 1);
        t.cost_micros = sqlite3_column_int64(st, 2);
        t.input_tokens = sqlite3_column_int64(st, 3);
        t.output_tokens = sqlite3_column_int64(st, 4);
        t.cached_tokens = sqlite3_column_int64(st, 5);
        t.characters = sqlite3_column_int64(st, 6);
        t.images = sqlite3_column_int64(st, 7);
        t.videos = sqlite3_column_int64(st, 8);
        t.tracks = sqlite3_column_int64(st, 9);
        t.voices = sqlite3_column_int64(st, 10);
        if (cb(arg, &t) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "usage aggregate");
}
