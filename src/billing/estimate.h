/*
 * estimate.h: the worst-case cost of a request before it is forwarded
 * (BL-3), from what its body says, priced by the same table and the same
 * arithmetic as the usage event it will produce (mg_prices_cost: integer
 * micro-units, 128-bit products, one rounding).
 *
 *   chat       input: one token per byte of the request body (a byte-level
 *              tokenizer never makes more tokens than bytes, and the body's
 *              JSON framing only adds) x input price, plus output:
 *              max_tokens (or max_completion_tokens; the larger if both),
 *              else the model's maximum output (the price row's max_output_tokens, mg_price_max_output) x
 *              output price.  Deliberately not bytes/2: "a a a a" is 7
 *              bytes and 4 tokens, so bytes/2 could fall below the truth.
 *   speech     bytes of the decoded "text" (UTF-8 bytes >= the characters
 *              MiniMax bills, a CJK character counting 2), or
 *              MG_ESTIMATE_SPEECH_CHARS when the text is not in the body
 *   image      n images (default 1)
 *   video      one video of the length and resolution asked
 *   music      one track
 *   voice      one voice
 * A model without a price estimates 0 (pricing refuses such models; the
 * cap then only requires that it is not reached).
 */
#ifndef MG_BILLING_ESTIMATE_H
#define MG_BILLING_ESTIMATE_H

#include "billing/prices.h"

#include <stddef.h>
#include <stdint.h>

/* Speech whose text is not in the body (t2a async from a file): a sync
 * t2a request's limit of 10,000 characters. */
#define MG_ESTIMATE_SPEECH_CHARS 10000

enum mg_estimate_kind {
    MG_EST_NONE = 0, /* costs nothing by itself */
    MG_EST_CHAT,
    MG_EST_SPEECH,
    MG_EST_IMAGE,
    MG_EST_VIDEO,
    MG_EST_MUSIC,
    MG_EST_VOICE,
};

/* What the gateway read from a request body (0 = absent). */
struct mg_estimate_req {
    enum mg_estimate_kind kind;
    const char *model;
    size_t body_len;        /* bytes of the request body */
    int64_t max_tokens;     /* chat: max_tokens / max_completion_tokens, the larger */
    int64_t text_bytes;     /* speech: decoded bytes of "text"; -1 = no text in the body */
    int64_t n;              /* image: "n" */
    int64_t video_seconds;  /* video: the length asked (its default when unnamed) */
    const char *video_res;  /* video: the resolution asked, "" or NULL when unnamed */
};

/* The worst-case cost of q in micro-units at ratio_ppm (>= 0). */
int64_t mg_estimate_cost(const struct mg_price_table *t, const struct mg_estimate_req *q, int64_t ratio_ppm);

/* The most tokens a chat request can use, by the same rule (input: its body
 * bytes; output: max_tokens, else the model's maximum): what a key's TPM
 * holds for it (gateway/ratelimit.h).  0 for every other kind. */
int64_t mg_estimate_tokens(const struct mg_price_table *t, const struct mg_estimate_req *q);

#endif
