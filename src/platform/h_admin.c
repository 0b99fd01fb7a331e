/*
 * h_admin.c: what an admin does to accounts and to the access and recovery
 * queues (PLATFORM-API.md "Administration"; AC-1, AC-3, AC-9).  Every action
 * is audit-logged with the admin as the actor.
 */
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <stdio.h>
#include <string.h>

#define RECENT_EVENTS 20
#define RECOVERY_LINK_MINUTES (24 * 60)

/* The account of the path's {id}, or a 404 answer. */
static int path_account(struct pf_call *c, struct mg_account *a)
{
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->account_get(c->store, id, a) : MG_DECLINED;
    if (rc == MG_DECLINED)
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such account.");
    else if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc;
}

static json_t *admin_account_json(const struct pf_call *c, const struct mg_account *a)
{
    json_t *o = pf_account_json(a);
    json_object_set_new(o, "locked", json_boolean(a->locked_until_ms > c->now));
    return o;
}

/* ---- accounts ------------------------------------------------------------------------ */

struct search {
    const struct pf_call *c;
    json_t *arr;
};

static int add_account(void *arg, const struct mg_account *a)
{
    struct search *s = arg;
    json_array_append_new(s->arr, admin_account_json(s->c, a));
    return MG_OK;
}

void pf_h_admin_accounts(struct pf_call *c)
{
    char q[256], cur[32], lim[16];
    int64_t after = 0, limit = 50;
    pf_query(c, "q", q, sizeof(q));
    pf_query(c, "cursor", cur, sizeof(cur));
    pf_query(c, "limit", lim, sizeof(lim));
    if ((cur[0] && (mg_parse_i64(cur, strlen(cur), &after) != MG_OK || after < 0)) ||
        (lim[0] && (mg_parse_i64(lim, strlen(lim), &limit) != MG_OK || limit < 1 || limit > 200))) {
        pf_fail(c, MG_E_FIELD_INVALID, NULL, "cursor is the next_cursor of the previous page; limit is 1 to 200.");
        return;
    }
    struct search s = {c, json_array()};
    int rc = c->store->ops->accounts_search(c->store, q, after, (size_t)limit, add_account, &s);
    if (rc != MG_OK) {
        json_decref(s.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    size_t n = json_array_size(s.arr);
    if (n == (size_t)limit) {
        char next[32];
        snprintf(next, sizeof(next), "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(s.arr, n - 1), "id")));
        json_object_set_new(o, "next_cursor", json_string(next));
    } else {
        json_object_set_new(o, "next_cursor", json_null());
    }
    json_object_set_new(o, "accounts", s.arr);
    pf_reply(c, 200, o);
}

struct count {
    const struct pf_call *c;
    int n;
};

static int count_session(void *arg, const struct mg_session *se)
{
    struct count *k = arg;
    k->n += pf_session_live(k->c, se);
    return MG_OK;
}

static int add_event(void *arg, const struct mg_audit_event *e)
{
    json_array_append_new(arg, pf_audit_json(e));
    return MG_OK;
}

/* The account's newest events (the context an admin checks a recovery request against). */
static json_t *recent_activity(struct pf_call *c, int64_t account_id)
{
    json_t *arr = json_array();
    if (account_id > 0)
        c->store->ops->audit_list(c->store, account_id, NULL, 0, RECENT_EVENTS, add_event, arr);
    return arr;
}

void pf_h_admin_account(struct pf_call *c)
{
    struct mg_account a;
    struct count sessions = {c, 0};
    if (path_account(c, &a) != MG_OK)
        return;
    c->store->ops->sessions_list(c->store, a.id, count_session, &sessions);
    json_t *o = admin_account_json(c, &a);
    pf_set_time(o, "locked_until", a.locked_until_ms > c->now ? a.locked_until_ms : 0);
    json_object_set_new(o, "failed_logins", json_integer(a.failed_logins));
    json_object_set_new(o, "sessions", json_integer(sessions.n));
    json_object_set_new(o, "recent_activity", recent_activity(c, a.id));
    pf_reply(c, 200, o);
}

enum account_action { SUSPEND, UNSUSPEND, UNLOCK, END_SESSIONS };

/* One admin action on the account of the path: store, key cache, audit. */
static void account_action(struct pf_call *c, enum account_action act)
{
    struct mg_account a;
    size_t n = 0;
    int rc;
    const char *event;
    if (path_account(c, &a) != MG_OK)
        return;
    if (act == UNSUSPEND) {
        rc = c->store->ops->account_set_suspended(c->store, a.id, 0);
        event = "account.unsuspended";
    } else if (act == SUSPEND) {
        if (a.id == c->acct.id) {
            pf_fail(c, MG_E_CONFLICT, NULL, "You cannot suspend your own account.");
            return;
        }
        /* its keys stop at the gateway on the next request (the key cache follows the account's seq) */
        rc = c->store->ops->account_set_suspended(c->store, a.id, 1);
        if (rc == MG_OK)
            rc = c->store->ops->sessions_delete_account(c->store, a.id, 0, &n);
        event = "account.suspended";
    } else if (act == UNLOCK) {
        rc = c->store->ops->account_unlock(c->store, a.id);
        event = "account.unlocked";
    } else {
        rc = c->store->ops->sessions_delete_account(c->store, a.id, a.id == c->acct.id ? c->sess.id : 0, &n);
        event = "account.sessions_ended";
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    if (c->pf->keys != NULL && (act == SUSPEND || act == UNSUSPEND) && mg_keycache_sync(c->pf->keys, c->store) != MG_OK)
        mg_log(MG_LOG_WARN, "admin: the key cache will see the (un)suspension of account %lld at its next poll",
               (long long)a.id);
    char detail[96];
    if (c->acct.id == 0)
        snprintf(detail, sizeof(detail), "by the operator (maxgated admin); sessions ended: %zu", n);
    else
        snprintf(detail, sizeof(detail), "by admin %lld; sessions ended: %zu", (long long)c->acct.id, n);
    pf_audit(c, event, a.id, detail);
    pf_no_content(c);
}

void pf_h_admin_suspend(struct pf_call *c) { account_action(c, SUSPEND); }
void pf_h_admin_unsuspend(struct pf_call *c) { account_action(c, UNSUSPEND); }
void pf_h_admin_unlock(struct pf_call *c) { account_action(c, UNLOCK); }
void pf_h_admin_end_sessions(struct pf_call *c) { account_action(c, END_SESSIONS); }

void pf_h_admin_account_patch(struct pf_call *c)
{
    struct mg_account a;
    const char *plan = pf_has(c, "plan") ? pf_str(c, "plan") : NULL, *role = pf_has(c, "role") ? pf_str(c, "role") : NULL;
    if (plan && strcmp(plan, "free") != 0 && strcmp(plan, "professional") != 0 && strcmp(plan, "enterprise") != 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "plan", "plan is free, professional or enterprise.");
        return;
    }
    if (role && strcmp(role, "user") != 0 && strcmp(role, "admin") != 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "role", "role is user or admin.");
        return;
    }
    if (path_account(c, &a) != MG_OK)
        return;
    if (role && a.id == c->acct.id && strcmp(role, "user") == 0) {
        pf_fail(c, MG_E_CONFLICT, "role", "You cannot remove your own admin role; ask another admin.");
        return;
    }
    const char *mode = pf_has(c, "billing_mode") ? pf_str(c, "billing_mode") : NULL;
    if (mode && strcmp(mode, "prepaid") != 0 && strcmp(mode, "invoice") != 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "billing_mode", "billing_mode is prepaid or invoice.");
        return;
    }
    if (mode && strcmp(mode, "invoice") == 0 && strcmp(plan ? plan : a.plan, "enterprise") != 0) {
        pf_fail(c, MG_E_CONFLICT, "billing_mode", "Invoice billing (net-30) is for enterprise accounts: set the "
                                                  "plan to enterprise first (or in the same request).");
        return;
    }
    /* the price ratio and the wallet's balance, as their own routes set them (step-up, audited) */
    json_t *ratio = json_object_get(c->body, "ratio_ppm"), *credit = json_object_get(c->body, "credit_micros");
    if ((ratio != NULL || (credit != NULL && !json_is_null(credit))) && pf_step_up(c) != MG_OK)
        return;
    if (ratio != NULL) {
        char scope[32];
        snprintf(scope, sizeof(scope), "account:%lld", (long long)a.id);
        if (pf_ratio_store(c, scope, json_is_integer(ratio) ? (int64_t)json_integer_value(ratio) : -1, a.id) != MG_OK)
            return;
    }
    int64_t balance;
    if (credit != NULL && json_is_integer(credit) &&
        pf_wallet_set(c, a.id, (int64_t)json_integer_value(credit), &balance) != MG_OK)
        return;
    int is_admin = role ? strcmp(role, "admin") == 0 : -1;
    int rc = c->store->ops->account_set_plan_role(c->store, a.id, plan, is_admin);
    if (rc == MG_OK && mode)
        rc = c->store->ops->account_set_invoice_billing(c->store, a.id, strcmp(mode, "invoice") == 0);
    int wallet = pf_has(c, "wallet_only") ? json_is_true(json_object_get(c->body, "wallet_only")) : -1;
    if (rc == MG_OK && wallet >= 0)
        rc = c->store->ops->account_set_wallet_only(c->store, a.id, wallet);
    /* the plan (its price ratio) and the wallet mode are in the account's key records */
    if (rc == MG_OK && (plan || wallet >= 0) && c->pf->keys != NULL && mg_keycache_sync(c->pf->keys, c->store) != MG_OK)
        mg_log(MG_LOG_WARN, "admin: the key cache missed account %lld's change (the poller will see it)",
               (long long)a.id);
    if (rc == MG_OK)
        rc = c->store->ops->account_get(c->store, a.id, &a);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    char detail[160];
    snprintf(detail, sizeof(detail), "plan %s, role %s, billing %s%s", a.plan, a.is_admin ? "admin" : "user",
             a.invoice_billing ? "invoice" : "prepaid", a.wallet_only ? ", wallet only" : "");
    pf_audit(c, "account.updated", a.id, detail);
    json_t *o = admin_account_json(c, &a);
    if (ratio != NULL) /* the account's own ratio as set (null: removed, its plan's or the operator's applies) */
        json_object_set(o, "ratio_ppm", json_is_integer(ratio) ? ratio : json_null());
    pf_reply(c, 200, o);
}

/* ---- access and recovery requests ------------------------------------------------------- */

struct reqs {
    struct pf_call *c;
    json_t *arr;
};

static int add_request(void *arg, const struct mg_request *r)
{
    struct reqs *l = arg;
    static const char *const st[] = {"pending", "approved", "denied"};
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "email", json_string(r->email));
    json_object_set_new(o, r->kind == MG_REQ_ACCESS ? "note" : "description", json_string(r->text));
    json_object_set_new(o, "status", json_string(st[r->status <= MG_REQ_DENIED ? r->status : 0]));
    pf_set_time(o, "created_at", r->created_ms);
    pf_set_time(o, "decided_at", r->decided_ms);
    if (r->kind == MG_REQ_RECOVERY) {
        json_object_set_new(o, "account_id", r->account_id ? json_integer(r->account_id) : json_null());
        json_object_set_new(o, "recent_activity", recent_activity(l->c, r->account_id));
    }
    json_array_append_new(l->arr, o);
    return MG_OK;
}

static void list_requests(struct pf_call *c, enum mg_request_kind kind)
{
    char st[16];
    int status = -1;
    pf_query(c, "status", st, sizeof(st));
    if (strcmp(st, "pending") == 0)
        status = MG_REQ_PENDING;
    else if (strcmp(st, "approved") == 0)
        status = MG_REQ_APPROVED;
    else if (strcmp(st, "denied") == 0)
        status = MG_REQ_DENIED;
    else if (st[0]) {
        pf_fail(c, MG_E_FIELD_INVALID, "status", "status is pending, approved or denied.");
        return;
    }
    struct reqs l = {c, json_array()};
    int rc = c->store->ops->requests_list(c->store, kind, status, 200, add_request, &l);
    if (rc != MG_OK) {
        json_decref(l.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "requests", l.arr);
    pf_reply(c, 200, o);
}

void pf_h_admin_access_list(struct pf_call *c) { list_requests(c, MG_REQ_ACCESS); }
void pf_h_admin_recovery_list(struct pf_call *c) { list_requests(c, MG_REQ_RECOVERY); }

/* The pending request of the path, or an answer (404, or 409 when already decided). */
static int path_request(struct pf_call *c, enum mg_request_kind kind, struct mg_request *r)
{
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->request_get(c->store, id, r) : MG_DECLINED;
    if (rc == MG_OK && r->kind != kind)
        rc = MG_DECLINED;
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such request.");
        return MG_DECLINED;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return rc;
    }
    if (r->status != MG_REQ_PENDING) {
        pf_fail(c, MG_E_CONFLICT, NULL, "This request was already decided.");
        return MG_DECLINED;
    }
    return MG_OK;
}

static int decide(struct pf_call *c, const struct mg_request *r, enum mg_request_status st)
{
    int rc = c->store->ops->request_decide(c->store, r->id, st, c->acct.id, c->now);
    if (rc == MG_DECLINED)
        pf_fail(c, MG_E_CONFLICT, NULL, "This request was already decided.");
    else if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc;
}

static void access_decide(struct pf_call *c, int approve)
{
    struct mg_request r;
    if (path_request(c, MG_REQ_ACCESS, &r) != MG_OK || decide(c, &r, approve ? MG_REQ_APPROVED : MG_REQ_DENIED) != MG_OK)
        return;
    if (!approve) {
        pf_audit(c, "access.denied", 0, r.email);
        pf_mail(c, MG_MAIL_ACCESS_DENIED, r.email, NULL, 0);
        pf_no_content(c);
        return;
    }
    struct mg_account a;
    memset(&a, 0, sizeof(a));
    mg_strlcpy(a.email, r.email, sizeof(a.email));
    mg_strlcpy(a.plan, "free", sizeof(a.plan));
    a.status = MG_ACCT_PENDING; /* active once the password is set */
    a.created_ms = c->now;
    int rc = c->store->ops->account_insert(c->store, &a);
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_CONFLICT, NULL, "An account with this email exists already.");
        return;
    }
    if (rc == MG_OK)
        rc = pf_link_send(c, MG_TOKEN_SET_PASSWORD, a.id, a.email, MG_MAIL_SET_PASSWORD, 72 * 60);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    pf_audit(c, "access.approved", a.id, NULL);
    pf_no_content(c);
}

static void recovery_decide(struct pf_call *c, int approve)
{
    struct mg_request r;
    struct mg_account a;
    if (path_request(c, MG_REQ_RECOVERY, &r) != MG_OK)
        return;
    if (approve && (r.account_id == 0 || c->store->ops->account_get(c->store, r.account_id, &a) != MG_OK)) {
        pf_fail(c, MG_E_CONFLICT, NULL, "No account has this email: deny the request instead.");
        return;
    }
    if (decide(c, &r, approve ? MG_REQ_APPROVED : MG_REQ_DENIED) != MG_OK)
        return;
    if (!approve) {
        pf_audit(c, "recovery.denied", r.account_id, NULL);
        pf_mail(c, MG_MAIL_RECOVERY_DENIED, r.email, NULL, 0);
        pf_no_content(c);
        return;
    }
    /* AC-9: the user lost the second factor too; every one goes, and the reset link arrives */
    int rc = c->store->ops->mfa_clear(c->store, a.id);
    if (rc == MG_OK)
        rc = pf_link_send(c, MG_TOKEN_RESET, a.id, a.email, MG_MAIL_RECOVERY_APPROVED, RECOVERY_LINK_MINUTES);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    pf_audit(c, "recovery.approved", a.id, "second factors cleared");
    pf_notify(c, a.id, "security", "An administrator approved your account recovery request.");
    pf_no_content(c);
}

void pf_h_admin_access_approve(struct pf_call *c) { access_decide(c, 1); }
void pf_h_admin_access_deny(struct pf_call *c) { access_decide(c, 0); }
void pf_h_admin_recovery_approve(struct pf_call *c) { recovery_decide(c, 1); }
void pf_h_admin_recovery_deny(struct pf_call *c) { recovery_decide(c, 0); }
