/*
 * price_record.h: one row of the price table (BL-1) as the store keeps it
 * and billing/prices.h prices with: official prices in integer micro-units of
 * the deployment's currency, per unit as MiniMax bills it.
 */
#ifndef MG_CORE_PRICE_RECORD_H
#define MG_CORE_PRICE_RECORD_H

#include <stdint.h>

struct mg_price {
    char model[96];          /* exact model name, or a prefix ending in '*' */
    int64_t input_per_mtok;  /* per 1,000,000 input tokens */
    int64_t output_per_mtok;
    int64_t cached_per_mtok; /* cache reads */
    int64_t per_10k_chars;   /* speech */
    int64_t per_image;
    int64_t per_video;
    int64_t per_track;
    int64_t per_voice;       /* voice clone / voice design */
    int64_t max_output_tokens; /* chat: the largest max_tokens admitted; 0 = MG_DEFAULT_MAX_OUTPUT */
};

#endif
