/*
 * pool.h: the worker pool.  Work that blocks or burns CPU (database calls,
 * Argon2id, PDF, SMTP) never runs on an event-loop thread: a loop thread
 * submits a job, a worker runs job->run() with its own store handle, and
 * job->done() runs back on the submitting loop thread (delivered through an
 * h2o_multithread queue).  The submitter keeps the job alive until done().
 */
#ifndef MG_RUNTIME_POOL_H
#define MG_RUNTIME_POOL_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <h2o/multithread.h>
#include "store/store.h"

struct mg_pool;
struct mg_pool_loop;

struct mg_job {
    void (*run)(struct mg_job *job, struct mg_store *store); /* worker thread; store may be NULL if it failed to open */
    void (*done)(struct mg_job *job);                        /* submitting loop thread */
    /* private to the pool */
    h2o_multithread_message_t _msg;
    struct mg_job *_next;
    struct mg_pool_loop *_loop;
};

/* nthreads workers, each opening `store_spec`; at most max_queue jobs wait. */
struct mg_pool *mg_pool_new(size_t nthreads, const char *store_spec, size_t max_queue);
/* Called once per loop thread, on that thread. */
struct mg_pool_loop *mg_pool_attach(struct mg_pool *pool, h2o_loop_t *loop);
/* MG_OK, or MG_AGAIN if the queue is full (answer 503 OVERLOADED). */
int mg_pool_submit(struct mg_pool_loop *pl, struct mg_job *job);
/* Stops the workers after the queue drains; NULL is fine. */
void mg_pool_free(struct mg_pool *pool);

#endif
