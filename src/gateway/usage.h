/*
 * usage.h: reading billable units out of MiniMax responses (GW-5, BL-2).
 * Each kind is one row of a table (usage.c): its extractor, the needles that
 * pre-filter stream frames, its whole-body rule and its billing keys.  An
 * extractor reads one JSON document (a whole response, or one SSE frame's
 * data) and adds what it finds to a usage event; mg_usage_extract runs it on
 * a jansson tree (the reference), mg_usage_from_body/_from_frame on the bytes
 * through core/jscan.h with exactly the same result and no tree.  Streams
 * read every frame; the rules below make that idempotent:
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
#include "billing/prices.h"
#include "core/mg.h"
#include "core/usage_event.h"

enum mg_usage_kind {
    MG_USAGE_NONE = 0,
    MG_USAGE_CHAT,      /* native and OpenAI-compatible */
    MG_USAGE_ANTHROPIC,
    MG_USAGE_SPEECH,
    MG_USAGE_IMAGE,
    MG_USAGE_MUSIC,
    MG_USAGE_VOICE,
    MG_USAGE_VIDEO,     /* billed when a query first reports Success */
    MG_USAGE_NKINDS
};

/* One row per kind (usage.c holds the table; code walks it). */
struct mg_usage_kind_info {
    enum mg_usage_kind kind;
    const char *name;
    /* Frame pre-filter: a frame that holds none of these (and no \u escape,
     * which could spell one) cannot carry units.  {NULL}: every frame may. */
    struct mg_needle needles[2]; /* {.s = NULL}: no more */
    /* Whole-body rule: a non-streamed body is billed only if its
     * base_resp.status_code is 0 (absent counts as 0). */
    int body_needs_base_ok;
    unsigned bill; /* the billing keys it sets: enum mg_bill_unit (billing/prices.h) */
};

/* The row of a kind (NULL for MG_USAGE_NONE or an unknown value). */
const struct mg_usage_kind_info *mg_usage_kind_info(enum mg_usage_kind kind);

/* The reference extractor on a jansson tree: returns 1 if the document
 * carried billable units, else 0. */
int mg_usage_extract(enum mg_usage_kind kind, json_t *doc, struct mg_usage_event *ev);

/* Usage from a whole non-streamed response body, without building a tree
 * and without validating all of it (core/jscan.h mg_jscan_top): for a body
 * jansson accepts, exactly what json_loadb(body, 0) followed by the kind's
 * whole-body rule and mg_usage_extract gives; for one it rejects, the units
 * its well-formed top-level members carry (the upstream billed them).
 * Returns 1 if units were found. */
int mg_usage_from_body(enum mg_usage_kind kind, const char *body, size_t len, struct mg_usage_event *ev);

/* Usage from one SSE frame's data, without building a tree: exactly what
 * json_loadb(data, 0) followed by mg_usage_extract gives, on every input.  The
 * kind's needles are checked first, so most frames cost one memmem.  Returns
 * 1 if units were found. */
int mg_usage_from_frame(enum mg_usage_kind kind, const char *data, size_t len, struct mg_usage_event *ev);

/* Cheap pre-filter for stream frames: 0 if `data` cannot hold usage for the
 * kind, so the frame need not be parsed. */
extern const struct mg_needle mg_needle_unicode_escape; /* "\u": a key may be spelled with escapes */
extern const struct mg_needle mg_needle_message_delta;  /* Anthropic's frame with the final usage */
int mg_usage_frame_may_matter(enum mg_usage_kind kind, const char *data, size_t len);

/* MiniMax's base_resp.status_code of a document (0 if absent). */
int mg_usage_base_code(json_t *doc);

#endif
