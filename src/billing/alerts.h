/*
 * alerts.h: BL-4's spending alerts, checked by the usage writer after each
 * group commit (mg_meter_opts.committed), never on the request path.
 *
 * For each account with events in the batch, the alerts not fired this
 * month (store alerts_due) are compared with the month's spend this node's
 * meter holds: in total, or of one service family.  An alert whose
 * threshold is reached fires through the store's conditional update
 * (alert_fire), so it fires once per threshold per month whatever the
 * concurrency, even with several writers; then the account gets an in-app
 * notification and/or a mail (through the caller's mail function).  An
 * account without due alerts is remembered for ALERTS_RECHECK_MS of event
 * time (a direct-mapped memo), so a busy account costs no query per batch;
 * an alert added in this process (mg_alerts_changed) forgets the memo.
 */
#ifndef MG_BILLING_ALERTS_H
#define MG_BILLING_ALERTS_H

#include "billing/meter.h"
#include "core/platform_records.h"

struct mg_alerts;

/* Sends the alert's mail: to d->email, the sentence `text`.  Any thread (the writer's). */
typedef void (*mg_alert_mail_fn)(void *arg, const struct mg_alert_due *d, const char *text);

struct mg_alerts *mg_alerts_new(mg_alert_mail_fn mail, void *mail_arg);
/* The meter whose spend the checks read; until set, batches are not checked. */
void mg_alerts_attach(struct mg_alerts *a, struct mg_meter *m);
/* An alert was added or removed (any thread): the next batch reads the alerts again. */
void mg_alerts_changed(struct mg_alerts *a);
/* The meter's committed callback (arg = the mg_alerts). */
void mg_alerts_committed(void *arg, struct mg_store *s, const struct mg_usage_event *ev, size_t n);
/* After the meter is closed. */
void mg_alerts_free(struct mg_alerts *a);

/* The sentence an alert says ("Your spending on chat reached 80 % of your monthly cap: 4.00 of 5.00."),
 * also the in-app notification's text.  Pure. */
void mg_alert_text(const struct mg_alert_due *d, int64_t spent, char *out, size_t cap);

#endif
