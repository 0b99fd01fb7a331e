/*
 * region.h: MiniMax's two regions.  Keys and channels are bound to one.
 * Lives in core because the CLI needs it too.
 */
#ifndef MG_CORE_REGION_H
#define MG_CORE_REGION_H

enum mg_region {
    MG_REGION_GLOBAL = 0, /* https://api.minimax.io,  key tag "gl" */
    MG_REGION_CN = 1,     /* https://api.minimaxi.com, key tag "cn" */
    MG_REGION__COUNT
};

const char *mg_region_name(enum mg_region r);     /* "global" | "cn" */
const char *mg_region_tag(enum mg_region r);      /* "gl" | "cn" (the key's region field) */
const char *mg_region_api_base(enum mg_region r); /* MiniMax's official base URL */
/* Accepts "global", "gl", "cn" (case-insensitive).  MG_OK or MG_DECLINED. */
int mg_region_parse(const char *s, enum mg_region *out);

#endif
