/* clock.c: the injectable wall clock (see clock.h). */
#include "core/clock.h"
#include "core/mg.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t fixed_ms;   /* unit tests: a frozen clock */
static _Atomic int64_t offset_ms;  /* integration tests: fake start + real elapsed */

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mg_now_ms(void)
{
    int64_t f = atomic_load_explicit(&fixed_ms, memory_order_relaxed);
    if (f != 0)
        return f;
    return real_ms() + atomic_load_explicit(&offset_ms, memory_order_relaxed);
}

int64_t mg_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void mg_clock_set(int64_t now_ms)
{
    atomic_store(&fixed_ms, now_ms);
}

void mg_clock_advance(int64_t ms)
{
    atomic_fetch_add(&offset_ms, ms);
    int64_t f = atomic_load(&fixed_ms);
    while (f != 0 && !atomic_compare_exchange_weak(&fixed_ms, &f, f + ms))
        ;
}

void mg_clock_init_from_env(void)
{
    const char *v = getenv("MG_FAKE_NOW_MS");
    int64_t t;
    if (v != NULL && mg_parse_i64(v, strlen(v), &t) == MG_OK && t > 0)
        atomic_store(&offset_ms, t - real_ms());
}
