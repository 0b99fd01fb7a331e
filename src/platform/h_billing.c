/*
 * h_billing.c: the account's monthly spending cap and its spending alerts
 * (PLATFORM-API.md "Billing"; BL-3, BL-4, AC-11).  Caps and alerts are in
 * the professional and enterprise plans; raising or removing a cap needs a
 * fresh password check, lowering one does not.  A change of the cap reaches
 * this node's key cache before the answer (the gateway holds it per key).
 * Alerts are percentages of the cap, checked by the usage writer
 * (billing/alerts.h).
 */
#include "billing/alerts.h"
#include "billing/meter.h"
#include "billing/period.h"
#include "core/log.h"
#include "core/mg.h"
#include "core/money.h"
#include "core/service.h"
#include "platform/pf.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

int pf_plan_caps(struct pf_call *c, const struct mg_account *a)
{
    if (strcmp(a->plan, "professional") == 0 || strcmp(a->plan, "enterprise") == 0)
        return MG_OK;
    pf_fail(c, MG_E_PLAN_REQUIRED, NULL,
            "Spending caps and alerts are part of the professional plan (and of enterprise); this account is on "
            "the free plan.");
    return MG_DECLINED;
}

static void set_money(json_t *o, const char *name, int64_t micros, int present)
{
    json_object_set_new(o, name, present ? json_integer(micros) : json_null());
}

static json_t *cap_json(struct pf_call *c, const struct mg_account *a)
{
    json_t *o = json_object();
    struct mg_period p = mg_period_of(c->now);
    int64_t spent = c->pf->meter ? mg_meter_spend(c->pf->meter, a->id) : 0;
    char text[32];
    set_money(o, "cap_micros", a->cap_micros, a->cap_micros > 0);
    set_money(o, "spent_micros", spent, c->pf->meter != NULL);
    set_money(o, "remaining_micros", a->cap_micros > spent ? a->cap_micros - spent : 0, a->cap_micros > 0);
    mg_money_format(a->cap_micros, text, sizeof(text));
    json_object_set_new(o, "cap", a->cap_micros > 0 ? json_string(text) : json_null());
    pf_set_time(o, "period_end", p.end_ms);
    return o;
}

static int own_account(struct pf_call *c, struct mg_account *a)
{
    int rc = c->store->ops->account_get(c->store, c->acct.id, a);
    if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc;
}

void pf_h_billing_cap_get(struct pf_call *c)
{
    struct mg_account a;
    if (own_account(c, &a) == MG_OK)
        pf_reply(c, 200, cap_json(c, &a));
}

void pf_h_billing_cap_put(struct pf_call *c)
{
    struct mg_account a;
    char detail[96], was[32], now[32];
    json_t *v = json_object_get(c->body, "cap_micros");
    if (v == NULL) {
        pf_fail(c, MG_E_FIELD_MISSING, "cap_micros", "Send 'cap_micros': micro-units a month, or null for no cap.");
        return;
    }
    int64_t cap = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    if (own_account(c, &a) != MG_OK || pf_plan_caps(c, &a) != MG_OK)
        return;
    int raising = a.cap_micros > 0 && (cap == 0 || cap > a.cap_micros);
    if (raising && pf_step_up(c) != MG_OK)
        return;
    int rc = c->store->ops->account_set_cap(c->store, a.id, cap);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    if (c->pf->keys != NULL && mg_keycache_sync(c->pf->keys, c->store) != MG_OK)
        mg_log(MG_LOG_WARN, "billing: the key cache missed account %lld's new cap (the poller will see it)",
               (long long)a.id);
    mg_money_format(a.cap_micros, was, sizeof(was));
    mg_money_format(cap, now, sizeof(now));
    snprintf(detail, sizeof(detail), "cap %s -> %s", a.cap_micros > 0 ? was : "none", cap > 0 ? now : "none");
    pf_audit(c, "billing.cap_changed", a.id, detail);
    a.cap_micros = cap;
    pf_reply(c, 200, cap_json(c, &a));
}

/* ---- alerts ----------------------------------------------------------------------------------- */

struct alert_list {
    const struct pf_call *c;
    json_t *arr;
};

static json_t *alert_json(const struct pf_call *c, const struct mg_alert *a)
{
    json_t *o = json_object(), *ch = json_array();
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "service", json_string(a->service));
    json_object_set_new(o, "threshold_percent", json_integer(a->threshold_percent));
    if (a->channels & MG_ALERT_EMAIL)
        json_array_append_new(ch, json_string("email"));
    if (a->channels & MG_ALERT_IN_APP)
        json_array_append_new(ch, json_string("in_app"));
    json_object_set_new(o, "channels", ch);
    json_object_set_new(o, "fired_this_period", json_boolean(a->fired_month == mg_period_of(c->now).month));
    pf_set_time(o, "created_at", a->created_ms);
    return o;
}

static int add_alert(void *arg, const struct mg_alert *a)
{
    struct alert_list *l = arg;
    json_array_append_new(l->arr, alert_json(l->c, a));
    return MG_OK;
}

void pf_h_billing_alerts_list(struct pf_call *c)
{
    struct alert_list l = {c, json_array()};
    int rc = c->store->ops->alerts_list(c->store, c->acct.id, add_alert, &l);
    if (rc != MG_OK) {
        json_decref(l.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "alerts", l.arr);
    pf_reply(c, 200, o);
}

/* body.channels into MG_ALERT_* bits; MG_DECLINED with the error answered. */
static int body_channels(struct pf_call *c, unsigned *out)
{
    json_t *arr = json_object_get(c->body, "channels"), *v;
    size_t i;
    *out = 0;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (s != NULL && strcmp(s, "email") == 0)
            *out |= MG_ALERT_EMAIL;
        else if (s != NULL && strcmp(s, "in_app") == 0)
            *out |= MG_ALERT_IN_APP;
        else {
            pf_fail(c, MG_E_FIELD_INVALID, "channels", "Each channel is email or in_app.");
            return MG_DECLINED;
        }
    }
    if (*out == 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "channels", "Give at least one channel: email, in_app or both.");
        return MG_DECLINED;
    }
    return MG_OK;
}

void pf_h_billing_alert_create(struct pf_call *c)
{
    struct mg_account acct;
    struct mg_alert a;
    enum mg_service svc;
    char detail[128];
    memset(&a, 0, sizeof(a));
    a.account_id = c->acct.id;
    a.threshold_percent = (int)pf_int(c, "threshold_percent", 0);
    a.created_ms = c->now;
    mg_strlcpy(a.service, pf_has(c, "service") ? pf_str(c, "service") : "all", sizeof(a.service));
    if (strcmp(a.service, "all") != 0 && (mg_service_parse(a.service, &svc) != MG_OK || svc == MG_SVC_QUOTA)) {
        pf_fail(c, MG_E_FIELD_INVALID, "service", "service is all or one of chat, speech, video, image, music, voice, files.");
        return;
    }
    if (body_channels(c, &a.channels) != MG_OK || own_account(c, &acct) != MG_OK || pf_plan_caps(c, &acct) != MG_OK)
        return;
    if (acct.cap_micros <= 0) {
        pf_fail(c, MG_E_CONFLICT, NULL, "Set a monthly cap first: an alert fires at a percentage of it.");
        return;
    }
    int rc = c->store->ops->alert_insert(c->store, &a);
    if (rc == MG_DECLINED || rc == MG_AGAIN) {
        if (rc == MG_DECLINED)
            snprintf(detail, sizeof(detail), "There is an alert for %s at %d %% already.", a.service,
                     a.threshold_percent);
        else
            snprintf(detail, sizeof(detail), "An account has at most %d alerts; delete one first.",
                     MG_ALERTS_PER_ACCOUNT);
        pf_fail(c, MG_E_CONFLICT, NULL, detail);
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    if (c->pf->alerts != NULL)
        mg_alerts_changed(c->pf->alerts); /* checked from the next commit, even on an account seen just now */
    snprintf(detail, sizeof(detail), "alert %lld: %s at %d %%", (long long)a.id, a.service, a.threshold_percent);
    pf_audit(c, "billing.alert_added", c->acct.id, detail);
    pf_reply(c, 201, alert_json(c, &a));
}

void pf_h_billing_alert_delete(struct pf_call *c)
{
    char detail[64];
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->alert_delete(c->store, c->acct.id, id) : MG_DECLINED;
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such alert.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    snprintf(detail, sizeof(detail), "alert %lld", (long long)id);
    pf_audit(c, "billing.alert_removed", c->acct.id, detail);
    pf_no_content(c);
}
