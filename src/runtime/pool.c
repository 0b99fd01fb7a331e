/*
 * pool.c: worker threads for blocking work (see pool.h).
 *
 * One FIFO under a mutex; each worker opens its own store handle.  A finished
 * job travels back to the loop that submitted it as an h2o_multithread
 * message, and done() runs there.
 */
#include "runtime/pool.h"
#include "core/log.h"
#include "core/mg.h"

#include <pthread.h>
#include <string.h>

struct mg_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mg_job *head, *tail;
    size_t queued, max_queue;
    int stop;
    size_t nthreads;
    pthread_t *threads;
    char *store_spec;
};

struct mg_pool_loop {
    struct mg_pool *pool;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t receiver;
};

static void *worker(void *arg)
{
    struct mg_pool *p = arg;
    char err[256];
    struct mg_store *store = mg_store_open(p->store_spec, err, sizeof(err));
    if (store == NULL)
        mg_log(MG_LOG_ERROR, "worker: %s", err);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == NULL && !p->stop)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->head == NULL)
            break;
        struct mg_job *job = p->head;
        p->head = job->_next;
        if (p->head == NULL)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->lock);
        job->run(job, store);
        h2o_multithread_send_message(&job->_loop->receiver, &job->_msg);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    if (store)
        store->ops->close(store);
    return NULL;
}

struct mg_pool *mg_pool_new(size_t nthreads, const char *store_spec, size_t max_queue)
{
    struct mg_pool *p = mg_calloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->max_queue = max_queue;
    p->store_spec = mg_strdup(store_spec);
    p->threads = mg_calloc(nthreads, sizeof(*p->threads));
    for (size_t i = 0; i < nthreads; i++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) == 0)
            p->nthreads++;
    return p;
}

static void on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        struct mg_job *job = H2O_STRUCT_FROM_MEMBER(struct mg_job, _msg, m);
        h2o_linklist_unlink(&m->link);
        job->done(job);
    }
}

struct mg_pool_loop *mg_pool_attach(struct mg_pool *pool, h2o_loop_t *loop)
{
    struct mg_pool_loop *pl = mg_calloc(1, sizeof(*pl));
    pl->pool = pool;
    pl->queue = h2o_multithread_create_queue(loop);
    h2o_multithread_register_receiver(pl->queue, &pl->receiver, on_done);
    return pl;
}

int mg_pool_submit(struct mg_pool_loop *pl, struct mg_job *job)
{
    struct mg_pool *p = pl->pool;
    memset(&job->_msg, 0, sizeof(job->_msg));
    job->_next = NULL;
    job->_loop = pl;
    pthread_mutex_lock(&p->lock);
    if (p->queued >= p->max_queue || p->stop) {
        pthread_mutex_unlock(&p->lock);
        return MG_AGAIN;
    }
    if (p->tail)
        p->tail->_next = job;
    else
        p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return MG_OK;
}

void mg_pool_free(struct mg_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    free(p->store_spec);
    free(p);
}
