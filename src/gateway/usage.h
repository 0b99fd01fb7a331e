/*
 * usage.h: reading billable units out of MiniMax responses (GW-5, BL-2).
 * Each extractor takes one parsed JSON document (a whole response, or one SSE
 * frame's data) and adds what it finds to a usage event.  Streams call the
 * extractor once per frame; the rules below make that idempotent:
 *   chat (native/OpenAI): the frame with real usage (prompt_tokens present)
 *       sets input/output/cached tokens (later ones replace earlier ones);
 *   anthropic: message_start.message.usage.input_tokens sets input,
 *       message_delta.usage.output_tokens sets output (cumulative);
 *   speech: extra_info.usage_characters sets characters;
 *   image: metadata.success_count (number or string) sets images;
 *   music: data.audio present sets tracks = 1;
 *   voice: a successful clone/design sets voices = 1.
 */
#ifndef MG_GATEWAY_USAGE_H
#define MG_GATEWAY_USAGE_H

#include <jansson.h>
#include "store/store.h"

enum mg_usage_kind {
    MG_USAGE_NONE = 0,
    MG_USAGE_CHAT,      /* native and OpenAI-compatible */
    MG_USAGE_ANTHROPIC,
    MG_USAGE_SPEECH,
    MG_USAGE_IMAGE,
    MG_USAGE_MUSIC,
    MG_USAGE_VOICE,
    MG_USAGE_VIDEO,     /* billed when a query first reports Success */
};

/* Returns 1 if the document carried billable units, else 0. */
int mg_usage_extract(enum mg_usage_kind kind, json_t *doc, struct mg_usage_event *ev);

/* Usage from a whole non-streamed response body.  For chat it parses only the
 * last top-level-looking "usage" object instead of the whole document (the
 * hot path: a chat answer can be long, its usage is a few fields).  Returns 1
 * if units were found. */
int mg_usage_from_body(enum mg_usage_kind kind, const char *body, size_t len, struct mg_usage_event *ev);

/* Cheap pre-filter for stream frames: 0 if `data` cannot hold usage for the
 * kind, so the frame need not be parsed. */
int mg_usage_frame_may_matter(enum mg_usage_kind kind, const char *data, size_t len);

/* MiniMax's base_resp.status_code of a document (0 if absent). */
int mg_usage_base_code(json_t *doc);

#endif
