/*
 * owned.h: the kinds of async resource that belong to one account (GW-6).
 */
#ifndef MG_CORE_OWNED_H
#define MG_CORE_OWNED_H


/* Who owns an async resource (GW-6). */
enum mg_owned_kind { MG_OWNED_VIDEO_TASK = 'v', MG_OWNED_SPEECH_TASK = 's', MG_OWNED_FILE = 'f', MG_OWNED_VOICE = 'o' };

#endif
