/*
 * prices.h: the price table (BL-1).  Official prices in integer micro-units of
 * the deployment's currency, per unit as MiniMax bills it, times the operator's
 * ratio.  No floating point anywhere: products are taken in 128 bits and
 * rounded once, half up, at the end.
 */
#ifndef MG_BILLING_PRICES_H
#define MG_BILLING_PRICES_H

#include <stdint.h>
#include "core/money.h"
#include "core/price_record.h"
#include "core/video_price.h"
#include "core/usage_event.h"



/* The output limit of a chat model without its own: MiniMax's M2.x range for
 * max_tokens is [1, 204800] (MINIMAX-API.md section 2, the context window). */
#define MG_DEFAULT_MAX_OUTPUT 204800

/* Model names: what the gateway forwards and bills under.  MiniMax's names
 * use letters, digits and . _ : / - and are short; anything else (spaces,
 * quotes, CR LF) is refused before it reaches a log line or the upstream. */
#define MG_MODEL_NAME_MAX 64

/* The billing keys: the units a usage event counts, each priced by one
 * column of struct mg_price.  A usage kind names the units it sets
 * (gateway/usage.h); mg_prices_cost walks the same table. */
enum mg_bill_unit {
    MG_BILL_INPUT_TOKENS = 1 << 0, /* uncached input: input_tokens - cached_tokens */
    MG_BILL_OUTPUT_TOKENS = 1 << 1,
    MG_BILL_CACHED_TOKENS = 1 << 2,
    MG_BILL_CHARACTERS = 1 << 3,
    MG_BILL_IMAGES = 1 << 4,
    MG_BILL_VIDEOS = 1 << 5,
    MG_BILL_TRACKS = 1 << 6,
    MG_BILL_VOICES = 1 << 7,
};

/* The units of ev that are non-zero (a mask of enum mg_bill_unit). */
unsigned mg_bill_units_of(const struct mg_usage_event *ev);

struct mg_price_table;

/* The built-in official global (USD) table of MINIMAX-API.md section 4. */
struct mg_price_table *mg_prices_default(void);
void mg_prices_free(struct mg_price_table *t);
/* Adds or replaces a row (config overrides): a row whose pattern is the same
 * string replaces it whole, any other is added. */
void mg_prices_set(struct mg_price_table *t, const struct mg_price *p);
/* The ratio for accounts without one of their own (MG_RATIO_ONE in a default table). */
int64_t mg_prices_ratio(const struct mg_price_table *t);
void mg_prices_set_ratio(struct mg_price_table *t, int64_t ratio_ppm);
/* The rows, in table order (for listing). */
size_t mg_prices_count(const struct mg_price_table *t);
const struct mg_price *mg_prices_row(const struct mg_price_table *t, size_t i);
/* The row for a model: exact match first, then the longest '*' prefix; NULL if none. */
const struct mg_price *mg_prices_find(const struct mg_price_table *t, const char *model);
/* 1 if `name` (len bytes) is a valid model name: 1..MG_MODEL_NAME_MAX bytes
 * of [A-Za-z0-9._:/-], plus '*' when allow_star (price patterns, at most one). */
int mg_model_name_valid(const char *name, size_t len, int allow_star);

/* 1 if p prices at least one of `units` (a mask of enum mg_bill_unit) above
 * zero: a row that prices none of what a route bills leaves it free. */
int mg_price_covers(const struct mg_price *p, unsigned units);

/* The largest max_tokens admitted for p's model (MG_DEFAULT_MAX_OUTPUT when
 * p is NULL or has no limit of its own). */
int64_t mg_price_max_output(const struct mg_price *p);

/* Sets one column of a row from the config file's `name = value`
 * ([price.MODEL] sections, docs/operations.md): money columns take a decimal
 * amount of the currency ("0.30", at most 6 decimals), max_output_tokens a
 * whole number.  MG_OK; MG_DECLINED for a bad value; MG_ERR for an unknown
 * name.  mg_price_columns() lists the names ("a, b, ...") for messages. */
int mg_price_set_column(struct mg_price *p, const char *name, const char *value);
const char *mg_price_columns(void);

/* ---- videos by resolution and length (core/price_record.h) ---- */
/* p's entry for a video of res ("" = not named) and seconds; NULL if none. */
const struct mg_video_price *mg_video_price_find(const struct mg_price *p, const char *res, int64_t seconds);
/* What one such video costs at official price: the entry's price (per
 * second x seconds), else p->per_video.  seconds <= 0: MG_VIDEO_DEFAULT_SECONDS. */
int64_t mg_video_unit_price(const struct mg_price *p, const char *res, int64_t seconds);
/* The cost of ev's units at official price times ratio_ppm; 0 for an
 * unpriced model (which is logged once per model as a warning). */
int64_t mg_prices_cost(const struct mg_price_table *t, const struct mg_usage_event *ev, int64_t ratio_ppm);
/* Parses "0.40", "1", "40%" into ppm.  MG_OK or MG_DECLINED. */
int mg_ratio_parse(const char *s, int64_t *ppm);

#endif
