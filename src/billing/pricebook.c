/* pricebook.c: the replaceable price table (see pricebook.h). */
#include "billing/pricebook.h"
#include "core/log.h"
#include "core/mg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct version;

struct slot {
    _Alignas(64) const struct version *_Atomic hazard; /* announced while pinning, before it is read */
};

/* A table and its readers' counts, one cache line per slot. */
struct version {
    struct mg_price_table *t;
    struct count {
        _Alignas(64) _Atomic long n;
    } *counts; /* MG_PRICEBOOK_SLOTS */
};

struct mg_pricebook {
    _Atomic(struct version *) current;
    struct slot *slots;
    _Atomic unsigned nslots;
    uint64_t id;
    pthread_mutex_t lock; /* publishers and collectors */
    struct version *retired[MG_PRICEBOOK_RETIRED_MAX];
    size_t nretired;
};

static _Atomic uint64_t book_ids = 1;
static _Thread_local struct {
    uint64_t book;
    int slot;
} tl_slots[4];

static struct version *version_new(struct mg_price_table *t)
{
    struct version *v = mg_calloc(1, sizeof(*v));
    v->t = t;
    if (posix_memalign((void **)&v->counts, 64, MG_PRICEBOOK_SLOTS * sizeof(*v->counts)) != 0)
        abort();
    for (size_t i = 0; i < MG_PRICEBOOK_SLOTS; i++)
        atomic_init(&v->counts[i].n, 0);
    return v;
}

static void version_free(struct version *v)
{
    mg_prices_free(v->t);
    free(v->counts);
    free(v);
}

struct mg_pricebook *mg_pricebook_new(struct mg_price_table *t)
{
    struct mg_pricebook *b = mg_calloc(1, sizeof(*b));
    if (posix_memalign((void **)&b->slots, 64, MG_PRICEBOOK_SLOTS * sizeof(*b->slots)) != 0)
        abort();
    for (size_t i = 0; i < MG_PRICEBOOK_SLOTS; i++)
        atomic_init(&b->slots[i].hazard, NULL);
    atomic_init(&b->current, version_new(t));
    b->id = atomic_fetch_add(&book_ids, 1);
    pthread_mutex_init(&b->lock, NULL);
    return b;
}

void mg_pricebook_free(struct mg_pricebook *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nretired; i++)
        version_free(b->retired[i]);
    version_free(atomic_load(&b->current));
    free(b->slots);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* The calling thread's slot in b, taken on first use; -1 when none is left. */
static int my_slot(struct mg_pricebook *b)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(tl_slots); i++)
        if (tl_slots[i].book == b->id)
            return tl_slots[i].slot;
    unsigned n = atomic_fetch_add(&b->nslots, 1);
    if (n >= MG_PRICEBOOK_SLOTS) {
        mg_log(MG_LOG_ERROR, "price book: more than %d threads price requests", MG_PRICEBOOK_SLOTS);
        return -1;
    }
    for (size_t i = 0; i < MG_ARRAY_SIZE(tl_slots); i++)
        if (tl_slots[i].book == 0 || i == MG_ARRAY_SIZE(tl_slots) - 1) {
            tl_slots[i].book = b->id;
            tl_slots[i].slot = (int)n;
            break;
        }
    return (int)n;
}

int mg_pricebook_pin(struct mg_pricebook *b, struct mg_price_pin *p)
{
    int s = my_slot(b);
    p->t = NULL;
    p->version = NULL;
    if (s < 0)
        return MG_ERR;
    for (;;) {
        /* v is not read until it is announced and still current: a publisher that retires it after
         * the re-check sees the announcement (both seq_cst) and keeps it */
        struct version *v = atomic_load(&b->current);
        atomic_store(&b->slots[s].hazard, v);
        if (atomic_load(&b->current) != v)
            continue;
        atomic_fetch_add_explicit(&v->counts[s].n, 1, memory_order_relaxed);
        atomic_store_explicit(&b->slots[s].hazard, NULL, memory_order_release);
        p->t = v->t;
        p->version = v;
        p->slot = s;
        return MG_OK;
    }
}

void mg_pricebook_unpin(struct mg_price_pin *p)
{
    struct version *v = p->version;
    if (v == NULL)
        return;
    atomic_fetch_sub_explicit(&v->counts[p->slot].n, 1, memory_order_release);
    p->version = NULL;
    p->t = NULL;
}

static int in_use(struct mg_pricebook *b, struct version *v)
{
    unsigned n = MG_MIN(atomic_load(&b->nslots), (unsigned)MG_PRICEBOOK_SLOTS);
    for (unsigned i = 0; i < n; i++)
        if (atomic_load(&b->slots[i].hazard) == v || atomic_load_explicit(&v->counts[i].n, memory_order_acquire))
            return 1;
    return 0;
}

static size_t collect_locked(struct mg_pricebook *b)
{
    size_t k = 0;
    for (size_t i = 0; i < b->nretired; i++) {
        if (in_use(b, b->retired[i]))
            b->retired[k++] = b->retired[i];
        else
            version_free(b->retired[i]);
    }
    b->nretired = k;
    return k;
}

size_t mg_pricebook_collect(struct mg_pricebook *b)
{
    pthread_mutex_lock(&b->lock);
    size_t left = collect_locked(b);
    pthread_mutex_unlock(&b->lock);
    return left;
}

int mg_pricebook_publish(struct mg_pricebook *b, struct mg_price_table *t)
{
    pthread_mutex_lock(&b->lock);
    if (collect_locked(b) >= MG_PRICEBOOK_RETIRED_MAX) {
        pthread_mutex_unlock(&b->lock);
        mg_log(MG_LOG_ERROR, "price book: %d replaced price tables are still in use; the new prices wait",
               MG_PRICEBOOK_RETIRED_MAX);
        mg_prices_free(t);
        return MG_AGAIN;
    }
    struct version *old = atomic_exchange(&b->current, version_new(t));
    b->retired[b->nretired++] = old;
    collect_locked(b);
    pthread_mutex_unlock(&b->lock);
    return MG_OK;
}
