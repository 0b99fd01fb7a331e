/* embed.c: lookup in an embedded file set (embed.h). */
#include "core/embed.h"

#include <string.h>

const struct mg_embed_file *mg_embed_find(const struct mg_embed_set *set, const char *path, size_t len)
{
    size_t lo = 0, hi = set->count;
    while (lo < hi) { /* binary search: the generator sorts by path */
        size_t mid = lo + (hi - lo) / 2;
        const char *p = set->files[mid].path;
        int c = strncmp(p, path, len);
        if (c == 0 && p[len] != '\0')
            c = 1;
        if (c == 0)
            return &set->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
