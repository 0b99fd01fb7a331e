/* service.c: API family names, which double as key scopes. */
#include "core/service.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

static const char *const names[MG_SVC__COUNT] = {
    [MG_SVC_CHAT] = "chat",   [MG_SVC_SPEECH] = "speech", [MG_SVC_VIDEO] = "video", [MG_SVC_IMAGE] = "image",
    [MG_SVC_MUSIC] = "music", [MG_SVC_VOICE] = "voice",   [MG_SVC_FILES] = "files", [MG_SVC_QUOTA] = "quota",
};

const char *mg_service_name(enum mg_service s) { return names[s]; }

int mg_service_parse(const char *s, enum mg_service *out)
{
    for (int i = 0; i < MG_SVC__COUNT; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum mg_service)i;
            return MG_OK;
        }
    }
    return MG_DECLINED;
}

int mg_scopes_parse(const char *list, uint32_t *out, char *bad, size_t badcap)
{
    uint32_t bits = 0;
    const char *p = list;
    if (*list == '\0' || strcmp(list, "all") == 0) {
        *out = MG_SCOPES_ALL;
        return MG_OK;
    }
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char word[32];
        enum mg_service s;
        if (n == 0 || n >= sizeof(word))
            goto fail;
        memcpy(word, p, n);
        word[n] = '\0';
        if (mg_service_parse(word, &s) != MG_OK || s == MG_SVC_QUOTA)
            goto fail;
        bits |= MG_SCOPE(s);
        p += n + (e != NULL);
        continue;
    fail:
        if (bad != NULL)
            snprintf(bad, badcap, "%.*s", (int)MG_MIN(n, 31), p);
        return MG_DECLINED;
    }
    *out = bits;
    return MG_OK;
}

void mg_scopes_format(uint32_t scopes, char *out, size_t cap)
{
    size_t len = 0;
    if ((scopes & MG_SCOPES_ALL) == MG_SCOPES_ALL) {
        snprintf(out, cap, "all");
        return;
    }
    out[0] = '\0';
    for (int i = 0; i < MG_SVC_QUOTA; i++) {
        if (scopes & MG_SCOPE(i)) {
            int w = snprintf(out + len, cap > len ? cap - len : 0, "%s%s", len ? "," : "", names[i]);
            if (w > 0)
                len += (size_t)w;
        }
    }
}
