/*
 * bill.c: the usage event of a response (BL-2): exactly one per billed
 * answer, recorded before its last byte goes to the client, or when the
 * client left mid-stream (billed for what the stream carried so far).  A
 * video is billed once per task, whoever asks about it how often.
 */
#include "gateway/relay.h"
#include "core/mg.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

/* A video's bill settles what its creation held (videotasks.h) in place of
 * the query's own holds (none: a query costs nothing by itself).  The key's
 * hold goes back apart when another key of the account asks: the event
 * counts for the key that asked. */
static void video_holds(struct relay *rl)
{
    struct mg_reservation acct, key;
    int64_t key_id = 0;
    if (!mg_video_tasks_take(rl->gw->videos, rl->in.res_id, &acct, &key, &key_id))
        return;
    mg_reserve_release(&rl->res.r);
    mg_reserve_release(&rl->res.kr);
    rl->res.r = acct;
    if (key_id == rl->in.key.id)
        rl->res.kr = key;
    else
        mg_reserve_release(&key);
}

/* Who and what an event is about: the key, its account, the route. */
static void identify(const struct relay *rl, struct mg_usage_event *ev)
{
    ev->ts_ms = mg_now_ms();
    ev->account_id = rl->in.key.account_id;
    ev->key_id = rl->in.key.id;
    mg_strlcpy(ev->key_public_id, rl->in.key.public_id, sizeof(ev->key_public_id));
    mg_strlcpy(ev->service, mg_service_name(rl->route->service), sizeof(ev->service));
    mg_strlcpy(ev->route, rl->route->path, sizeof(ev->route));
}

void rl_bill(struct relay *rl, int status)
{
    struct mg_usage_event *ev = &rl->bill.ev;
    if (rl->bill.done || !rl->bill.seen)
        return;
    rl->bill.done = 1;
    if (rl->route->usage == MG_USAGE_VIDEO) {
        if (mg_video_tasks_billed(rl->gw->videos, rl->in.res_id))
            return;
        video_holds(rl);
        snprintf(ev->request_id, sizeof(ev->request_id), "video-%.33s", rl->in.res_id);
        mg_strlcpy(ev->model, rl->own.first.model[0] ? rl->own.first.model : "MiniMax-Hailuo-2.3", sizeof(ev->model));
        ev->video_seconds = rl->own.first.video_seconds;
        mg_strlcpy(ev->video_res, rl->own.first.video_res, sizeof(ev->video_res));
    } else {
        mg_strlcpy(ev->request_id, rl->request_id, sizeof(ev->request_id));
        mg_strlcpy(ev->model, rl_price_model(rl), sizeof(ev->model));
    }
    identify(rl, ev);
    ev->http_status = status;
    ev->latency_ms = (mg_monotonic_us() - rl->t0_us) / 1000;
    ev->cost_micros = mg_prices_cost(rl_prices(rl), ev, rl->in.ratio_ppm);
    mg_rate_settle(&rl->res.tpm, ev->input_tokens + ev->output_tokens); /* GW-9: what it used replaces its hold */
    mg_reserve_settle(rl->gw->meter, &rl->res.r, &rl->res.kr, ev); /* records it; spent += cost, reserved -= holds */
}

/* An open stream's usage so far (ev: a copy with the estimate applied),
 * journaled as its checkpoint: the identity fields as rl_bill sets them for
 * a non-video answer. */
void rl_bill_checkpoint(struct relay *rl, struct mg_usage_event *ev)
{
    mg_strlcpy(ev->request_id, rl->request_id, sizeof(ev->request_id));
    mg_strlcpy(ev->model, rl_price_model(rl), sizeof(ev->model));
    identify(rl, ev);
    ev->checkpoint = 1;
    ev->cost_micros = mg_prices_cost(rl_prices(rl), ev, rl->in.ratio_ppm);
    mg_meter_checkpoint(rl->gw->meter, ev);
}
