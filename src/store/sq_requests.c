/*
 * sq_requests.c: the SQLite access and recovery requests.  One pending
 * request per kind and email (a partial unique index), at most
 * MG_REQUESTS_PENDING_MAX pending in all: a flood of requests cannot grow
 * the table without an admin deciding.
 */
#include "store/sq_impl.h"

#include <string.h>

#define REQUEST_COLS \
    "id, kind, email, account_id, text, status, created_ms, decided_ms, decided_by FROM requests "

static void request_row(sqlite3_stmt *st, struct mg_request *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    r->kind = (enum mg_request_kind)sqlite3_column_int(st, 1);
    mg_strlcpy(r->email, sq_text(st, 2), sizeof(r->email));
    r->account_id = sqlite3_column_int64(st, 3);
    mg_strlcpy(r->text, sq_text(st, 4), sizeof(r->text));
    r->status = (enum mg_request_status)sqlite3_column_int(st, 5);
    r->created_ms = sqlite3_column_int64(st, 6);
    r->decided_ms = sqlite3_column_int64(st, 7);
    r->decided_by = sqlite3_column_int64(st, 8);
}

static int insert(struct mg_store *s, struct mg_request *r)
{
    char e[256];
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT count(*) FROM requests WHERE status = 0");
    if (st == NULL)
        return MG_ERR;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = sqlite3_column_int64(st, 0) >= MG_REQUESTS_PENDING_MAX ? SQLITE_FULL : SQLITE_DONE;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_FULL ? MG_DECLINED : sq_pfail(s, "requests count");
    if ((st = sq_prep(s, "INSERT INTO requests(kind, email, account_id, text, status, created_ms)"
                         " VALUES (?,?,?,?,0,?)")) == NULL)
        return MG_ERR;
    sq_lower(e, r->email, sizeof(e));
    sqlite3_bind_int(st, 1, (int)r->kind);
    sqlite3_bind_text(st, 2, e, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, r->account_id);
    sqlite3_bind_text(st, 4, r->text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, r->created_ms);
    rc = sq_pstep(s, st, 0, "request insert");
    if (rc == MG_OK) {
        r->id = sqlite3_last_insert_rowid(DB(s));
        r->status = MG_REQ_PENDING;
        mg_strlcpy(r->email, e, sizeof(r->email));
    }
    return rc;
}

int sq_request_insert(struct mg_store *s, struct mg_request *r)
{
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK) /* the count and the insert see one state */
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    rc = insert(s, r);
    if (rc == MG_DECLINED) {
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_request_get(struct mg_store *s, int64_t id, struct mg_request *out)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " REQUEST_COLS "WHERE id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        request_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "request get");
}

int sq_requests_list(struct mg_store *s, enum mg_request_kind kind, int status, size_t limit,
                     int (*cb)(void *arg, const struct mg_request *r), void *arg)
{
    int rc;
    struct mg_request r;
    sqlite3_stmt *st = sq_prep(s, "SELECT " REQUEST_COLS "WHERE kind = ?1 AND (?2 < 0 OR status = ?2)"
                                  " ORDER BY id DESC LIMIT ?3");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        request_row(st, &r);
        if (cb(arg, &r) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "requests list");
}

int sq_request_decide(struct mg_store *s, int64_t id, enum mg_request_status stt, int64_t by, int64_t now_ms)
{
    sqlite3_stmt *st;
    if (stt != MG_REQ_APPROVED && stt != MG_REQ_DENIED)
        return MG_DECLINED;
    if ((st = sq_prep(s, "UPDATE requests SET status = ?2, decided_by = ?3, decided_ms = ?4"
                         " WHERE id = ?1 AND status = 0")) == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, (int)stt);
    sqlite3_bind_int64(st, 3, by);
    sqlite3_bind_int64(st, 4, now_ms);
    return sq_pstep(s, st, 1, "request decide");
}
