/*
 * metrics.h: process-wide counters for /metrics (Prometheus text format).
 * Updates are relaxed atomics, safe from any thread and cheap on the hot path.
 */
#ifndef MG_CORE_METRICS_H
#define MG_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* One finished client request: route family name (static string), status,
 * total latency and time to first byte in microseconds. */
void mg_metrics_request(const char *route, int status, int64_t latency_us, int64_t ttfb_us);
/* One upstream attempt: channel name (static for the process), HTTP status or
 * 0 for a transport failure. */
void mg_metrics_upstream(const char *channel, int status);
void mg_metrics_inflight(int delta);
void mg_metrics_usage_event(int64_t cost_micros);
/* Micro-units reserved (delta > 0) or settled/released (delta < 0) by
 * billing/reserve.c; rendered as the gauge maxgate_reserved_micros. */
void mg_metrics_reserved(int64_t delta);
/* What is reserved now, process-wide. */
int64_t mg_metrics_reserved_now(void);
/* Renders every metric in the Prometheus text exposition format into a new
 * malloc'd string (caller frees); *len gets its length. */
char *mg_metrics_render(size_t *len);

#endif
