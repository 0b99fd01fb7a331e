/*
 * video_price.h: a price row's video entries as text (BL-1).  MiniMax
 * prices Hailuo per video by resolution and duration and MiniMax-H3 per
 * second by resolution; a row says so in entries of the form
 *
 *     RESOLUTION[/SECONDSs]=PRICE[/s]      e.g. 768P/6s=0.25, 2K=0.13/s, or with * for any resolution
 *
 * RESOLUTION a word of letters and digits or * (any); no /SECONDSs = any
 * length; /s = the price is per second.  Entries are separated by commas.
 */
#ifndef MG_CORE_VIDEO_PRICE_H
#define MG_CORE_VIDEO_PRICE_H

#include <stddef.h>
#include <stdint.h>
#include "core/price_record.h"

#define MG_PRICE_MAX_MICROS 1000000000000LL /* a million currency units per unit: far above any real price */
#define MG_RATIO_ONE 1000000                /* ratios are parts per million: 400000 = 40 % */

/* 1 if res (len bytes) is a resolution word: 1..7 letters and digits. */
int mg_video_res_valid(const char *res, size_t len);
/* Sets p's video entries from the text ("" for none): MG_OK, or
 * MG_DECLINED with err saying what to fix (p unchanged).  At most
 * MG_VIDEO_PRICES_MAX entries; a resolution and length priced twice is refused. */
int mg_video_prices_parse(const char *s, struct mg_price *p, char *err, size_t errlen);
/* The same text of p's entries at ratio_ppm (MG_RATIO_ONE: official). */
void mg_video_prices_format(const struct mg_price *p, int64_t ratio_ppm, char *buf, size_t cap);
/* official x ratio, rounded once, half up (as a bill is rounded). */
int64_t mg_price_apply_ratio(int64_t official, int64_t ratio_ppm);

#endif
