/*
 * sq_notifications.c: the SQLite in-app notifications: at most
 * MG_NOTIFICATIONS_PER_ACCOUNT per account, the oldest go on insert.
 */
#include "store/sq_impl.h"

#include <string.h>

int sq_notification_insert(struct mg_store *s, struct mg_notification *n)
{
    int rc;
    sqlite3_stmt *st;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    if ((st = sq_prep(s, "INSERT INTO notifications(account_id, ts_ms, kind, text, read) VALUES (?,?,?,?,?)")) == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, n->account_id);
    sqlite3_bind_int64(st, 2, n->ts_ms);
    sqlite3_bind_text(st, 3, n->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, n->text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, n->read != 0);
    rc = sq_pstep(s, st, 0, "notification insert");
    if (rc == MG_OK) {
        n->id = sqlite3_last_insert_rowid(DB(s));
        st = sq_prep(s, "DELETE FROM notifications WHERE account_id = ?1 AND id NOT IN"
                        " (SELECT id FROM notifications WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2)");
        if (st == NULL)
            rc = MG_ERR;
        else {
            sqlite3_bind_int64(st, 1, n->account_id);
            sqlite3_bind_int(st, 2, MG_NOTIFICATIONS_PER_ACCOUNT);
            rc = sq_pstep(s, st, 0, "notification ceiling");
        }
    }
    if (rc == MG_DECLINED) { /* no such account: nothing written */
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_notifications_list(struct mg_store *s, int64_t account_id, size_t limit,
                          int (*cb)(void *arg, const struct mg_notification *n), void *arg, int *unread)
{
    int rc;
    struct mg_notification n;
    sqlite3_stmt *st;
    if (unread != NULL) {
        if ((st = sq_prep(s, "SELECT count(*) FROM notifications WHERE account_id = ? AND read = 0")) == NULL)
            return MG_ERR;
        sqlite3_bind_int64(st, 1, account_id);
        rc = sqlite3_step(st);
        *unread = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
            return sq_pfail(s, "notifications unread");
    }
    if ((st = sq_prep(s, "SELECT id, account_id, ts_ms, kind, text, read FROM notifications WHERE account_id = ?"
                         " ORDER BY id DESC LIMIT ?")) == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&n, 0, sizeof(n));
        n.id = sqlite3_column_int64(st, 0);
        n.account_id = sqlite3_column_int64(st, 1);
        n.ts_ms = sqlite3_column_int64(st, 2);
        mg_strlcpy(n.kind, sq_text(st, 3), sizeof(n.kind));
        mg_strlcpy(n.text, sq_text(st, 4), sizeof(n.text));
        n.read = sqlite3_column_int(st, 5);
        if (cb(arg, &n) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "notifications list");
}

int sq_notification_read(struct mg_store *s, int64_t account_id, int64_t id)
{
    sqlite3_stmt *st = sq_prep(s, "UPDATE notifications SET read = 1 WHERE id = ? AND account_id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, account_id);
    return sq_pstep(s, st, 1, "notification read");
}
