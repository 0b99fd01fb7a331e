/*
 * owners.c: GW-6 on the worker pool.  Async tasks, files and voices belong
 * to the account that made them.  The route table says, per route, which ids
 * a request names (query parameters, body paths) and which an answer carries
 * (routes.h, struct mg_own_rule):
 *
 *   before forwarding  every id the request names is looked up in one pool
 *                      job: USE/DELETE must be the caller's (someone else's is
 *                      as unknown as none: 404); REFER and a CREATE named in
 *                      the body must not be someone else's (a system voice is
 *                      nobody's and passes); the upstream is not asked otherwise.
 *   before answering   what a successful answer created or granted is recorded
 *                      as the caller's, what it deleted is forgotten, and a
 *                      list answer keeps only the caller's entries (one batched
 *                      lookup), each in one pool job.
 */
#include "gateway/relay.h"
#include "core/mg.h"
#include "core/clock.h"
#include "core/log.h"
#include "gateway/usage.h"

#include <ctype.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int from_request(const struct mg_own_rule *o)
{
    return o->query != NULL || o->body != NULL;
}

/* ---- the pool job ----------------------------------------------------------- */

static void list_free(struct relay *rl)
{
    json_decref(rl->own.list);
    free(rl->own.listed);
    free(rl->own.listed_ids);
    free(rl->own.listed_owner);
    rl->own.list = NULL;
    rl->own.listed = NULL;
    rl->own.listed_ids = NULL;
    rl->own.listed_owner = NULL;
}

/* Worker thread: the database calls, nothing else. */
static void job_run(struct mg_job *job, struct mg_store *s)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, own.job, job);
    const struct mg_own_rule *o = rl->route->own;
    size_t base = 0;
    rl->own.rc = s == NULL ? MG_ERR : MG_OK;
    for (size_t i = 0; s != NULL && rl->own.kind == JOB_OWNER_CHECK && i < rl->own.n && rl->own.rc == MG_OK; i++) {
        struct rl_owned *it = &rl->own.items[i];
        struct mg_owned rec, *out = i == 0 ? &rl->own.first : &rec;
        int rc = s->ops->owner_get(s, it->rule->kind, it->id.id, out);
        if (rc == MG_DECLINED)
            it->owner = 0;
        else if (rc == MG_OK)
            it->owner = out->account_id;
        else
            rl->own.rc = MG_ERR;
    }
    if (s != NULL && rl->own.kind == JOB_OWNER_RECORD) {
        struct mg_owned rec = {.account_id = rl->in.key.account_id, .key_id = rl->in.key.id, .created_ms = mg_now_ms(),
                               .video_seconds = rl->in.video_seconds};
        mg_strlcpy(rec.model, rl->in.model, sizeof(rec.model));
        mg_strlcpy(rec.video_res, rl->in.video_res, sizeof(rec.video_res));
        for (size_t i = 0; i < rl->own.n; i++) {
            struct rl_owned *it = &rl->own.items[i];
            int rc = it->rule->op == MG_OWN_DELETE ? s->ops->owner_delete(s, it->rule->kind, it->id.id)
                                                   : s->ops->owner_put(s, it->rule->kind, it->id.id, &rec);
            if (rc == MG_ERR)
                rl->own.rc = MG_ERR;
        }
        if (rl->own.state[0] &&
            s->ops->owner_state(s, rl->route->own[0].kind, rl->in.res_id, rl->own.state, rec.created_ms) != MG_OK)
            rl->own.rc = MG_ERR;
    }
    for (size_t r = 0; s != NULL && rl->own.kind == JOB_OWNER_FILTER && o[r].op != MG_OWN_NONE; r++) {
        if (o[r].op != MG_OWN_LIST)
            continue;
        if (s->ops->owners_lookup(s, o[r].kind, rl->own.listed_ids + base, rl->own.nper[r],
                                  rl->own.listed_owner + base) != MG_OK)
            rl->own.rc = MG_ERR;
        base += rl->own.nper[r];
    }
}

static void check_done(struct relay *rl);
static void filter_done(struct relay *rl);

/* Back on the loop thread that submitted. */
static void job_done(struct mg_job *job)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, own.job, job);
    if (rl->req == NULL) {
        list_free(rl);
        h2o_mem_release_shared(rl);
        return;
    }
    switch (rl->own.kind) {
    case JOB_OWNER_CHECK:
        assert(rl->phase == RL_OWNER_CHECK);
        check_done(rl);
        break;
    case JOB_OWNER_RECORD:
        assert(rl->phase == RL_OWNER_RECORD);
        if (rl->own.rc == MG_ERR)
            mg_log(MG_LOG_ERROR, "request %s: could not record resource ownership", rl->request_id);
        rl_whole_send(rl);
        break;
    case JOB_OWNER_FILTER:
        assert(rl->phase == RL_OWNER_RECORD);
        filter_done(rl);
        break;
    }
    h2o_mem_release_shared(rl);
}

/* MG_OK, or MG_AGAIN when the pool's queue is full (nothing submitted). */
static int submit(struct relay *rl, enum rl_job kind)
{
    rl->own.kind = kind;
    rl->own.job.run = job_run;
    rl->own.job.done = job_done;
    rl->phase = kind == JOB_OWNER_CHECK ? RL_OWNER_CHECK : RL_OWNER_RECORD;
    h2o_mem_addref_shared(rl);
    if (mg_pool_submit(rl->t->pl, &rl->own.job) != MG_OK) {
        h2o_mem_release_shared(rl);
        return MG_AGAIN;
    }
    return MG_OK;
}

/* ---- before forwarding ------------------------------------------------------ */

static int bad_id(struct relay *rl, const char *before, const char *name, const char *after)
{
    char detail[200];
    snprintf(detail, sizeof(detail), "%s'%s'%s", before, name, after);
    rl_send_error(rl, MG_E_FIELD_INVALID, detail);
    return MG_ERR;
}

static void add_item(struct relay *rl, const struct mg_own_rule *o, const struct mg_own_id *id)
{
    struct rl_owned *it = &rl->own.items[rl->own.n++];
    it->rule = o;
    it->id = *id;
    it->owner = 0;
}

int rl_owned_request(struct relay *rl)
{
    h2o_req_t *req = rl->req;
    const char *q = req->query_at == SIZE_MAX ? "" : req->path.base + req->query_at + 1;
    size_t qlen = req->query_at == SIZE_MAX ? 0 : req->path.len - req->query_at - 1;
    rl->own.n = 0;
    for (const struct mg_own_rule *o = rl->route->own; o->op != MG_OWN_NONE; o++) {
        size_t before = rl->own.n;
        if (o->query != NULL) {
            struct mg_own_id id;
            int c = mg_ownpath_query(q, qlen, o->query, &id);
            if (c > 1) /* the upstream might read another occurrence than the one checked */
                return bad_id(rl, "Name ", o->query, " once.");
            if (c == 1 && id.id[0] == '\0')
                return bad_id(rl, "", o->query, " is empty or too long.");
            if (c == 1)
                add_item(rl, o, &id);
        } else if (o->body != NULL) {
            struct mg_own_id ids[OWN_IDS];
            size_t m = 0;
            const char *leaf = strrchr(o->body, '.');
            leaf = leaf ? leaf + 1 : o->body;
            if (mg_ownpath_query(q, qlen, leaf, &ids[0]) > 0) /* the upstream might read the query's instead */
                return bad_id(rl, "Name ", leaf, " in the body, not in the query.");
            int rc = mg_ownpath_body(req->entity.base, req->entity.len, o->body, ids, OWN_IDS - rl->own.n, &m);
            if (rc == MG_DECLINED)
                return bad_id(rl, "", o->body, " must be a non-empty string (at most 256 characters) or an integer.");
            if (rc == MG_AGAIN)
                return bad_id(rl, "A request names at most 8 voices and files; this one names more at ", o->body, ".");
            for (size_t i = 0; i < m; i++)
                add_item(rl, o, &ids[i]);
        }
        if ((o->flags & MG_OWN_REQUIRED) && rl->own.n == before)
            return bad_id(rl, "Name the resource with ", o->query ? o->query : o->body, ".");
    }
    if (rl->own.n > 0)
        mg_strlcpy(rl->in.res_id, rl->own.items[0].id.id, sizeof(rl->in.res_id));
    return MG_OK;
}

void rl_owned_check(struct relay *rl)
{
    if (rl->own.n == 0) {
        rl_forward(rl);
        return;
    }
    if (submit(rl, JOB_OWNER_CHECK) != MG_OK)
        rl_send_error(rl, MG_E_OVERLOADED, NULL);
}

static void check_done(struct relay *rl)
{
    int64_t me = rl->in.key.account_id;
    if (rl->own.rc == MG_ERR) {
        rl_send_error(rl, MG_E_INTERNAL, NULL);
        return;
    }
    for (size_t i = 0; i < rl->own.n; i++) {
        const struct rl_owned *it = &rl->own.items[i];
        int strict = it->rule->op == MG_OWN_USE || it->rule->op == MG_OWN_DELETE;
        if (strict ? it->owner != me : it->owner != 0 && it->owner != me) {
            rl_send_error(rl, MG_E_RESOURCE_NOT_FOUND, NULL);
            return;
        }
    }
    rl_forward(rl);
}

/* ---- before answering ------------------------------------------------------- */

/* A task query's answer: the task's state as MiniMax words it (the top-level
 * "status": Queueing, Processing, Success, Fail, ...), kept when it changed
 * so the usage log can show it.  A word of letters, at most 15 of them. */
static void task_state(struct relay *rl, json_t *doc)
{
    const struct mg_own_rule *o = rl->route->own;
    const char *v = json_string_value(json_object_get(doc, "status"));
    size_t n = v ? strlen(v) : 0;
    rl->own.state[0] = '\0';
    if (o[0].op != MG_OWN_USE || (o[0].kind != MG_OWNED_VIDEO_TASK && o[0].kind != MG_OWNED_SPEECH_TASK) ||
        n == 0 || n >= sizeof(rl->own.state) || rl->in.res_id[0] == '\0')
        return;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)v[i]))
            return;
    if (strcmp(v, rl->own.first.state) != 0)
        memcpy(rl->own.state, v, n + 1);
    if (o[0].kind == MG_OWNED_VIDEO_TASK && (strcmp(v, "Fail") == 0 || strcmp(v, "Failed") == 0)) {
        struct mg_reservation acct, key; /* a failed video is never billed: its creation's holds go back */
        int64_t key_id;
        if (mg_video_tasks_take(rl->gw->videos, rl->in.res_id, &acct, &key, &key_id)) {
            mg_reserve_release(&acct);
            mg_reserve_release(&key);
        }
    }
}

/* A video's creation answered with its task id: the creation's holds on the
 * caps stay with the task until its bill (videotasks.h), not with this answer. */
static void video_created(struct relay *rl)
{
    for (size_t i = 0; i < rl->own.n; i++) {
        const struct rl_owned *it = &rl->own.items[i];
        if (it->rule->op == MG_OWN_CREATE && it->rule->kind == MG_OWNED_VIDEO_TASK) {
            mg_video_tasks_hold(rl->gw->videos, it->id.id, rl->in.key.id, &rl->res.r, &rl->res.kr, mg_now_ms());
            return;
        }
    }
}

static int filter_submit(struct relay *rl, json_t *doc)
{
    const struct mg_own_rule *o = rl->route->own;
    size_t total = 0, n = 0;
    for (size_t r = 0; o[r].op != MG_OWN_NONE; r++)
        if (o[r].op == MG_OWN_LIST)
            total += mg_ownpath_list_len(doc, o[r].resp);
    rl->own.list = doc;
    if (total == 0) { /* nothing listed: nothing to hide */
        list_free(rl);
        return MG_DECLINED;
    }
    /* sized by the answer, which max_upstream_body bounds */
    rl->own.listed = mg_calloc(total, sizeof(*rl->own.listed));
    rl->own.listed_ids = mg_calloc(total, sizeof(*rl->own.listed_ids));
    rl->own.listed_owner = mg_calloc(total, sizeof(*rl->own.listed_owner));
    for (size_t r = 0; o[r].op != MG_OWN_NONE; r++) {
        rl->own.nper[r] = 0;
        if (o[r].op == MG_OWN_LIST)
            n += rl->own.nper[r] = mg_ownpath_list(doc, o[r].resp, rl->own.listed + n, total - n);
    }
    for (size_t i = 0; i < n; i++)
        rl->own.listed_ids[i] = rl->own.listed[i].id;
    if (submit(rl, JOB_OWNER_FILTER) != MG_OK) {
        list_free(rl); /* an unfiltered list would show others' entries: refuse */
        rl_send_error(rl, MG_E_OVERLOADED, NULL);
    }
    return MG_OK;
}

struct keep_ctx {
    const int64_t *owner;
    int64_t me;
};

static int keep_mine(void *arg, size_t i)
{
    const struct keep_ctx *k = arg;
    return k->owner[i] == k->me;
}

static void filter_done(struct relay *rl)
{
    const struct mg_own_rule *o = rl->route->own;
    size_t base = 0, hidden = 0;
    if (rl->own.rc != MG_OK) {
        list_free(rl);
        rl_send_error(rl, MG_E_INTERNAL, NULL);
        return;
    }
    for (size_t r = 0; o[r].op != MG_OWN_NONE; r++) {
        if (o[r].op != MG_OWN_LIST)
            continue;
        struct keep_ctx k = {rl->own.listed_owner + base, rl->in.key.account_id};
        hidden += mg_ownpath_filter(rl->own.list, o[r].resp, keep_mine, &k);
        base += rl->own.nper[r];
    }
    if (hidden > 0) {
        char *s = json_dumps(rl->own.list, JSON_COMPACT);
        if (s == NULL)
            h2o_fatal("out of memory");
        size_t len = strlen(s);
        char *copy = h2o_mem_alloc_pool(&rl->req->pool, len);
        memcpy(copy, s, len);
        free(s);
        rl->own.held = h2o_iovec_init(copy, len);
    }
    list_free(rl);
    rl_whole_send(rl);
}

int rl_owned_answer(struct relay *rl, const char *body, size_t len)
{
    const struct mg_own_rule *o = rl->route->own;
    int answer_side = 0, list = 0;
    for (size_t r = 0; o[r].op != MG_OWN_NONE; r++) {
        answer_side |= o[r].op == MG_OWN_CREATE || o[r].op == MG_OWN_GRANT || o[r].op == MG_OWN_DELETE ||
                       o[r].op == MG_OWN_LIST;
        list |= o[r].op == MG_OWN_LIST;
    }
    if (!answer_side)
        return MG_DECLINED;
    json_t *doc = json_loadb(body, len, 0, NULL);
    if (doc == NULL && list) { /* a list that cannot be filtered is not shown */
        rl_send_error(rl, MG_E_UPSTREAM_BAD_RESPONSE, NULL);
        return MG_OK;
    }
    if (list)
        return filter_submit(rl, doc);
    if (doc == NULL || mg_usage_base_code(doc) != 0) { /* a failed answer creates nothing ... */
        if (doc != NULL)
            task_state(rl, doc); /* ... but a failed task's answer says so ("Failed" with an error code) */
        json_decref(doc);
        if (rl->own.state[0] == '\0')
            return MG_DECLINED;
        rl->own.n = 0; /* the job records the state only */
        if (submit(rl, JOB_OWNER_RECORD) != MG_OK)
            return MG_DECLINED; /* a state not kept is only a stale word in the usage log */
        return MG_OK;
    }
    task_state(rl, doc);
    /* what the request named and the answer confirmed, then what the answer names */
    size_t k = 0;
    int puts = 0;
    for (size_t i = 0; i < rl->own.n; i++)
        if (rl->own.items[i].rule->op == MG_OWN_CREATE || rl->own.items[i].rule->op == MG_OWN_DELETE)
            rl->own.items[k++] = rl->own.items[i];
    for (size_t r = 0; o[r].op != MG_OWN_NONE; r++) {
        struct mg_own_id ids[OWN_IDS];
        size_t m = 0;
        if (from_request(&o[r]) || (o[r].op != MG_OWN_CREATE && o[r].op != MG_OWN_GRANT))
            continue;
        if (mg_ownpath_json(doc, o[r].resp, ids, OWN_IDS - k, &m) == MG_AGAIN)
            mg_log(MG_LOG_WARN, "request %s: the answer names more than %d resources; recorded the first",
                   rl->request_id, OWN_IDS);
        for (size_t i = 0; i < m; i++) {
            rl->own.items[k].rule = &o[r];
            rl->own.items[k++].id = ids[i];
        }
    }
    json_decref(doc);
    rl->own.n = k;
    for (size_t i = 0; i < k; i++)
        puts |= rl->own.items[i].rule->op != MG_OWN_DELETE;
    if (k == 0 && rl->own.state[0] == '\0')
        return MG_DECLINED;
    if (submit(rl, JOB_OWNER_RECORD) == MG_OK) {
        video_created(rl);
        return MG_OK;
    }
    if (!puts) /* a stale record of a deleted resource only hides it from its owner */
        return MG_DECLINED;
    rl_send_error(rl, MG_E_OVERLOADED, NULL); /* an unrecorded resource would be nobody's: refuse rather than leak */
    return MG_OK;
}
