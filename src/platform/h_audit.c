/*
 * h_audit.c: what an account and an admin can read about security (AC-10):
 * the audit log and in-app notifications; and the recovery request (AC-9)
 * a user files when both password and second factor are lost.
 */
#include "core/mg.h"
#include "platform/pf.h"

#include <stdio.h>
#include <string.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

json_t *pf_audit_json(const struct mg_audit_event *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(e->id));
    pf_set_time(o, "time", e->ts_ms);
    json_object_set_new(o, "type", json_string(e->type));
    json_object_set_new(o, "account_id", e->account_id ? json_integer(e->account_id) : json_null());
    json_object_set_new(o, "actor_id", e->actor_id ? json_integer(e->actor_id) : json_null());
    json_object_set_new(o, "ip", json_string(e->ip));
    json_object_set_new(o, "detail", json_string(e->detail));
    return o;
}

static int add_event(void *arg, const struct mg_audit_event *e)
{
    json_array_append_new(arg, pf_audit_json(e));
    return MG_OK;
}

/* Lists events (account 0 = all) newest first, one page from ?cursor= with ?limit=. */
static void list_events(struct pf_call *c, int64_t account_id, const char *type)
{
    char cur[32], lim[16];
    int64_t before = 0, limit = PAGE_DEFAULT;
    pf_query(c, "cursor", cur, sizeof(cur));
    pf_query(c, "limit", lim, sizeof(lim));
    if ((cur[0] && (mg_parse_i64(cur, strlen(cur), &before) != MG_OK || before <= 0)) ||
        (lim[0] && (mg_parse_i64(lim, strlen(lim), &limit) != MG_OK || limit < 1 || limit > PAGE_MAX))) {
        pf_fail(c, MG_E_FIELD_INVALID, cur[0] && before <= 0 ? "cursor" : "limit",
                "cursor is the next_cursor of the previous page; limit is 1 to 200.");
        return;
    }
    json_t *arr = json_array();
    int rc = c->store->ops->audit_list(c->store, account_id, type, before, (size_t)limit, add_event, arr);
    if (rc != MG_OK) {
        json_decref(arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    size_t n = json_array_size(arr);
    char next[32];
    if (n == (size_t)limit) {
        snprintf(next, sizeof(next), "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(arr, n - 1), "id")));
        json_object_set_new(o, "next_cursor", json_string(next));
    } else {
        json_object_set_new(o, "next_cursor", json_null());
    }
    json_object_set_new(o, "events", arr);
    pf_reply(c, 200, o);
}

void pf_h_me_audit(struct pf_call *c)
{
    list_events(c, c->acct.id, NULL);
}

void pf_h_admin_audit(struct pf_call *c)
{
    char acc[32], type[48];
    int64_t id = 0;
    pf_query(c, "account", acc, sizeof(acc));
    pf_query(c, "type", type, sizeof(type));
    if (acc[0] && (mg_parse_i64(acc, strlen(acc), &id) != MG_OK || id <= 0)) {
        pf_fail(c, MG_E_FIELD_INVALID, "account", "account is an account id.");
        return;
    }
    list_events(c, id, type[0] ? type : NULL);
}

/* ---- notifications --------------------------------------------------------------------- */

static int add_note(void *arg, const struct mg_notification *n)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(n->id));
    pf_set_time(o, "time", n->ts_ms);
    json_object_set_new(o, "kind", json_string(n->kind));
    json_object_set_new(o, "text", json_string(n->text));
    json_object_set_new(o, "read", json_boolean(n->read));
    json_array_append_new(arg, o);
    return MG_OK;
}

void pf_h_notifications(struct pf_call *c)
{
    json_t *arr = json_array();
    int unread = 0;
    int rc = c->store->ops->notifications_list(c->store, c->acct.id, PAGE_MAX, add_note, arr, &unread);
    if (rc != MG_OK) {
        json_decref(arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "notifications", arr);
    json_object_set_new(o, "unread", json_integer(unread));
    pf_reply(c, 200, o);
}

void pf_h_notification_read(struct pf_call *c)
{
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->notification_read(c->store, c->acct.id, id) : MG_DECLINED;
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such notification.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    pf_no_content(c);
}

/* ---- POST /recovery-requests ------------------------------------------------------------ */

void pf_h_recovery_request(struct pf_call *c)
{
    const char *email = pf_str(c, "email");
    struct mg_account a;
    struct mg_request r;
    if (pf_ip_limit(c, "recovery", 10) != MG_OK)
        return;
    int rc = c->store->ops->account_by_email(c->store, email, &a);
    if (rc != MG_OK && rc != MG_DECLINED) {
        pf_store_failed(c, rc);
        return;
    }
    memset(&r, 0, sizeof(r));
    r.kind = MG_REQ_RECOVERY;
    mg_strlcpy(r.email, email, sizeof(r.email));
    r.account_id = rc == MG_OK ? a.id : 0;
    mg_strlcpy(r.text, pf_str(c, "description"), sizeof(r.text));
    r.created_ms = c->now;
    rc = c->store->ops->request_insert(c->store, &r);
    if (rc == MG_OK) {
        pf_audit(c, "recovery.requested", r.account_id, NULL);
        if (r.account_id > 0)
            pf_mail(c, MG_MAIL_RECOVERY_RECEIVED, email, NULL, 0);
    }
    if (rc != MG_OK && rc != MG_DECLINED) {
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("received"));
    pf_reply(c, 202, o);
}
