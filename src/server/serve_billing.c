/*
 * serve_billing.c: the server's billing thread (docs/architecture.md
 * "Invoices").  One thread of its own, never a loop thread, with its own
 * store handle; every [billing] check_interval_ms (real time) it looks at the
 * injectable clock (mg_now_ms) and
 *   - closes every month after the newest invoiced (at the start, after
 *     the one before the oldest usage: invoice history back to the first
 *     usage) once the clock is MG_CLOSE_GRACE_MS past its end, at most
 *     CLOSES_PER_TICK a check (billing/close.h: idempotent, so a restart or
 *     a second node closing the same month issues nothing twice);
 *   - sends the one reminder of every invoice-billed invoice whose due date
 *     has passed unpaid (the reminder is marked sent before the mail is
 *     queued: at most one per invoice, even across nodes).
 */
#include "billing/close.h"
#include "billing/invoice_pdf.h"
#include "billing/payments.h"
#include "billing/period.h"
#include "billing/spendword.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"
#include "server/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REMINDERS_PER_TICK 100 /* overdue invoices handled per check; the rest wait for the next one */
#define CLOSES_PER_TICK 12     /* months closed per check: a year of history at once, the rest at the next */

struct mg_billing_thread {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int64_t interval_ms;
    char spec[MG_PATH_MAX + 16];
    struct mg_billing_config cfg;
    struct mg_mailer *mailer;
    int started;            /* closed_through is known (from the store, then from the closes) */
    int64_t closed_through; /* the newest month closed */
};

void mg_server_billing_config(const struct mg_config *cfg, struct mg_billing_config *out)
{
    memset(out, 0, sizeof(*out));
    mg_strlcpy(out->issuer_name, cfg->billing_issuer_name, sizeof(out->issuer_name));
    mg_strlcpy(out->issuer_address, cfg->billing_issuer_address, sizeof(out->issuer_address));
    mg_strlcpy(out->issuer_tax_id, cfg->billing_issuer_tax_id, sizeof(out->issuer_tax_id));
    mg_strlcpy(out->currency, cfg->billing_currency[0] ? cfg->billing_currency : "USD", sizeof(out->currency));
    mg_strlcpy(out->bank_details, cfg->billing_bank_details, sizeof(out->bank_details));
}

struct due_list {
    struct mg_invoice_record v[REMINDERS_PER_TICK];
    size_t n;
};

static int add_due(void *arg, const struct mg_invoice_record *v)
{
    struct due_list *d = arg;
    if (d->n >= REMINDERS_PER_TICK)
        return MG_DECLINED;
    d->v[d->n++] = *v;
    return MG_OK;
}

static void remind(struct mg_billing_thread *t, struct mg_store *s, int64_t now)
{
    static struct due_list d; /* only this thread uses it */
    d.n = 0;
    if (s->ops->invoices_due(s, now, REMINDERS_PER_TICK, add_due, &d) != MG_OK)
        return;
    for (size_t i = 0; i < d.n; i++) {
        const struct mg_invoice_record *v = &d.v[i];
        struct mg_account a;
        char amount[64], money[40], due[16], detail[128];
        if (s->ops->invoice_set_reminded(s, v->id, now) != MG_OK) /* another node sent it, or a store error */
            continue;
        if (s->ops->account_get(s, v->account_id, &a) != MG_OK)
            continue;
        mg_invoice_money(mg_invoice_round_cents(mg_invoice_due_micros(v) - v->paid_micros), money, sizeof(money));
        snprintf(amount, sizeof(amount), "%s %s", v->currency, money);
        struct mg_civil dc = mg_civil_of(v->due_ms);
        snprintf(due, sizeof(due), "%04lld-%02d-%02d", (long long)dc.year, dc.month, dc.day);
        struct mg_mail_vars mv = {.invoice = v->number, .amount = amount, .due = due};
        if (t->mailer != NULL && mg_mailer_send(t->mailer, MG_MAIL_INVOICE_OVERDUE, a.email, &mv) != MG_OK)
            mg_log(MG_LOG_WARN, "billing: the overdue reminder of invoice %s could not be queued", v->number);
        snprintf(detail, sizeof(detail), "invoice %s overdue since %s: reminder sent", v->number, due);
        mg_server_audit(s, "invoice.reminder", v->account_id, detail);
    }
}

/* The month before the first this thread closes: the newest month
 * invoiced, or the one before the oldest usage (history back to the first
 * usage: months with usage that no invoice covers yet, such as those before
 * invoices existed or missed while every node was down). */
static int closed_before(struct mg_store *s, int64_t *month)
{
    int64_t first = -1, last = -1;
    if (s->ops->billing_months(s, &first, &last) != MG_OK || (first < 0 && last < 0))
        return MG_DECLINED; /* no usage yet (or the store failed): read again at the next check */
    *month = first < 0 ? last : MG_MAX(last, first - 1);
    return MG_OK;
}

static void tick(struct mg_billing_thread *t, struct mg_store *s)
{
    int64_t now = mg_now_ms(), prev = mg_month_of(now) - 1;
    if (!t->started && closed_before(s, &t->closed_through) == MG_OK)
        t->started = 1;
    for (int n = 0; t->started && n < CLOSES_PER_TICK && t->closed_through < prev; n++) {
        int64_t month = t->closed_through + 1;
        struct mg_period p = mg_period_of_month(month);
        struct mg_close_result r;
        char period[16];
        if (now < p.end_ms + MG_CLOSE_GRACE_MS)
            break;
        mg_period_format(month, period, sizeof(period));
        if (mg_close_month(s, month, now, t->cfg.currency, NULL, NULL, &r) != MG_OK)
            break;
        if (r.issued > 0 || r.failed > 0)
            mg_log(MG_LOG_INFO, "billing: closed %s: %zu invoices issued, %zu existed, %zu failed", period, r.issued,
                   r.existing, r.failed);
        if (r.failed > 0) /* the next check tries the failed accounts again */
            break;
        t->closed_through = month;
    }
    remind(t, s, now);
}

static void *run(void *arg)
{
    struct mg_billing_thread *t = arg;
    char err[512];
    struct mg_store *s = mg_store_open(t->spec, err, sizeof(err));
    if (s == NULL)
        mg_log(MG_LOG_ERROR, "billing: cannot open the database (%s): no period close nor reminders", err);
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        pthread_mutex_unlock(&t->mu);
        if (s != NULL)
            tick(t, s);
        pthread_mutex_lock(&t->mu);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (t->interval_ms % 1000) * 1000000;
        ts.tv_sec += (time_t)(t->interval_ms / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&t->mu);
    if (s != NULL)
        s->ops->close(s);
    return NULL;
}

struct mg_billing_thread *mg_billing_start(const struct mg_config *cfg, const char *spec, struct mg_mailer *mailer)
{
    struct mg_billing_thread *t = mg_calloc(1, sizeof(*t));
    pthread_condattr_t ca;
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    t->interval_ms = cfg->billing_check_ms > 0 ? cfg->billing_check_ms : 60000;
    t->mailer = mailer;
    mg_strlcpy(t->spec, spec, sizeof(t->spec));
    mg_server_billing_config(cfg, &t->cfg);
    if (pthread_create(&t->tid, NULL, run, t) != 0) {
        mg_log(MG_LOG_ERROR, "billing: cannot start the billing thread: no period close nor reminders");
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    return t;
}

void mg_billing_stop(struct mg_billing_thread *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->tid, NULL);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}
