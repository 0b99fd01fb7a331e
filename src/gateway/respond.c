/*
 * respond.c: a whole (non-streamed) answer.  Its body is read up to
 * max_upstream_body, its usage read (for chat only the "usage" object is
 * parsed), a resource it creates or grants is recorded as the caller's and
 * a list it carries is cut to the caller's entries on the worker pool
 * (owners.c), and then it is sent with a Content-Length.  The body is
 * sent from the upstream client's buffer, which lives as long as the relay,
 * which lives until h2o has written the answer.
 */
#include "gateway/relay.h"
#include "core/log.h"
#include "gateway/usage.h"

void rl_whole_send(struct relay *rl)
{
    static h2o_generator_t generator = {NULL, NULL};
    rl->phase = RL_DONE;
    rl_bill(rl, rl->up.status);
    rl_finish(rl, rl->up.status);
    rl->req->res.content_length = rl->own.held.len;
    h2o_start_response(rl->req, &generator);
    h2o_send(rl->req, &rl->own.held, 1, H2O_SEND_STATE_FINAL);
}

/* The answer is complete: usage, ownership (owners.c), then send. */
static void on_complete(struct relay *rl)
{
    const struct mg_route *r = rl->route;
    h2o_buffer_t *body = rl->up.upc.body;
    int ok = rl->up.status >= 200 && rl->up.status < 300;

    rl->own.held = h2o_iovec_init(body->bytes, body->size);
    if (ok && r->usage != MG_USAGE_NONE && mg_usage_from_body(r->usage, body->bytes, body->size, &rl->bill.ev))
        rl->bill.seen = 1;
    if (ok && rl_owned_answer(rl, body->bytes, body->size) == MG_OK)
        return;
    rl_whole_send(rl);
}

static void on_body(struct mg_upc *u, const char *err)
{
    struct relay *rl = u->data;
    assert(rl->phase == RL_WHOLE);
    if (err == NULL) {
        if (u->body->size > rl->gw->cfg.max_upstream_body) {
            mg_upc_cancel(u);
            rl_send_error(rl, MG_E_UPSTREAM_BAD_RESPONSE, "The upstream response is larger than this gateway accepts.");
        }
        return;
    }
    if (err != mg_upc_eos) {
        mg_log(MG_LOG_WARN, "request %s: channel %s: answer broke: %s%s%s", rl->request_id,
               gw_channel(rl->gw, rl->up.channel)->spec.name, err, u->detail ? ": " : "", u->detail ? u->detail : "");
        mg_channel_cool(gw_channel(rl->gw, rl->up.channel), rl->gw->cfg.cooldown_ms);
        rl_send_error(rl, rl_upstream_err(err), NULL);
        return;
    }
    on_complete(rl);
}

void rl_whole_start(struct relay *rl)
{
    rl->phase = RL_WHOLE;
    rl->up.upc.on_body = on_body;
}
