/*
 * sq_alerts.c: spending alerts (store.h "Spending alerts"): at most
 * MG_ALERTS_PER_ACCOUNT per account, one per (service, threshold); the one
 * firing per billing month is a conditional UPDATE.
 */
#include "store/sq_impl.h"
#include "core/mg.h"

#include <string.h>

#define ALERT_COLS "id, account_id, service, threshold_percent, channels, fired_month, created_ms"

static void alert_row(sqlite3_stmt *st, struct mg_alert *a)
{
    memset(a, 0, sizeof(*a));
    a->id = sqlite3_column_int64(st, 0);
    a->account_id = sqlite3_column_int64(st, 1);
    mg_strlcpy(a->service, sq_text(st, 2), sizeof(a->service));
    a->threshold_percent = sqlite3_column_int(st, 3);
    a->channels = (unsigned)sqlite3_column_int(st, 4);
    a->fired_month = sqlite3_column_int64(st, 5);
    a->created_ms = sqlite3_column_int64(st, 6);
}

int sq_alert_insert(struct mg_store *s, struct mg_alert *a)
{
    sqlite3_stmt *st;
    int rc, n = 0;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    if ((st = sq_prep(s, "SELECT count(*) FROM billing_alerts WHERE account_id = ?")) == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, a->account_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (n >= MG_ALERTS_PER_ACCOUNT) {
        sq_tx_end(s, MG_OK);
        return MG_AGAIN;
    }
    st = sq_prep(s, "INSERT INTO billing_alerts(account_id, service, threshold_percent, channels, fired_month, "
                    "created_ms) VALUES (?,?,?,?,-1,?)");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, a->account_id);
    sqlite3_bind_text(st, 2, a->service, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, a->threshold_percent);
    sqlite3_bind_int(st, 4, (int)a->channels);
    sqlite3_bind_int64(st, 5, a->created_ms);
    rc = sq_pstep(s, st, 0, "alert insert");
    if (rc == MG_DECLINED) { /* the same service and threshold */
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    a->id = sqlite3_last_insert_rowid(DB(s));
    a->fired_month = -1;
    return sq_tx_end(s, rc);
}

int sq_alerts_list(struct mg_store *s, int64_t account_id, int (*cb)(void *arg, const struct mg_alert *a), void *arg)
{
    struct mg_alert a;
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " ALERT_COLS " FROM billing_alerts WHERE account_id = ?"
                                  " ORDER BY service, threshold_percent");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        alert_row(st, &a);
        if (cb(arg, &a) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "alerts list");
}

int sq_alert_delete(struct mg_store *s, int64_t account_id, int64_t id)
{
    return sq_run2(s, "DELETE FROM billing_alerts WHERE account_id = ? AND id = ?", account_id, id, 1, "alert delete");
}

int sq_alerts_due(struct mg_store *s, int64_t account_id, int64_t month,
                  int (*cb)(void *arg, const struct mg_alert_due *d), void *arg)
{
    struct mg_alert_due d;
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT b.id, b.account_id, b.service, b.threshold_percent, b.channels, "
                                  "b.fired_month, b.created_ms, a.cap_micros, a.email FROM billing_alerts b "
                                  "JOIN accounts a ON a.id = b.account_id WHERE b.account_id = ? AND b.fired_month < ?"
                                  " ORDER BY b.threshold_percent");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, month);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        alert_row(st, &d.a);
        d.cap_micros = sqlite3_column_int64(st, 7);
        mg_strlcpy(d.email, sq_text(st, 8), sizeof(d.email));
        if (cb(arg, &d) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "alerts due");
}

int sq_alert_fire(struct mg_store *s, int64_t id, int64_t month)
{
    return sq_run2(s, "UPDATE billing_alerts SET fired_month = ?2 WHERE id = ?1 AND fired_month < ?2", id, month, 1,
                   "alert fire");
}
