/*
 * delivered.h: what a chat stream delivered, when the upstream's own usage
 * frame never came (GW-5, BL-2).
 *
 * A stream that ends early (the upstream broke, the server's drain cut it,
 * the client left and the upstream said nothing more within drain_usage_ms)
 * is billed for at least what the client received.  The gateway counts the
 * generated text it relayed: the string values inside each frame's "delta"
 * object (OpenAI/native choices[].delta.content, reasoning_content and tool
 * call arguments; Anthropic content_block_delta's text, thinking and
 * partial_json).  A final frame that repeats the whole answer (choices[].
 * message) is not a delta and is not counted twice.
 *
 * The ratio.  Characters are counted after JSON unescaping: an ASCII
 * character weighs 1, any other code point 2; MG_EST_UNITS_PER_TOKEN (4)
 * units make a token, rounded up.  That is 4 ASCII characters or 2 CJK
 * characters per token: the MiniMax tokenizer (like other BPE ones) averages
 * about 4 characters per English token and fewer than 2 CJK characters per
 * token, so the estimate is at or below what the upstream counts: it errs
 * toward the customer, and it is never zero when text was delivered.
 */
#ifndef MG_GATEWAY_DELIVERED_H
#define MG_GATEWAY_DELIVERED_H

#include <stddef.h>
#include <stdint.h>
#include "core/mg.h"

#define MG_EST_UNITS_PER_TOKEN 4
#define MG_EST_WIDE_UNITS 2      /* a non-ASCII code point */
#define MG_EST_REQUEST_OVERHEAD 64 /* bytes of a chat body that are JSON syntax, not prompt (see mg_est_input_tokens) */

struct mg_est {
    int64_t ascii; /* ASCII characters of delivered generated text */
    int64_t wide;  /* other code points */
};

/* Adds the generated text in one SSE frame's data (a JSON document, maybe
 * invalid or cut) to est.  Reads only data[0..len); never fails. */
void mg_est_frame(struct mg_est *est, const char *data, size_t len);
extern const struct mg_needle mg_needle_delta; /* what mg_est_frame looks for */

/* Output tokens for what est counted: ceil((ascii + 2 * wide) / 4); 0 only
 * when nothing was counted. */
int64_t mg_est_tokens(const struct mg_est *est);

/* Input tokens of a chat request of body_len bytes, for a stream whose
 * upstream never reported them: (body_len - MG_EST_REQUEST_OVERHEAD) / 4
 * rounded up, at least 1 for a non-empty body.  The body's JSON syntax and
 * field names count as prompt beyond the fixed overhead, which a 4-byte
 * token ratio roughly offsets against CJK prompts (several bytes a token). */
int64_t mg_est_input_tokens(size_t body_len);

#endif
