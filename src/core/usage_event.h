/*
 * usage_event.h: one billed response (BL-2), as the gateway records it, the
 * meter journals it and the store keeps it.
 */
#ifndef MG_CORE_USAGE_EVENT_H
#define MG_CORE_USAGE_EVENT_H

#include <stdint.h>
#include "core/apikey.h"

/* One billed response (BL-2).  Keyed by request_id: inserting the same
 * request id twice is a no-op. */
struct mg_usage_event {
    char request_id[40];
    int64_t ts_ms;
    int64_t account_id;
    int64_t key_id;
    char key_public_id[MG_KEY_PUBID_LEN + 1];
    char model[96];
    char service[16];            /* mg_service_name() */
    char route[64];              /* the path family, e.g. "/v1/chat/completions" */
    int64_t input_tokens;
    int64_t output_tokens;
    int64_t cached_tokens;
    int64_t characters;          /* speech */
    int64_t images;
    int64_t videos;
    int64_t tracks;              /* music */
    int64_t voices;              /* voice clone / design */
    int64_t video_seconds;       /* a video's length as its creation asked (priced by model, resolution, seconds) */
    char video_res[8];           /* ... and its resolution ("768P", "2K"); "" = not named */
    int64_t cost_micros;
    int64_t latency_ms;          /* from the request's arrival to its usage being recorded (the answer's end) */
    int http_status;             /* 499 the client left, 502 the upstream broke, 503 the drain cut it */
    int estimated;               /* 1: the upstream gave no (final) usage; output counted from what was relayed
                                  * (gateway/estimate.h) */
    int checkpoint;              /* 1: not an event but an open stream's usage so far (mg_meter_checkpoint) */
};

#endif
