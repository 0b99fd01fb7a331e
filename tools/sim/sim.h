/*
 * sim.h: maxgate-sim, a MiniMax API simulator for tests, benchmarks and the
 * `make run` demo.  Pure helpers live in sim_util.c so unit tests can reach
 * them; the HTTP side is in main.c.
 */
#ifndef MG_SIM_SIM_H
#define MG_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

/* The deterministic prompt token count the simulator reports: one token per
 * four bytes of message text, at least one. */
int64_t sim_prompt_tokens(const char *body, size_t len);

/* Video task states, in the order a query walks them. */
enum sim_video_state { SIM_PREPARING, SIM_QUEUEING, SIM_PROCESSING, SIM_SUCCESS, SIM_FAILED };
/* The state after `queries` queries of a task (queries >= 1). */
enum sim_video_state sim_video_state(unsigned queries, int will_fail);
const char *sim_video_state_name(enum sim_video_state s);

/* Finds the filename and purpose of a multipart/form-data body; boundary
 * without the leading dashes.  Returns 0 if a "file" part was found. */
int sim_multipart_scan(const char *body, size_t len, const char *boundary, size_t blen, char *filename,
                       size_t fcap, char *purpose, size_t pcap, size_t *file_bytes);

/* Lower-case hex of n bytes into out (2n+1). */
void sim_hex(const uint8_t *in, size_t n, char *out);

#endif
