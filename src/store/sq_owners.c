/* sq_owners.c: the owners of async resources (GW-6) in the SQLite backend (store.h "Owners"). */
#include "store/sq_impl.h"
#include "core/mg.h"

#include <string.h>

int sq_owner_put(struct mg_store *s, enum mg_owned_kind kind, const char *id, const struct mg_owned *o)
{
    sqlite3_stmt *st = sq_prep(s, "INSERT OR IGNORE INTO owners (kind, id, account_id, model, key_id, created_ms,"
                                  " video_seconds, video_res) VALUES (?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, o->account_id);
    sqlite3_bind_text(st, 4, o->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, o->key_id);
    sqlite3_bind_int64(st, 6, o->created_ms);
    sqlite3_bind_int64(st, 7, o->video_seconds);
    sqlite3_bind_text(st, 8, o->video_res, -1, SQLITE_TRANSIENT);
    return sq_step_done(s, st, "owner put");
}

int sq_owner_get(struct mg_store *s, enum mg_owned_kind kind, const char *id, struct mg_owned *o)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT account_id, model, key_id, created_ms, video_seconds, video_res, state,"
                                  " state_ms FROM owners WHERE kind = ? AND id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    memset(o, 0, sizeof(*o));
    if (rc == SQLITE_ROW) {
        o->account_id = sqlite3_column_int64(st, 0);
        mg_strlcpy(o->model, sq_text(st, 1), sizeof(o->model));
        o->key_id = sqlite3_column_int64(st, 2);
        o->created_ms = sqlite3_column_int64(st, 3);
        o->video_seconds = sqlite3_column_int64(st, 4);
        mg_strlcpy(o->video_res, sq_text(st, 5), sizeof(o->video_res));
        mg_strlcpy(o->state, sq_text(st, 6), sizeof(o->state));
        o->state_ms = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_fail(s, "owner get");
}

int sq_owner_state(struct mg_store *s, enum mg_owned_kind kind, const char *id, const char *state, int64_t now_ms)
{
    sqlite3_stmt *st = sq_prep(s, "UPDATE owners SET state = ?, state_ms = ? WHERE kind = ? AND id = ? AND state <> ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, state, (int)strnlen(state, MG_TASK_STATE_MAX - 1), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int(st, 3, (int)kind);
    sqlite3_bind_text(st, 4, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, state, (int)strnlen(state, MG_TASK_STATE_MAX - 1), SQLITE_TRANSIENT);
    return sq_step_done(s, st, "owner state");
}

int sq_owner_delete(struct mg_store *s, enum mg_owned_kind kind, const char *id)
{
    sqlite3_stmt *st = sq_prep(s, "DELETE FROM owners WHERE kind = ? AND id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    return sq_step_done(s, st, "owner delete");
}

int sq_owners_lookup(struct mg_store *s, enum mg_owned_kind kind, const char *const *ids, size_t n,
                     int64_t *account_out)
{
    int rc = MG_OK, step;
    sqlite3_stmt *st;
    if (n == 0)
        return MG_OK;
    if (sq_tx_begin(s, SQ_READ) != MG_OK) /* one snapshot for the whole list; read-only, no write lock */
        return MG_ERR;
    if ((st = sq_prep(s, "SELECT account_id FROM owners WHERE kind = ? AND id = ?")) == NULL)
        return sq_tx_end(s, MG_ERR);
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_STATIC);
        step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            account_out[i] = sqlite3_column_int64(st, 0);
        else if (step == SQLITE_DONE)
            account_out[i] = 0;
        else
            rc = sq_fail(s, "owners lookup");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return sq_tx_end(s, rc);
}

/* One account's range of owners_account_created walked backwards (?6 is the
 * cursor's created_ms, or the largest one), the kind and key checked per row.
 * The key's public id and a video's bill are each one primary-key lookup. */
int sq_tasks_list(struct mg_store *s, const struct mg_task_filter *f, size_t limit, mg_store_task_cb cb, void *arg)
{
    int rc;
    struct mg_task_record t;
    if (limit > MG_TASKS_PAGE_MAX)
        limit = MG_TASKS_PAGE_MAX;
    sqlite3_stmt *st = sq_prep(
        s, "SELECT o.kind, o.id, o.model, o.key_id, o.created_ms, o.video_seconds, o.video_res, o.state, o.state_ms,"
           " coalesce(k.public_id, ''), o.kind = ?2 AND EXISTS (SELECT 1 FROM usage_events u"
           "   WHERE u.request_id = 'video-' || substr(o.id, 1, 33))"
           " FROM owners o LEFT JOIN api_keys k ON k.id = o.key_id AND k.account_id = o.account_id"
           " WHERE o.account_id = ?1 AND o.kind IN (?2, ?3) AND (?4 = 0 OR o.kind = ?4)"
           " AND (?5 IS NULL OR k.public_id = ?5) AND o.created_ms <= ?6"
           " AND (?7 IS NULL OR o.created_ms < ?6 OR o.id < ?7 OR (o.id = ?7 AND o.kind < ?8))"
           " ORDER BY o.created_ms DESC, o.id DESC, o.kind DESC LIMIT ?9");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, f->account_id);
    sqlite3_bind_int(st, 2, MG_OWNED_VIDEO_TASK);
    sqlite3_bind_int(st, 3, MG_OWNED_SPEECH_TASK);
    sqlite3_bind_int(st, 4, f->kind);
    if (f->key_public_id != NULL)
        sqlite3_bind_text(st, 5, f->key_public_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, f->before_id != NULL ? f->before_ms : INT64_MAX);
    if (f->before_id != NULL)
        sqlite3_bind_text(st, 7, f->before_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 8, f->before_kind);
    sqlite3_bind_int64(st, 9, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&t, 0, sizeof(t));
        t.kind = sqlite3_column_int(st, 0);
        mg_strlcpy(t.id, sq_text(st, 1), sizeof(t.id));
        t.o.account_id = f->account_id;
        mg_strlcpy(t.o.model, sq_text(st, 2), sizeof(t.o.model));
        t.o.key_id = sqlite3_column_int64(st, 3);
        t.o.created_ms = sqlite3_column_int64(st, 4);
        t.o.video_seconds = sqlite3_column_int64(st, 5);
        mg_strlcpy(t.o.video_res, sq_text(st, 6), sizeof(t.o.video_res));
        mg_strlcpy(t.o.state, sq_text(st, 7), sizeof(t.o.state));
        t.o.state_ms = sqlite3_column_int64(st, 8);
        mg_strlcpy(t.key_public_id, sq_text(st, 9), sizeof(t.key_public_id));
        t.billed = sqlite3_column_int(st, 10);
        if (cb(arg, &t) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "tasks list");
}
