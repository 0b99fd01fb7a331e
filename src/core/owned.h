/*
 * owned.h: the kinds of async resource that belong to one account (GW-6).
 */
#ifndef MG_CORE_OWNED_H
#define MG_CORE_OWNED_H

#include <stdint.h>

/* Who owns an async resource (GW-6). */
enum mg_owned_kind { MG_OWNED_VIDEO_TASK = 'v', MG_OWNED_SPEECH_TASK = 's', MG_OWNED_FILE = 'f', MG_OWNED_VOICE = 'o' };


#define MG_VIDEO_RES_MAX 8 /* "768P", "1080P", "2K" and a NUL */
#define MG_TASK_STATE_MAX 16

/* What the store keeps of an owned resource (GW-6): whose it is, and for an
 * async task what the usage log shows (its creation and last state) and
 * what a video's bill needs (the length and resolution its creation asked). */
struct mg_owned {
    int64_t account_id;
    int64_t key_id;
    int64_t created_ms;
    char model[96];                     /* the model it was created with, or "" */
    int64_t video_seconds;              /* a video task: the seconds asked, 0 = not named */
    char video_res[MG_VIDEO_RES_MAX];   /* ... the resolution asked, "" = not named */
    char state[MG_TASK_STATE_MAX];      /* a task: the last state a query answer reported, "" = none yet */
    int64_t state_ms;
};

#endif
