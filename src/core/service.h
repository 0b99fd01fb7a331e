/*
 * service.h: the API families of GW-1, which are also the key scopes (KY-3).
 */
#ifndef MG_CORE_SERVICE_H
#define MG_CORE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

enum mg_service {
    MG_SVC_CHAT = 0,
    MG_SVC_SPEECH,
    MG_SVC_VIDEO,
    MG_SVC_IMAGE,
    MG_SVC_MUSIC,
    MG_SVC_VOICE,
    MG_SVC_FILES,
    MG_SVC_QUOTA, /* answered by maxgate itself; every key may ask */
    MG_SVC__COUNT
};

#define MG_SCOPE(svc) (1u << (svc))
#define MG_SCOPES_ALL ((1u << MG_SVC_QUOTA) - 1u) /* every family a key can be scoped to */

const char *mg_service_name(enum mg_service s); /* "chat", "speech", ... */
int mg_service_parse(const char *s, enum mg_service *out);
/* "chat,speech" -> bits; "all" or "" -> MG_SCOPES_ALL.  MG_DECLINED names the
 * bad entry in bad (may be NULL). */
int mg_scopes_parse(const char *list, uint32_t *out, char *bad, size_t badcap);
/* bits -> "chat,speech" (or "all"). */
void mg_scopes_format(uint32_t scopes, char *out, size_t cap);

#endif
