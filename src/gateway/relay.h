/*
 * relay.h: one gateway request's state, shared by the modules of the request
 * path (docs/architecture.md, "Request flow"):
 *
 *   relay.c     on_req, the request's lifetime, error answers, access log
 *   admit.c     credential, key checks, body rules, model allowlist, cap
 *   owners.c    GW-6 ownership checks and records on the worker pool
 *   upstream.c  the upstream attempt: request head, channel, retry, errors
 *   respond.c   a whole (non-streamed) answer: read, usage, owner, send
 *   stream.c    a streamed answer: relay with backpressure, usage frames
 *   quota.c     the quota answers maxgate gives itself
 *   bill.c      the usage event of a response
 *
 * The request moves through one phase at a time (enum rl_phase); each
 * callback asserts the phase it expects.  Per-phase data lives in its own
 * sub-struct.
 *
 * Lifetime.  A struct relay is a shared allocation (h2o_mem_alloc_shared);
 * the request's pool holds a small sentinel whose disposal (h2o freed the
 * request: the answer was sent or the client went away) sets rl->req = NULL,
 * cancels the upstream exchange and drops the request's reference.  Work
 * that comes back later (a pool job) holds its own reference and finds
 * rl->req == NULL.
 */
#ifndef MG_GATEWAY_RELAY_H
#define MG_GATEWAY_RELAY_H

#include "gateway/gateway.h"
#include "billing/estimate.h"
#include "billing/pricebook.h"
#include "billing/reserve.h"
#include "gateway/channel.h"
#include "gateway/chantable.h"
#include "gateway/delivered.h"
#include "core/apikey.h"
#include "core/err.h"
#include "core/mg.h"
#include "gateway/ownpath.h"
#include "gateway/ratelimit.h"
#include "gateway/routes.h"
#include "gateway/sse.h"
#include "gateway/videotasks.h"
#include "net/upclient.h"

#include <assert.h>
#include <stdatomic.h>

#define REQUEST_ID_BYTES 16      /* 128 bits, hex on the wire */
#define MAX_RESOURCE_ID 128      /* task/file/voice ids are short numbers or names */
#define ERR_BODY_MAX 2048

struct mg_gateway {
    struct mg_gateway_config cfg;
    struct mg_chantable tab;     /* the channels, changed while running (chantable.h) */
    _Atomic int serves[MG_REGION__COUNT]; /* 1 once a channel of the region ran (cfg.serves at the start) */
    struct mg_keycache *keys;
    struct mg_meter *meter;
    struct mg_pool *pool;
    struct mg_pricebook *prices; /* replaced while running (billing/pricebook.h); a request pins one */
    struct mg_key_hasher hasher; /* HMAC(server secret, key): states prepared once */
    h2o_handler_t *handler;
    _Atomic size_t inflight;
    _Atomic int draining;
    struct mg_video_tasks *videos; /* video tasks' holds until billed, and those billed (videotasks.h) */
};

/* Per loop thread. */
struct gw_thread {
    struct mg_gateway *gw;
    h2o_context_t *ctx;
    h2o_timeout_t connect_to, first_byte_to, io_to, keepalive_to, zero_to, send_to, drain_to;
    h2o_linklist_t streams;      /* open streams (relay.st.link), including those draining for usage */
    struct mg_upc_timeouts upc_to;
    struct mg_pool_loop *pl;
    /* per channel slot, made lazily by the first request on it (gw_thread_hold) */
    struct mg_upc_pool pools[MG_CHANNEL_SLOTS];
    uint32_t pool_gen[MG_CHANNEL_SLOTS]; /* the slot generation pools[i] goes to; 0 = none */
    uint32_t busy[MG_CHANNEL_SLOTS];     /* this thread's requests holding each slot */
    struct mg_chan_reader rd;            /* what it told the table it let go of */
    uint64_t swept;                      /* the table's epoch it let go of everything retired by */
    h2o_timeout_t sweep_to;
    h2o_timeout_entry_t sweep;           /* an idle thread lets go too */
};

/* The channel of slot i (a LIVE slot the caller picked, or one it holds). */
static inline struct mg_channel *gw_channel(struct mg_gateway *gw, size_t i) { return &gw->tab.slot[i].ch; }
/* Request rl now uses slot i (and no longer the one it held): this thread's pool for it, made if new. */
struct mg_upc_pool *gw_thread_hold(struct gw_thread *t, size_t i);
/* A request lets go of slot i (it ended, or its retry went elsewhere). */
void gw_thread_release(struct gw_thread *t, size_t i);
/* Lets go of retired slots this thread no longer uses (their idle connections are closed); cheap when the
 * table's epoch did not move. */
void gw_thread_sweep(struct gw_thread *t);
/* Under the table's lock: mg_gateway_channel_put's work (replace = 0 at the start: a channel of the same name
 * is not replaced, as before channels could change); MG_DECLINED (left out) or MG_ERR (a TLS or proxy
 * setting that cannot work). */
int mg_gateway_channel_put_locked(struct mg_gateway *gw, struct mg_channel_spec *spec, int replace, char *err,
                                  size_t errlen);

enum rl_phase {
    RL_ADMIT,        /* on_req: route, credential, body, cap */
    RL_OWNER_CHECK,  /* the pool checks the named resource's owner */
    RL_UPSTREAM,     /* an attempt is connecting / waiting for the head */
    RL_WHOLE,        /* reading a non-streamed answer */
    RL_OWNER_RECORD, /* the answer is held while the pool records its resource */
    RL_STREAM,       /* relaying a stream */
    RL_DONE,         /* the final answer is with h2o */
};

enum rl_job {
    JOB_OWNER_CHECK,  /* before forwarding: the owners of what the request names */
    JOB_OWNER_RECORD, /* before answering: record (or delete) what the answer created, granted or removed */
    JOB_OWNER_FILTER, /* before answering: the owners of what a list answer lists */
};

#define OWN_IDS 8 /* ids one request may name: timbre_weights mixes up to 4 voices, plus voice_setting and files */

/* One id a request or its answer names (GW-6). */
struct rl_owned {
    const struct mg_own_rule *rule;
    struct mg_own_id id;
    int64_t owner; /* JOB_OWNER_CHECK: the owner's account, 0 = nobody */
};

struct relay {
    h2o_generator_t gen;
    h2o_req_t *req;              /* NULL once h2o freed the request */
    struct gw_thread *t;
    struct mg_gateway *gw;
    const struct mg_route *route;
    enum rl_phase phase;
    char request_id[2 * REQUEST_ID_BYTES + 1];
    int64_t t0_us;
    const char *error;           /* registry name of the error answered, for the access log */
    int64_t retry_after_s;       /* > 0: the Retry-After of the error answered, in place of the registry's */
    int finished;                /* access log written */

    struct {                     /* RL_ADMIT's findings, read by every later phase */
        struct mg_key_record key;
        struct mg_key_live *live; /* the key's rate-limit words (keycache.h) */
        struct mg_price_pin prices; /* the price table this request is priced with, pinned at admission */
        int64_t ratio_ppm;       /* its account's ratio (its own, its plan's, else the table's) */
        int authed;
        char model[96];
        char res_id[MAX_RESOURCE_ID]; /* the resource a USE/DELETE/CREATE-by-body route names */
        int64_t max_tokens;      /* chat: the request's output limit (max_tokens or max_completion_tokens); 0 = none */
        int64_t video_seconds;   /* a video's creation: the seconds it asks (its default when unnamed) */
        char video_res[MG_VIDEO_RES_MAX]; /* ... the resolution it asks, "" = not named */
    } in;

    struct {                     /* RL_UPSTREAM and the answer's head */
        struct mg_upc upc;
        h2o_iovec_t bufs[2];
        size_t channel;          /* its slot in gw->tab */
        int holding;             /* 1: the request holds slot `channel` (gw_thread_hold) */
        int attempt;
        int status;              /* the upstream's status; 0 = none yet */
        int64_t ttfb_us;
    } up;

    struct {                     /* RL_STREAM */
        h2o_doublebuffer_t sending;
        struct mg_sse sse;
        int sse_init;
        int broken;              /* the upstream broke mid-way: end with an error frame */
        int upstream_done;       /* the upstream's body is complete (or broke) */
        h2o_timeout_entry_t stall; /* the client took nothing for send_timeout_ms */
        /* GW-5: every delivered token billed (stream.c's design note) */
        struct mg_est est;       /* generated text handed to the client */
        size_t req_bytes;        /* the request body's length, for an input estimate */
        int usage_final;         /* the upstream's own usage with the output came */
        int client_closed;       /* the client had closed its socket when the upstream's head came */
        int gone;                /* the client left: what is read now is not delivered */
        int draining;            /* ... and the upstream is read (and dropped) for its usage */
        int cut;                 /* the server's drain timeout ended the stream */
        int cut_mid_event;       /* ... after bytes that end inside an event */
        size_t drained;          /* bytes read while draining */
        h2o_timeout_entry_t drain_timer;
        uint64_t checkpoint_at;  /* loop time (ms) of the next checkpoint */
        int64_t checkpointed;    /* output tokens of the last checkpoint */
        h2o_linklist_t link;     /* in gw_thread.streams while open */
    } st;

    struct {                     /* RL_OWNER_CHECK / RL_OWNER_RECORD (owners.c) */
        struct mg_job job;
        enum rl_job kind;
        struct rl_owned items[OWN_IDS]; /* CHECK: what the request names; RECORD: what to put or delete */
        size_t n;
        struct mg_owned first;   /* CHECK: items[0]'s record (a video's model, seconds and resolution, for its bill) */
        char state[MG_TASK_STATE_MAX]; /* RECORD: a task's new state, as the query's answer reports it; "" = none */
        json_t *list;            /* FILTER: the answer, filtered once the owners are known */
        struct mg_own_id *listed;
        const char **listed_ids;
        int64_t *listed_owner;
        size_t nper[MG_OWN_RULES]; /* FILTER: how many of listed each rule found */
        int rc;
        h2o_iovec_t held;        /* RL_OWNER_RECORD: the answer to send once recorded */
    } own;

    struct {
        struct mg_usage_event ev;
        int seen;                /* the answer carried billable units */
        int done;                /* the event was recorded (or deliberately not) */
    } bill;

    struct {                     /* BL-3: the worst case held against the caps (billing/reserve.h) and TPM */
        struct mg_estimate_req q; /* the body's fields, read by rl_admit_body */
        struct mg_reservation r; /* the account's cap: settled by rl_bill, else released by rl_finish */
        struct mg_reservation kr; /* the key's own cap: the same */
        struct mg_rate_hold tpm; /* the key's TPM (gateway/ratelimit.h): the same */
    } res;
};

/* relay.c */
int mg_gateway_on_req(struct mg_gateway *gw, h2o_handler_t *self, h2o_req_t *req);
void rl_send_error(struct relay *rl, enum mg_err e, const char *detail);
void rl_finish(struct relay *rl, int status); /* access log + metrics, once */

/* admit.c: MG_OK, or an error was answered */
int rl_admit_key(struct relay *rl);
/* The request's price table (pinned by rl_admit_key). */
static inline const struct mg_price_table *rl_prices(const struct relay *rl) { return rl->in.prices.t; }
int rl_admit_body(struct relay *rl);
int rl_admit_model_and_cap(struct relay *rl);
int rl_admit_price(struct relay *rl); /* BL-1: the model is priced, max_tokens within its limit */
/* The name a request is priced under: its model, or for a route whose
 * requests name none of their own (voice clone/design) the route's name. */
const char *rl_price_model(const struct relay *rl);
int rl_key_in_query(h2o_req_t *req);

/* owners.c (GW-6).  rl_owned_request: collects the ids the request names into
 * rl->own.items (MG_OK), or answers 400 for one that is missing or not an id
 * (MG_ERR).  rl_owned_check: forwards the request, at once when it names
 * nothing, else once the pool found that nothing it names is someone else's.
 * rl_owned_answer: for a successful whole answer, records what it created,
 * granted or deleted, or filters the list it carries, on the pool, and then
 * sends it: MG_OK when it took the answer over (or answered an error),
 * MG_DECLINED when there is nothing to do. */
int rl_owned_request(struct relay *rl);
void rl_owned_check(struct relay *rl);
int rl_owned_answer(struct relay *rl, const char *body, size_t len);

/* upstream.c */
void rl_forward(struct relay *rl);
enum mg_err rl_upstream_err(const char *upc_err); /* registry code for an mg_upc_err_* */

/* respond.c */
void rl_whole_start(struct relay *rl);
void rl_whole_send(struct relay *rl);

/* stream.c */
void rl_stream_start(struct relay *rl);
/* The client left (on_req_gone, phase RL_STREAM): bills and logs the stream,
 * or starts reading the upstream for its usage (holding its own reference
 * and an in-flight count) and returns 1; then on_req_gone must leave the
 * exchange and the access line to it. */
int rl_stream_gone(struct relay *rl);
/* The server's drain timeout: ends the stream now (see gateway.h). */
void rl_stream_cut(struct relay *rl);

/* quota.c */
void rl_answer_quota(struct relay *rl);

/* bill.c: records the usage event if the answer carried units; once */
void rl_bill(struct relay *rl, int status);
/* bill.c: journals ev (an open stream's usage so far) as its checkpoint */
void rl_bill_checkpoint(struct relay *rl, struct mg_usage_event *ev);

#endif
