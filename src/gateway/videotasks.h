/*
 * videotasks.h: what this node knows of the video tasks it created (BL-2,
 * BL-3).  A video is billed when a query first reports it done, which may be
 * minutes after its creation; so
 *
 *   - its creation's hold on the caps (the worst case: its model's price for
 *     the length and resolution asked) is kept here, keyed by task id, until
 *     the query that bills it settles it, or one reports it failed, or it is
 *     MG_VIDEO_HOLD_MS old: concurrent creations cannot pass a cap together;
 *   - the tasks it billed are remembered, so a second query bills nothing
 *     (the database's key, video-<task id>, dedups across restarts).
 *
 * Both are bounded rings under one mutex, taken only on video routes.  At
 * the ceiling the oldest hold goes back early (the cap is then checked, not
 * held, for that task) and the oldest billed id is forgotten.  Holds live in
 * memory: a restart, or a query answered by another node, lets them go at
 * their age (another node bills without them).
 */
#ifndef MG_GATEWAY_VIDEOTASKS_H
#define MG_GATEWAY_VIDEOTASKS_H

#include "billing/reserve.h"

#include <stdint.h>

#define MG_VIDEO_HOLDS 4096                   /* videos created and not yet billed, per node */
#define MG_VIDEO_BILLED 4096                  /* videos billed, remembered per node */
#define MG_VIDEO_HOLD_MS (24LL * 3600 * 1000) /* a task never queried: its hold goes back after a day */
#define MG_VIDEO_TASK_ID 128                  /* = the gateway's MAX_RESOURCE_ID */

struct mg_video_tasks;

struct mg_video_tasks *mg_video_tasks_new(void);
/* Releases every hold still kept. */
void mg_video_tasks_free(struct mg_video_tasks *v);

/* Keeps *acct and *key (moved: both emptied) as task_id's holds, made by key
 * key_id at now_ms; holds past MG_VIDEO_HOLD_MS, and the oldest at the
 * ceiling, go back first. */
void mg_video_tasks_hold(struct mg_video_tasks *v, const char *task_id, int64_t key_id, struct mg_reservation *acct,
                         struct mg_reservation *key, int64_t now_ms);
/* Takes task_id's holds out (1), or leaves *acct and *key empty (0);
 * *key_id is the key that created it. */
int mg_video_tasks_take(struct mg_video_tasks *v, const char *task_id, struct mg_reservation *acct,
                        struct mg_reservation *key, int64_t *key_id);
/* 1 if task_id was billed on this node already; else it is marked billed now (0). */
int mg_video_tasks_billed(struct mg_video_tasks *v, const char *task_id);

#endif
