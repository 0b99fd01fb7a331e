/*
 * clock.h: the injectable clock.  Everything that compares times (expiry,
 * cool-down, billing periods) asks mg_now_ms(); tests move it with
 * mg_clock_set() (unit tests) or the MG_FAKE_NOW_MS environment variable
 * (integration tests, read once at start and then advancing with real time).
 */
#ifndef MG_CORE_CLOCK_H
#define MG_CORE_CLOCK_H

#include <stdint.h>

int64_t mg_now_ms(void);          /* wall clock, Unix milliseconds */
int64_t mg_monotonic_us(void);    /* for durations; not affected by the fake clock */
void mg_clock_set(int64_t now_ms); /* fixes the wall clock (0 = back to real time) */
/* Moves the clock forward by ms, running or fixed (integration tests, through the test-only clock
 * endpoint, which can also fix it where it is). */
void mg_clock_advance(int64_t ms);
void mg_clock_init_from_env(void);

#endif
