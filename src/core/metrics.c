/*
 * metrics.c: counters for /metrics.  Routes and channels are few and named by
 * static strings, so each gets a slot in a small fixed table found by pointer
 * (then string) comparison; updates are relaxed atomics.
 */
#include "core/metrics.h"
#include "core/buf.h"
#include "core/mg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_SLOTS 64 /* routes and channels each; far more than GW-1 has families */
static const int64_t bucket_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 50000, 250000, 1000000, 5000000};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct route_slot {
    const char *_Atomic name;
    _Atomic uint64_t by_class[6]; /* 1xx..5xx, index = status / 100 */
    _Atomic uint64_t lat_bucket[NBUCKETS + 1];
    _Atomic uint64_t lat_sum_us, lat_count;
};
struct chan_slot {
    const char *_Atomic name;
    _Atomic uint64_t ok, err, transport;
};

static struct route_slot routes[MAX_SLOTS];
static struct chan_slot chans[MAX_SLOTS];
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int64_t inflight;
static _Atomic uint64_t usage_events, usage_cost;
static _Atomic int64_t reserved;

#define SLOT_FIND(table, nm)                                                                              \
    do {                                                                                                  \
        for (size_t i_ = 0; i_ < MAX_SLOTS; i_++) {                                                       \
            const char *n_ = atomic_load_explicit(&table[i_].name, memory_order_acquire);                 \
            if (n_ == NULL) {                                                                             \
                pthread_mutex_lock(&slot_lock);                                                           \
                n_ = atomic_load(&table[i_].name);                                                        \
                if (n_ == NULL)                                                                           \
                    atomic_store_explicit(&table[i_].name, (nm), memory_order_release), n_ = (nm);        \
                pthread_mutex_unlock(&slot_lock);                                                         \
            }                                                                                             \
            if (n_ == (nm) || strcmp(n_, (nm)) == 0)                                                      \
                return &table[i_];                                                                        \
        }                                                                                                 \
        return NULL;                                                                                      \
    } while (0)

static struct route_slot *route_slot(const char *name) { SLOT_FIND(routes, name); }
static struct chan_slot *chan_slot(const char *name) { SLOT_FIND(chans, name); }

void mg_metrics_request(const char *route, int status, int64_t latency_us, int64_t ttfb_us)
{
    struct route_slot *s = route_slot(route ? route : "none");
    size_t b = 0;
    (void)ttfb_us;
    if (s == NULL)
        return;
    atomic_fetch_add_explicit(&s->by_class[(status / 100) % 6], 1, memory_order_relaxed);
    while (b < NBUCKETS && latency_us > bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&s->lat_bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->lat_sum_us, (uint64_t)latency_us, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->lat_count, 1, memory_order_relaxed);
}

void mg_metrics_upstream(const char *channel, int status)
{
    struct chan_slot *s = chan_slot(channel);
    if (s == NULL)
        return;
    if (status == 0)
        atomic_fetch_add_explicit(&s->transport, 1, memory_order_relaxed);
    else if (status >= 500 || status == 429)
        atomic_fetch_add_explicit(&s->err, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&s->ok, 1, memory_order_relaxed);
}

void mg_metrics_inflight(int delta) { atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed); }

void mg_metrics_usage_event(int64_t cost_micros)
{
    atomic_fetch_add_explicit(&usage_events, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&usage_cost, (uint64_t)cost_micros, memory_order_relaxed);
}

void mg_metrics_reserved(int64_t delta) { atomic_fetch_add_explicit(&reserved, delta, memory_order_relaxed); }

int64_t mg_metrics_reserved_now(void) { return atomic_load_explicit(&reserved, memory_order_relaxed); }

char *mg_metrics_render(size_t *len)
{
    struct mg_buf b;
    mg_buf_init(&b, 1 << 20);
    mg_buf_appendf(&b, "# HELP maxgate_requests_total Client requests by route and status class.\n"
                       "# TYPE maxgate_requests_total counter\n");
    for (size_t i = 0; i < MAX_SLOTS; i++) {
        const char *n = atomic_load(&routes[i].name);
        if (n == NULL)
            break;
        for (int c = 1; c < 6; c++)
            mg_buf_appendf(&b, "maxgate_requests_total{route=\"%s\",class=\"%dxx\"} %llu\n", n, c,
                           (unsigned long long)atomic_load(&routes[i].by_class[c]));
    }
    mg_buf_appendf(&b, "# HELP maxgate_request_duration_seconds Client request latency.\n"
                       "# TYPE maxgate_request_duration_seconds histogram\n");
    for (size_t i = 0; i < MAX_SLOTS; i++) {
        const char *n = atomic_load(&routes[i].name);
        uint64_t cum = 0;
        if (n == NULL)
            break;
        for (size_t k = 0; k <= NBUCKETS; k++) {
            cum += atomic_load(&routes[i].lat_bucket[k]);
            if (k < NBUCKETS)
                mg_buf_appendf(&b, "maxgate_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", n,
                               (double)bucket_us[k] / 1e6, (unsigned long long)cum);
            else
                mg_buf_appendf(&b, "maxgate_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", n,
                               (unsigned long long)cum);
        }
        mg_buf_appendf(&b, "maxgate_request_duration_seconds_sum{route=\"%s\"} %.6f\n", n,
                       (double)atomic_load(&routes[i].lat_sum_us) / 1e6);
        mg_buf_appendf(&b, "maxgate_request_duration_seconds_count{route=\"%s\"} %llu\n", n,
                       (unsigned long long)atomic_load(&routes[i].lat_count));
    }
    mg_buf_appendf(&b, "# HELP maxgate_upstream_responses_total Upstream attempts by channel and outcome.\n"
                       "# TYPE maxgate_upstream_responses_total counter\n");
    for (size_t i = 0; i < MAX_SLOTS; i++) {
        const char *n = atomic_load(&chans[i].name);
        if (n == NULL)
            break;
        mg_buf_appendf(&b, "maxgate_upstream_responses_total{channel=\"%s\",outcome=\"ok\"} %llu\n", n,
                       (unsigned long long)atomic_load(&chans[i].ok));
        mg_buf_appendf(&b, "maxgate_upstream_responses_total{channel=\"%s\",outcome=\"error\"} %llu\n", n,
                       (unsigned long long)atomic_load(&chans[i].err));
        mg_buf_appendf(&b, "maxgate_upstream_responses_total{channel=\"%s\",outcome=\"transport\"} %llu\n", n,
                       (unsigned long long)atomic_load(&chans[i].transport));
    }
    mg_buf_appendf(&b,
                   "# HELP maxgate_inflight_requests Requests being served.\n# TYPE maxgate_inflight_requests gauge\n"
                   "maxgate_inflight_requests %lld\n"
                   "# HELP maxgate_usage_events_total Usage events recorded.\n# TYPE maxgate_usage_events_total counter\n"
                   "maxgate_usage_events_total %llu\n"
                   "# HELP maxgate_billed_micros_total Cost recorded, micro-units.\n"
                   "# TYPE maxgate_billed_micros_total counter\nmaxgate_billed_micros_total %llu\n"
                   "# HELP maxgate_reserved_micros Worst-case cost reserved by requests in flight, micro-units.\n"
                   "# TYPE maxgate_reserved_micros gauge\nmaxgate_reserved_micros %lld\n",
                   (long long)atomic_load(&inflight), (unsigned long long)atomic_load(&usage_events),
                   (unsigned long long)atomic_load(&usage_cost), (long long)atomic_load(&reserved));
    *len = b.len;
    return b.data;
}
