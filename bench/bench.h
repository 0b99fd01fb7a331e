/*
 * bench.h: timing helpers for the micro-benchmarks (bench/bench_*.c).  Each
 * measurement runs `rounds` rounds of `iters` calls and reports the median
 * round in ns per call, so one noisy round on a shared machine does not move
 * the number.
 */
#ifndef MG_BENCH_BENCH_H
#define MG_BENCH_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_ROUNDS_MAX 101

static inline double bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of rounds (sorted in place). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Runs fn(arg) rounds x iters times; prints and returns the median ns/call. */
static inline double bench_run(const char *name, void (*fn)(void *), void *arg, int rounds, int iters)
{
    double ns[BENCH_ROUNDS_MAX];
    if (rounds > BENCH_ROUNDS_MAX)
        rounds = BENCH_ROUNDS_MAX;
    for (int i = 0; i < iters / 10; i++) /* warm-up */
        fn(arg);
    for (int r = 0; r < rounds; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < iters; i++)
            fn(arg);
        ns[r] = (bench_now_ns() - t0) / iters;
    }
    double m = bench_median(ns, rounds);
    printf("%-44s %8.0f ns/op  (median of %d rounds x %d)\n", name, m, rounds, iters);
    return m;
}

#endif
