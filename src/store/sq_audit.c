/*
 * sq_audit.c: the SQLite audit log: append-only rows, read newest first
 * with an id cursor, deleted only by age (audit_prune, the retention).
 */
#include "store/sq_impl.h"

#include <stdio.h>
#include <string.h>

int sq_audit_append(struct mg_store *s, struct mg_audit_event *e)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "INSERT INTO audit_events(ts_ms, type, account_id, actor_id, ip, detail)"
                                  " VALUES (?,?,?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, e->ts_ms);
    sqlite3_bind_text(st, 2, e->type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, e->account_id);
    sqlite3_bind_int64(st, 4, e->actor_id);
    sqlite3_bind_text(st, 5, e->ip, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, e->detail, -1, SQLITE_TRANSIENT);
    rc = sq_pstep(s, st, 0, "audit append");
    if (rc == MG_OK)
        e->id = sqlite3_last_insert_rowid(DB(s));
    return rc;
}

/* The filters are fixed fragments (no caller text in the SQL), one query per
 * combination, so each can use its index (account_id, id) or (type, id). */
int sq_audit_list(struct mg_store *s, int64_t account_id, const char *type, int64_t before_id, size_t limit,
                  int (*cb)(void *arg, const struct mg_audit_event *e), void *arg)
{
    char sql[512];
    int rc, has_type = type != NULL && type[0] != '\0';
    struct mg_audit_event e;
    sqlite3_stmt *st;
    snprintf(sql, sizeof(sql),
             "SELECT id, ts_ms, type, account_id, actor_id, ip, detail FROM audit_events WHERE 1%s%s%s"
             " ORDER BY id DESC LIMIT ?4",
             account_id ? " AND account_id = ?1" : "", has_type ? " AND type = ?2" : "",
             before_id ? " AND id < ?3" : "");
    if ((st = sq_prep(s, sql)) == NULL)
        return MG_ERR;
    if (account_id)
        sqlite3_bind_int64(st, 1, account_id);
    if (has_type)
        sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
    if (before_id)
        sqlite3_bind_int64(st, 3, before_id);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&e, 0, sizeof(e));
        e.id = sqlite3_column_int64(st, 0);
        e.ts_ms = sqlite3_column_int64(st, 1);
        mg_strlcpy(e.type, sq_text(st, 2), sizeof(e.type));
        e.account_id = sqlite3_column_int64(st, 3);
        e.actor_id = sqlite3_column_int64(st, 4);
        mg_strlcpy(e.ip, sq_text(st, 5), sizeof(e.ip));
        mg_strlcpy(e.detail, sq_text(st, 6), sizeof(e.detail));
        if (cb(arg, &e) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "audit list");
}

int sq_audit_prune(struct mg_store *s, int64_t before_ms)
{
    sqlite3_stmt *st = sq_prep(s, "DELETE FROM audit_events WHERE ts_ms < ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, before_ms);
    return sq_pstep(s, st, 0, "audit prune");
}
