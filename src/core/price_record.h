/*
 * price_record.h: one row of the price table (BL-1) as the store keeps it
 * and billing/prices.h prices with: official prices in integer micro-units of
 * the deployment's currency, per unit as MiniMax bills it.
 */
#ifndef MG_CORE_PRICE_RECORD_H
#define MG_CORE_PRICE_RECORD_H

#include <stdint.h>
#include "core/owned.h"

/* A video's price by resolution and length (BL-1): MiniMax prices Hailuo per
 * video by resolution and duration and MiniMax-H3 per second by resolution.
 * A video is priced by the row's entry that matches it best (its resolution
 * before "*", its length before any length), else by the row's per_video. */
#define MG_VIDEO_PRICES_MAX 12        /* entries a row may have */
#define MG_VIDEO_DEFAULT_SECONDS 6    /* a video whose creation names no duration: MiniMax's default */
#define MG_VIDEO_SECONDS_MAX 600      /* the longest length a price or a request may name */
struct mg_video_price {
    char res[MG_VIDEO_RES_MAX]; /* "768P", "2K"; "*" = any resolution */
    int64_t seconds;            /* 0 = any length */
    int64_t micros;             /* per video, or per second when per_second */
    int per_second;
};

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
    int nvideo;                /* entries of video[] in use */
    struct mg_video_price video[MG_VIDEO_PRICES_MAX];
};

#endif
