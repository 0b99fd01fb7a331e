/* alerts.c: spending alerts checked after each commit (see alerts.h). */
#include "billing/alerts.h"
#include "billing/spendword.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"
#include "core/money.h"
#include "core/service.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MEMO_SLOTS 4096
#define ALERTS_RECHECK_MS 10000 /* an account without due alerts is asked again after this much event time */
#define BATCH_ACCOUNTS 64       /* distinct accounts checked per batch; the rest wait for their next event */

struct memo {
    int64_t account_id, month, recheck_ms;
    uint64_t gen; /* the alerts' generation it was made in (mg_alerts_changed) */
};

struct mg_alerts {
    struct mg_meter *_Atomic meter;
    _Atomic uint64_t gen;
    mg_alert_mail_fn mail;
    void *mail_arg;
    struct memo memo[MEMO_SLOTS]; /* writer thread only */
};

struct mg_alerts *mg_alerts_new(mg_alert_mail_fn mail, void *mail_arg)
{
    struct mg_alerts *a = mg_calloc(1, sizeof(*a));
    a->mail = mail;
    a->mail_arg = mail_arg;
    return a;
}

void mg_alerts_attach(struct mg_alerts *a, struct mg_meter *m) { atomic_store(&a->meter, m); }

void mg_alerts_changed(struct mg_alerts *a) { atomic_fetch_add(&a->gen, 1); }

void mg_alerts_free(struct mg_alerts *a) { free(a); }

void mg_alert_text(const struct mg_alert_due *d, int64_t spent, char *out, size_t cap)
{
    char spent_s[32], cap_s[32];
    mg_money_format(spent, spent_s, sizeof(spent_s));
    mg_money_format(d->cap_micros, cap_s, sizeof(cap_s));
    if (strcmp(d->a.service, "all") == 0)
        snprintf(out, cap, "Your spending this month reached %d %% of your monthly cap: %s of %s.",
                 d->a.threshold_percent, spent_s, cap_s);
    else
        snprintf(out, cap, "Your spending on %s this month reached %d %% of your monthly cap: %s of %s.",
                 d->a.service, d->a.threshold_percent, spent_s, cap_s);
}

struct due_list {
    struct mg_alert_due d[MG_ALERTS_PER_ACCOUNT];
    size_t n;
};

static int collect(void *arg, const struct mg_alert_due *d)
{
    struct due_list *l = arg;
    if (l->n < MG_ARRAY_SIZE(l->d))
        l->d[l->n++] = *d;
    return MG_OK;
}

static int64_t spent_on(struct mg_meter *m, const struct mg_alert_due *d)
{
    enum mg_service svc;
    if (strcmp(d->a.service, "all") == 0)
        return mg_meter_spend(m, d->a.account_id);
    return mg_service_parse(d->a.service, &svc) == MG_OK ? mg_meter_service_spend(m, d->a.account_id, (int)svc) : 0;
}

static void fire(struct mg_alerts *a, struct mg_store *s, const struct mg_alert_due *d, int64_t spent, int64_t month)
{
    char text[300];
    if (s->ops->alert_fire(s, d->a.id, month) != MG_OK)
        return; /* fired already (another writer, or this one before) */
    mg_alert_text(d, spent, text, sizeof(text));
    mg_log(MG_LOG_INFO, "spending alert %lld of account %lld fired (%s at %d %%)", (long long)d->a.id,
           (long long)d->a.account_id, d->a.service, d->a.threshold_percent);
    if (d->a.channels & MG_ALERT_IN_APP) {
        struct mg_notification n;
        memset(&n, 0, sizeof(n));
        n.account_id = d->a.account_id;
        n.ts_ms = mg_now_ms();
        mg_strlcpy(n.kind, "spend_alert", sizeof(n.kind));
        mg_strlcpy(n.text, text, sizeof(n.text));
        if (s->ops->notification_insert(s, &n) != MG_OK)
            mg_log(MG_LOG_WARN, "spending alert %lld: the in-app notification could not be stored", (long long)d->a.id);
    }
    if ((d->a.channels & MG_ALERT_EMAIL) && a->mail != NULL)
        a->mail(a->mail_arg, d, text);
}

/* One account's due alerts against its spend now. */
static void check_account(struct mg_alerts *a, struct mg_meter *m, struct mg_store *s, int64_t account_id,
                          int64_t ts_ms, int64_t month)
{
    struct memo *mo = &a->memo[(uint64_t)account_id * 2654435761u % MEMO_SLOTS];
    struct due_list l;
    uint64_t gen = atomic_load(&a->gen);
    if (mo->account_id == account_id && mo->month == month && mo->gen == gen && ts_ms < mo->recheck_ms)
        return;
    l.n = 0;
    if (s->ops->alerts_due(s, account_id, month, collect, &l) != MG_OK)
        return; /* logged by the store; the next batch asks again */
    if (l.n == 0) {
        *mo = (struct memo){account_id, month, ts_ms + ALERTS_RECHECK_MS, gen};
        return;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct mg_alert_due *d = &l.d[i];
        int64_t spent = spent_on(m, d);
        if (d->cap_micros > 0 && spent * 100 >= d->cap_micros * (int64_t)d->a.threshold_percent)
            fire(a, s, d, spent, month);
    }
}

void mg_alerts_committed(void *arg, struct mg_store *s, const struct mg_usage_event *ev, size_t n)
{
    struct mg_alerts *a = arg;
    struct mg_meter *m = atomic_load(&a->meter);
    int64_t seen[BATCH_ACCOUNTS], month = mg_month_of(mg_now_ms());
    size_t nseen = 0;
    if (m == NULL)
        return;
    for (size_t i = 0; i < n && nseen < BATCH_ACCOUNTS; i++) {
        size_t j = 0;
        if (ev[i].checkpoint || ev[i].cost_micros <= 0)
            continue;
        while (j < nseen && seen[j] != ev[i].account_id)
            j++;
        if (j < nseen)
            continue;
        seen[nseen++] = ev[i].account_id;
        check_account(a, m, s, ev[i].account_id, ev[i].ts_ms, month);
    }
}
