/* ratelimit.c: GCRA words for the per-key limits (see ratelimit.h). */
#include "gateway/ratelimit.h"
#include "core/mg.h"

int mg_rate_take(_Atomic int64_t *tat, int64_t limit, int64_t cost, int64_t now_ns, int64_t *wait_ns)
{
    int64_t t = mg_rate_interval(limit), burst = limit * t;
    int64_t old = atomic_load_explicit(tat, memory_order_relaxed);
    for (;;) {
        int64_t next = (old > now_ns ? old : now_ns) + cost * t;
        if (next - now_ns > burst) {
            *wait_ns = next - now_ns - burst;
            return MG_DECLINED;
        }
        if (atomic_compare_exchange_weak_explicit(tat, &old, next, memory_order_relaxed, memory_order_relaxed))
            return MG_OK;
    }
}

void mg_rate_adjust(_Atomic int64_t *tat, int64_t interval, int64_t delta)
{
    if (delta != 0)
        atomic_fetch_add_explicit(tat, delta * interval, memory_order_relaxed);
}

int mg_rate_hold_take(struct mg_rate_hold *h, _Atomic int64_t *tat, int64_t limit, int64_t tokens, int64_t now_ns,
                      int64_t *wait_ns)
{
    int rc = mg_rate_take(tat, limit, tokens, now_ns, wait_ns);
    if (rc == MG_OK) {
        h->tat = tat;
        h->interval = mg_rate_interval(limit);
        h->tokens = tokens;
    }
    return rc;
}

void mg_rate_settle(struct mg_rate_hold *h, int64_t used)
{
    if (h->tat == NULL)
        return;
    mg_rate_adjust(h->tat, h->interval, (used > 0 ? used : 0) - h->tokens);
    h->tat = NULL;
    h->tokens = 0;
}

void mg_rate_release(struct mg_rate_hold *h)
{
    if (h->tat == NULL || h->tokens == 0)
        return;
    mg_rate_adjust(h->tat, h->interval, -h->tokens);
    h->tokens = 0;
}
