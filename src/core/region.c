/* region.c: the two MiniMax regions. */
#include "core/region.h"
#include "core/mg.h"

#include <strings.h>

static const struct {
    const char *name, *tag, *base;
} regions[MG_REGION__COUNT] = {
    [MG_REGION_GLOBAL] = {"global", "gl", "https://api.minimax.io"},
    [MG_REGION_CN] = {"cn", "cn", "https://api.minimaxi.com"},
};

const char *mg_region_name(enum mg_region r) { return regions[r].name; }
const char *mg_region_tag(enum mg_region r) { return regions[r].tag; }
const char *mg_region_api_base(enum mg_region r) { return regions[r].base; }

int mg_region_parse(const char *s, enum mg_region *out)
{
    for (int r = 0; r < MG_REGION__COUNT; r++) {
        if (strcasecmp(s, regions[r].name) == 0 || strcasecmp(s, regions[r].tag) == 0) {
            *out = (enum mg_region)r;
            return MG_OK;
        }
    }
    return MG_DECLINED;
}
