/*
 * meter.h: durable usage events (BL-2).  A loop thread records an event with
 * one append to a journal file (which survives kill -9: the bytes are in the
 * kernel once write(2) returns) and a push onto an in-memory queue; a writer
 * thread commits the queue to the store in groups.  On open, the journal is
 * replayed into the store (idempotent by request id) before anything else, so
 * an event is never lost and never counted twice.
 */
#ifndef MG_BILLING_METER_H
#define MG_BILLING_METER_H

#include "store/store.h"

struct mg_meter;

/* Opens the store, replays `journal_path`, starts the writer thread.  NULL
 * with a reason in err on failure. */
struct mg_meter *mg_meter_open(const char *store_spec, const char *journal_path, char *err, size_t errlen);
/* Records one event; any thread; never blocks on the database.  MG_OK, or
 * MG_ERR if the journal write failed (logged; the event is still queued). */
int mg_meter_record(struct mg_meter *m, const struct mg_usage_event *ev);
/* Month-to-date spend (UTC calendar month of mg_now_ms()) of an account as
 * this node knows it: the store's sum at open plus what was recorded since. */
int64_t mg_meter_spend(struct mg_meter *m, int64_t account_id);
/* Commits everything queued, stops the writer, closes.  NULL is fine. */
void mg_meter_close(struct mg_meter *m);

#endif
