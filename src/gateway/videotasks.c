/* videotasks.c: video tasks' holds and bills on this node (see videotasks.h). */
#include "gateway/videotasks.h"
#include "core/mg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct hold {
    char id[MG_VIDEO_TASK_ID]; /* "" = taken (a hole the ring skips) */
    int64_t key_id, made_ms;
    struct mg_reservation acct, key;
};

struct mg_video_tasks {
    pthread_mutex_t mu;
    struct hold holds[MG_VIDEO_HOLDS]; /* a ring in creation order: [head, head + n) */
    size_t head, n;
    char billed[MG_VIDEO_BILLED][MG_VIDEO_TASK_ID];
    size_t billed_next;
};

struct mg_video_tasks *mg_video_tasks_new(void)
{
    struct mg_video_tasks *v = mg_calloc(1, sizeof(*v));
    pthread_mutex_init(&v->mu, NULL);
    return v;
}

static void pop_oldest(struct mg_video_tasks *v)
{
    struct hold *h = &v->holds[v->head];
    mg_reserve_release(&h->acct); /* no-ops for a hole */
    mg_reserve_release(&h->key);
    h->id[0] = '\0';
    v->head = (v->head + 1) % MG_VIDEO_HOLDS;
    v->n--;
}

void mg_video_tasks_free(struct mg_video_tasks *v)
{
    if (v == NULL)
        return;
    while (v->n > 0)
        pop_oldest(v);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

void mg_video_tasks_hold(struct mg_video_tasks *v, const char *task_id, int64_t key_id, struct mg_reservation *acct,
                         struct mg_reservation *key, int64_t now_ms)
{
    pthread_mutex_lock(&v->mu);
    while (v->n > 0 && (v->holds[v->head].id[0] == '\0' || v->holds[v->head].made_ms + MG_VIDEO_HOLD_MS <= now_ms ||
                        v->n == MG_VIDEO_HOLDS))
        pop_oldest(v);
    struct hold *h = &v->holds[(v->head + v->n++) % MG_VIDEO_HOLDS];
    mg_strlcpy(h->id, task_id, sizeof(h->id));
    h->key_id = key_id;
    h->made_ms = now_ms;
    h->acct = *acct;
    h->key = *key;
    memset(acct, 0, sizeof(*acct));
    memset(key, 0, sizeof(*key));
    pthread_mutex_unlock(&v->mu);
}

int mg_video_tasks_take(struct mg_video_tasks *v, const char *task_id, struct mg_reservation *acct,
                        struct mg_reservation *key, int64_t *key_id)
{
    int found = 0;
    memset(acct, 0, sizeof(*acct));
    memset(key, 0, sizeof(*key));
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < v->n && !found; i++) {
        struct hold *h = &v->holds[(v->head + i) % MG_VIDEO_HOLDS];
        if (h->id[0] == '\0' || strcmp(h->id, task_id) != 0)
            continue;
        *acct = h->acct;
        *key = h->key;
        *key_id = h->key_id;
        memset(h, 0, sizeof(*h)); /* a hole, popped when it reaches the head */
        found = 1;
    }
    pthread_mutex_unlock(&v->mu);
    return found;
}

int mg_video_tasks_billed(struct mg_video_tasks *v, const char *task_id)
{
    int found = 0;
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < MG_VIDEO_BILLED && !found; i++)
        found = strcmp(v->billed[i], task_id) == 0;
    if (!found) {
        mg_strlcpy(v->billed[v->billed_next], task_id, MG_VIDEO_TASK_ID);
        v->billed_next = (v->billed_next + 1) % MG_VIDEO_BILLED;
    }
    pthread_mutex_unlock(&v->mu);
    return found;
}
