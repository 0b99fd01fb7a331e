/*
 * owners.c: GW-6 on the worker pool.  Async tasks, files and voices belong
 * to the account that made them: a route that names one (USE/DELETE) is
 * forwarded only after the pool confirmed the owner (someone else's is as
 * unknown as none: 404), and a route that creates one (CREATE, or a response
 * that grants one) records it before the answer is sent.
 */
#include "gateway/relay.h"
#include "core/mg.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

int rl_id_from(json_t *doc, const char *const path[2], char *out, size_t cap)
{
    json_t *v = json_object_get(doc, path[0]);
    if (path[1] != NULL)
        v = json_object_get(v, path[1]);
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < cap)
        mg_strlcpy(out, json_string_value(v), cap);
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else
        return MG_DECLINED;
    return MG_OK;
}

/* Worker thread: the database call, nothing else. */
static void job_run(struct mg_job *job, struct mg_store *s)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, own.job, job);
    if (s == NULL) {
        rl->own.rc = MG_ERR;
        return;
    }
    switch (rl->own.kind) {
    case JOB_OWNER_GET:
        rl->own.rc = s->ops->owner_get(s, rl->own.owned, rl->own.id, &rl->own.owner_account, rl->own.owner_model,
                                       sizeof(rl->own.owner_model));
        break;
    case JOB_OWNER_PUT:
        rl->own.rc = s->ops->owner_put(s, rl->own.owned, rl->own.id, rl->in.key.account_id, rl->in.model);
        break;
    case JOB_OWNER_DELETE:
        rl->own.rc = s->ops->owner_delete(s, rl->own.owned, rl->own.id);
        break;
    }
}

/* Back on the loop thread that submitted. */
static void job_done(struct mg_job *job)
{
    struct relay *rl = H2O_STRUCT_FROM_MEMBER(struct relay, own.job, job);
    if (rl->req == NULL) {
        h2o_mem_release_shared(rl);
        return;
    }
    switch (rl->own.kind) {
    case JOB_OWNER_GET:
        assert(rl->phase == RL_OWNER_CHECK);
        if (rl->own.rc == MG_ERR)
            rl_send_error(rl, MG_E_INTERNAL, NULL);
        else if (rl->own.rc != MG_OK || rl->own.owner_account != rl->in.key.account_id)
            rl_send_error(rl, MG_E_RESOURCE_NOT_FOUND, NULL);
        else
            rl_forward(rl);
        break;
    case JOB_OWNER_PUT:
    case JOB_OWNER_DELETE:
        assert(rl->phase == RL_OWNER_RECORD);
        if (rl->own.rc == MG_ERR)
            mg_log(MG_LOG_ERROR, "request %s: could not record resource ownership", rl->request_id);
        rl_whole_send(rl);
        break;
    }
    h2o_mem_release_shared(rl);
}

int rl_owner_submit(struct relay *rl, enum rl_job kind, enum mg_owned_kind owned, const char *id)
{
    rl->own.kind = kind;
    rl->own.owned = owned;
    mg_strlcpy(rl->own.id, id, sizeof(rl->own.id));
    rl->own.job.run = job_run;
    rl->own.job.done = job_done;
    rl->phase = kind == JOB_OWNER_GET ? RL_OWNER_CHECK : RL_OWNER_RECORD;
    h2o_mem_addref_shared(rl);
    if (mg_pool_submit(rl->t->pl, &rl->own.job) != MG_OK) {
        h2o_mem_release_shared(rl);
        return MG_AGAIN;
    }
    return MG_OK;
}
