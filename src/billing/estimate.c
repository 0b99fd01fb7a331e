/*
 * estimate.c: worst-case cost of a request (see estimate.h for the rule
 * per kind).  The worst-case units are put in a usage event and priced by
 * mg_prices_cost, so an estimate and the real bill can never disagree on
 * arithmetic, only on units.
 */
#include "billing/estimate.h"
#include "core/mg.h"

#include <string.h>

#define MAX_IMAGES 9 /* MiniMax's image_generation takes n in 1..9 */

/* A chat request's output bound: max_tokens, else the model's limit (the
 * price row's own column, one source with BL-1's check). */
static int64_t chat_output(const struct mg_price_table *t, const struct mg_estimate_req *q)
{
    return q->max_tokens > 0 ? q->max_tokens : mg_price_max_output(mg_prices_find(t, q->model ? q->model : ""));
}

int64_t mg_estimate_tokens(const struct mg_price_table *t, const struct mg_estimate_req *q)
{
    return q->kind == MG_EST_CHAT ? (int64_t)q->body_len + chat_output(t, q) : 0;
}

int64_t mg_estimate_cost(const struct mg_price_table *t, const struct mg_estimate_req *q, int64_t ratio_ppm)
{
    struct mg_usage_event ev;
    memset(&ev, 0, sizeof(ev));
    const char *model = q->model ? q->model : "";
    mg_strlcpy(ev.model, model, sizeof(ev.model));
    switch (q->kind) {
    case MG_EST_CHAT:
        ev.input_tokens = (int64_t)q->body_len;
        ev.output_tokens = chat_output(t, q);
        break;
    case MG_EST_SPEECH:
        ev.characters = q->text_bytes >= 0 ? q->text_bytes : MG_ESTIMATE_SPEECH_CHARS;
        break;
    case MG_EST_IMAGE:
        ev.images = q->n > 0 ? MG_MIN(q->n, (int64_t)MAX_IMAGES) : 1;
        break;
    case MG_EST_VIDEO:
        ev.videos = 1;
        ev.video_seconds = q->video_seconds;
        if (q->video_res != NULL)
            mg_strlcpy(ev.video_res, q->video_res, sizeof(ev.video_res));
        break;
    case MG_EST_MUSIC:
        ev.tracks = 1;
        break;
    case MG_EST_VOICE:
        ev.voices = 1;
        break;
    case MG_EST_NONE:
        return 0;
    }
    if (mg_prices_find(t, model) == NULL)
        return 0; /* unpriced: mg_prices_cost would log it; pricing refuses such models before this */
    return mg_prices_cost(t, &ev, ratio_ppm);
}
