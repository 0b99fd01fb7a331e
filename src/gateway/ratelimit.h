/*
 * ratelimit.h: GW-9's per-key limits, requests per minute (RPM) and tokens
 * per minute (TPM), counted in memory on this node.
 *
 * Each limit is one word per key, the "theoretical arrival time" of the
 * generic cell rate algorithm (GCRA, ITU-T I.371): a limit of N per minute
 * spaces units T = ceil(60 s / N) apart and lets a burst of N through at
 * once.  Taking `cost` units at time `now` moves the word to
 * max(word, now) + cost * T, and is admitted when that lands at most N * T
 * past now.  So a key idle for a minute may send N at once, and N a minute
 * sustained; exactly N of any number of requests arriving together pass.
 * When one is refused, the wait until it would pass is exact: the real
 * seconds until a slot frees, for Retry-After.
 *
 * The word is changed by compare-and-swap: no lock, one cache line per
 * limited key, shared by the loop threads (a count per thread could not
 * admit exactly N across threads).  Keys without limits never touch it.
 *
 * TPM: a request takes its worst case up front (billing/estimate.h,
 * mg_estimate_tokens) and, when the upstream reports its usage, gives back
 * what it did not use (mg_rate_adjust with the difference; a real count
 * above the estimate takes the rest).  A request that ends without usage
 * gives all of it back.
 */
#ifndef MG_GATEWAY_RATELIMIT_H
#define MG_GATEWAY_RATELIMIT_H

#include <stdatomic.h>
#include <stdint.h>

#define MG_RATE_WINDOW_NS INT64_C(60000000000)
#define MG_RATE_LIMIT_MAX INT64_C(1000000000) /* per minute: T stays >= 60 ns, N * T fits easily */

/* ns between units of a limit of `limit` (1..MG_RATE_LIMIT_MAX) a minute. */
static inline int64_t mg_rate_interval(int64_t limit)
{
    return (MG_RATE_WINDOW_NS + limit - 1) / limit;
}

/* Takes cost (1..limit) units of a limit per minute at now_ns.  MG_OK:
 * taken.  MG_DECLINED: not taken; *wait_ns = how long until it would be
 * (> 0). */
int mg_rate_take(_Atomic int64_t *tat, int64_t limit, int64_t cost, int64_t now_ns, int64_t *wait_ns);

/* Moves the word by delta units of interval ns (negative: gives back). */
void mg_rate_adjust(_Atomic int64_t *tat, int64_t interval, int64_t delta);

/* What a request took of a key's TPM until its usage is known. */
struct mg_rate_hold {
    _Atomic int64_t *tat; /* NULL = not limited, or settled */
    int64_t interval;     /* ns per token when it was taken */
    int64_t tokens;       /* held; 0 once released */
};

/* Takes tokens for h (as mg_rate_take); on MG_OK h holds them. */
int mg_rate_hold_take(struct mg_rate_hold *h, _Atomic int64_t *tat, int64_t limit, int64_t tokens, int64_t now_ns,
                      int64_t *wait_ns);
/* The usage came: `used` tokens replace what h holds (all of them when it
 * was released before).  Once only: h is then empty. */
void mg_rate_settle(struct mg_rate_hold *h, int64_t used);
/* No usage may come: gives back what h holds (idempotent); a settle after
 * it still charges what was used. */
void mg_rate_release(struct mg_rate_hold *h);

/* Seconds for Retry-After from a wait in ns: rounded up, at least 1. */
static inline int64_t mg_rate_retry_s(int64_t wait_ns)
{
    int64_t s = (wait_ns + 999999999) / 1000000000;
    return s > 0 ? s : 1;
}

#endif
