/* Unit tests: the account platform's store operations on SQLite, part 2:
 * the audit log (paging, filters, retention), access/recovery requests
 * (dedupe, decide only from pending, the pending ceiling) and notifications
 * (ceiling, unread count).  Part 1 is test_store_platform.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"
#include "fixture_platform.h"

/* ---- audit ---- */

static int audit_cb(void *arg, const struct mg_audit_event *e)
{
    struct ids *ids = arg;
    ids->v[ids->n++] = e->id;
    return MG_OK;
}

static void audit_paging_filters_prune(void **state)
{
    struct mg_store *s = *state;
    struct mg_audit_event e;
    struct ids r = {0};
    int64_t id[10];
    for (int i = 0; i < 10; i++) {
        memset(&e, 0, sizeof(e));
        e.ts_ms = T0 + i * HOUR;
        mg_strlcpy(e.type, i % 3 == 0 ? "login.failure" : "login.success", sizeof(e.type));
        e.account_id = i % 2 ? 7 : 8;
        e.actor_id = e.account_id;
        mg_strlcpy(e.ip, "10.0.0.1", sizeof(e.ip));
        mg_strlcpy(e.detail, "ok", sizeof(e.detail));
        assert_int_equal(s->ops->audit_append(s, &e), MG_OK);
        id[i] = e.id;
    }
    /* newest first, three a page, before_id as the cursor */
    assert_int_equal(s->ops->audit_list(s, 0, NULL, 0, 3, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[0], id[9]);
    assert_int_equal(r.v[2], id[7]);
    assert_int_equal(s->ops->audit_list(s, 0, "", r.v[2], 3, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.v[3], id[6]);
    assert_int_equal(s->ops->audit_list(s, 0, NULL, id[1], 3, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 7); /* the last page is short */
    assert_int_equal(r.v[6], id[0]);
    /* filters: account, type, both, with a cursor */
    r.n = 0;
    assert_int_equal(s->ops->audit_list(s, 7, NULL, 0, 100, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.v[0], id[9]);
    r.n = 0;
    assert_int_equal(s->ops->audit_list(s, 0, "login.failure", 0, 100, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 4); /* 0 3 6 9 */
    r.n = 0;
    assert_int_equal(s->ops->audit_list(s, 8, "login.failure", id[6], 100, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 1); /* 0 (6 is the cursor itself) */
    assert_int_equal(r.v[0], id[0]);
    /* retention */
    assert_int_equal(s->ops->audit_prune(s, T0 + 5 * HOUR), MG_OK);
    r.n = 0;
    assert_int_equal(s->ops->audit_list(s, 0, NULL, 0, 100, audit_cb, &r), MG_OK);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.v[4], id[5]);
}

/* ---- requests ---- */

static int request_cb(void *arg, const struct mg_request *q)
{
    struct ids *ids = arg;
    ids->v[ids->n++] = q->id;
    return MG_OK;
}

static struct mg_request request_of(enum mg_request_kind kind, const char *email)
{
    struct mg_request q;
    memset(&q, 0, sizeof(q));
    q.kind = kind;
    mg_strlcpy(q.email, email, sizeof(q.email));
    mg_strlcpy(q.text, "please", sizeof(q.text));
    q.created_ms = T0;
    return q;
}

static void requests_dedupe_decide_list(void **state)
{
    struct mg_store *s = *state;
    struct mg_request q1 = request_of(MG_REQ_ACCESS, "Vis@Example.com");
    struct mg_request q2 = request_of(MG_REQ_ACCESS, "vis@example.com");
    struct mg_request q3 = request_of(MG_REQ_RECOVERY, "vis@example.com"), got;
    struct ids r = {0};
    q3.account_id = 42;
    assert_int_equal(s->ops->request_insert(s, &q1), MG_OK);
    assert_int_equal(s->ops->request_insert(s, &q2), MG_DECLINED); /* one pending per kind and email */
    assert_int_equal(s->ops->request_insert(s, &q3), MG_OK);       /* another kind */
    assert_int_equal(s->ops->request_get(s, q3.id, &got), MG_OK);
    assert_int_equal(got.kind, MG_REQ_RECOVERY);
    assert_string_equal(got.email, "vis@example.com");
    assert_int_equal(got.account_id, 42);
    assert_string_equal(got.text, "please");
    assert_int_equal(got.status, MG_REQ_PENDING);
    assert_int_equal(got.created_ms, T0);
    assert_int_equal(s->ops->request_get(s, q3.id + 10, &got), MG_DECLINED);

    /* decide only from pending */
    assert_int_equal(s->ops->request_decide(s, q1.id, MG_REQ_PENDING, 1, T0 + 1), MG_DECLINED);
    assert_int_equal(s->ops->request_decide(s, q1.id, MG_REQ_APPROVED, 1, T0 + 5), MG_OK);
    assert_int_equal(s->ops->request_decide(s, q1.id, MG_REQ_DENIED, 1, T0 + 6), MG_DECLINED);
    assert_int_equal(s->ops->request_decide(s, q1.id + 100, MG_REQ_DENIED, 1, T0 + 6), MG_DECLINED);
    assert_int_equal(s->ops->request_get(s, q1.id, &got), MG_OK);
    assert_int_equal(got.status, MG_REQ_APPROVED);
    assert_int_equal(got.decided_ms, T0 + 5);
    assert_int_equal(got.decided_by, 1);
    /* decided: the email may ask again */
    assert_int_equal(s->ops->request_insert(s, &q2), MG_OK);
    assert_int_equal(s->ops->request_decide(s, q2.id, MG_REQ_DENIED, 1, T0 + 7), MG_OK);
    struct mg_request q4 = request_of(MG_REQ_ACCESS, "new@example.com");
    assert_int_equal(s->ops->request_insert(s, &q4), MG_OK);

    assert_int_equal(s->ops->requests_list(s, MG_REQ_ACCESS, -1, 10, request_cb, &r), MG_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[0], q4.id); /* newest first */
    assert_int_equal(r.v[2], q1.id);
    r.n = 0;
    assert_int_equal(s->ops->requests_list(s, MG_REQ_ACCESS, MG_REQ_PENDING, 10, request_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0], q4.id);
    r.n = 0;
    assert_int_equal(s->ops->requests_list(s, MG_REQ_ACCESS, MG_REQ_DENIED, 10, request_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0], q2.id);
    r.n = 0;
    assert_int_equal(s->ops->requests_list(s, MG_REQ_ACCESS, -1, 2, request_cb, &r), MG_OK);
    assert_int_equal(r.n, 2); /* limit */
    r.n = 0;
    assert_int_equal(s->ops->requests_list(s, MG_REQ_RECOVERY, -1, 10, request_cb, &r), MG_OK);
    assert_int_equal(r.n, 1);
}

static void requests_pending_ceiling(void **state)
{
    struct mg_store *s = *state;
    struct mg_request q = request_of(MG_REQ_ACCESS, "last@example.com"), over = request_of(MG_REQ_RECOVERY, "x@y.z");
    char sql[256];
    /* MG_REQUESTS_PENDING_MAX - 1 pending ones in bulk, plus a decided one (not counted) */
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO requests(kind, email, created_ms) SELECT 1, 'bulk' || i || '@example.com', 1 FROM n",
             MG_REQUESTS_PENDING_MAX - 1);
    raw(sql);
    raw("INSERT INTO requests(kind, email, status, created_ms) VALUES (1, 'done@example.com', 1, 1)");
    assert_int_equal(s->ops->request_insert(s, &q), MG_OK); /* the last place */
    assert_int_equal(s->ops->request_insert(s, &over), MG_DECLINED);
    assert_int_equal(s->ops->request_decide(s, q.id, MG_REQ_DENIED, 1, T0), MG_OK); /* a place frees */
    assert_int_equal(s->ops->request_insert(s, &over), MG_OK);
}

/* ---- notifications ---- */

struct notes {
    int n;
    int64_t first_id, last_id;
};

static int note_cb(void *arg, const struct mg_notification *n)
{
    struct notes *ns = arg;
    if (ns->n++ == 0)
        ns->first_id = n->id;
    ns->last_id = n->id;
    return MG_OK;
}

static void notifications_ceiling_unread_read(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "n@example.com"), b = new_account(s, "m@example.com");
    struct mg_notification n, first, mine;
    struct notes ns = {0};
    int unread = -1;
    for (int i = 0; i < MG_NOTIFICATIONS_PER_ACCOUNT + 5; i++) {
        memset(&n, 0, sizeof(n));
        n.account_id = a;
        n.ts_ms = T0 + i;
        mg_strlcpy(n.kind, "login.locked", sizeof(n.kind));
        mg_strlcpy(n.text, "Your account was locked", sizeof(n.text));
        assert_int_equal(s->ops->notification_insert(s, &n), MG_OK);
        if (i == 0)
            first = n;
    }
    memset(&mine, 0, sizeof(mine));
    mine.account_id = b;
    mg_strlcpy(mine.kind, "k", sizeof(mine.kind));
    assert_int_equal(s->ops->notification_insert(s, &mine), MG_OK);

    assert_int_equal(s->ops->notifications_list(s, a, 1000, note_cb, &ns, &unread), MG_OK);
    assert_int_equal(ns.n, MG_NOTIFICATIONS_PER_ACCOUNT);
    assert_int_equal(unread, MG_NOTIFICATIONS_PER_ACCOUNT);
    assert_int_equal(ns.first_id, n.id); /* newest first */
    assert_true(ns.last_id > first.id + 4); /* the five oldest are gone */
    assert_int_equal(s->ops->notification_read(s, a, first.id), MG_DECLINED); /* deleted */
    assert_int_equal(s->ops->notification_read(s, b, n.id), MG_DECLINED);     /* not b's */
    assert_int_equal(s->ops->notification_read(s, a, n.id), MG_OK);
    assert_int_equal(s->ops->notification_read(s, a, n.id), MG_OK); /* again: still a's */
    ns.n = 0;
    assert_int_equal(s->ops->notifications_list(s, a, 3, note_cb, &ns, &unread), MG_OK);
    assert_int_equal(ns.n, 3);
    assert_int_equal(unread, MG_NOTIFICATIONS_PER_ACCOUNT - 1);
    ns.n = 0;
    assert_int_equal(s->ops->notifications_list(s, b, 10, note_cb, &ns, NULL), MG_OK);
    assert_int_equal(ns.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(audit_paging_filters_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_dedupe_decide_list, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_pending_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(notifications_ceiling_unread_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
