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
