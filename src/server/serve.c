/*
 * serve.c: `maxgated serve`.  Builds everything from the configuration, runs
 * N event-loop threads (each with its own listening socket, SO_REUSEPORT),
 * and drains on SIGTERM/SIGINT: listeners close, new requests get 503, open
 * streams finish within drain_timeout_ms, queued usage is committed, exit 0.
 */
#include "server/server.h"
#include "billing/alerts.h"
#include "auth/keycache.h"
#include "billing/meter.h"
#include "billing/prices.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mg.h"
#include "gateway/gateway.h"
#include "gateway/routes.h"
#include "net/framing.h"
#include "net/http.h"
#include "platform/console.h"
#include "platform/platform.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define KEY_POLL_MS 250        /* revocations reach this node within a quarter second (KY-5 asks 1 s) */
#define POOL_QUEUE_MAX 10000   /* waiting database jobs before requests get 503 */
#define LOOP_TICK_MS 100       /* how often a loop thread looks at the stop flag */
#define MAX_THREADS 256
#define CUT_FLUSH_MS 1000      /* after the drain timeout: time for the cut streams' last bytes to go out */
#define FD_RESERVE 64          /* descriptors besides client connections: database, journal, logs, upstreams */

struct loop_thread {
    pthread_t tid;
    h2o_context_t ctx;
    h2o_accept_ctx_t actx;
    h2o_socket_t *listener;
    int fd;
};

static struct {
    struct mg_config cfg;
    h2o_globalconf_t gconf;
    struct mg_gateway *gw;
    struct mg_platform *pf;
    struct mg_server_platform platform;
    struct loop_thread *threads;
    size_t nthreads;
    pthread_barrier_t contexts_made; /* every loop thread's context exists before any accepts */
    SSL_CTX *server_ssl;
    struct mg_net_conns conns; /* client connections over all loop threads */
    _Atomic int stopping;
    int64_t drain_deadline_us;
    int ready;
} srv;

/* ---- built-in endpoints ---------------------------------------------------------- */

/* Adds an x-request-id header; hex (33 bytes, may be NULL) gets the id. */
static void add_request_id_to(h2o_req_t *req, char *hex_out)
{
    uint8_t b[16];
    char hex[33];
    mg_random(b, sizeof(b));
    sodium_bin2hex(hex, sizeof(hex), b, sizeof(b));
    h2o_iovec_t v = h2o_strdup(&req->pool, hex, 32);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, v.base, v.len);
    if (hex_out != NULL)
        memcpy(hex_out, hex, sizeof(hex));
}

static void add_request_id(h2o_req_t *req) { add_request_id_to(req, NULL); }

/* The framing guard's refusal (src/net/framing.h): 400 HTTP_FRAMING in the
 * path's error shape; the guard has already marked the connection to close. */
static void on_bad_framing(h2o_req_t *req, enum mg_net_framing why)
{
    char rid[33], body[1024], peer[NI_MAXHOST] = "?";
    struct sockaddr_storage ss;
    struct mg_str path = mg_http_path(req);
    const char *detail = mg_net_framing_text(why);

    add_request_id_to(req, rid);
    size_t n = mg_err_render(body, sizeof(body), mg_route_shape_for(path.ptr, path.len), MG_E_HTTP_FRAMING, detail, rid);
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (sl > 0)
        h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, peer);
    mg_log(why == MG_FRAMING_UNREADABLE ? MG_LOG_WARN : MG_LOG_INFO,
           "refused a malformed HTTP request from %s (request id %s): %s", peer, rid, detail);
    mg_metrics_request("http_framing", 400, 0, 0);
    req->res.status = 400;
    req->res.reason = "Bad Request";
    req->res.content_length = n;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_send_inline(req, body, n);
}

static int on_healthz(h2o_handler_t *self, h2o_req_t *req)
{
    add_request_id(req);
    mg_http_respond(req, 200, "text/plain", "ok\n", 3);
    return 0;
}

static int on_readyz(h2o_handler_t *self, h2o_req_t *req)
{
    add_request_id(req);
    if (srv.ready && mg_gateway_live_channels(srv.gw) > 0 && !atomic_load(&srv.stopping))
        mg_http_respond(req, 200, "text/plain", "ready\n", 6);
    else
        mg_http_respond(req, 503, "text/plain", "not ready: no upstream channel, or shutting down\n", 49);
    return 0;
}

static int on_metrics(h2o_handler_t *self, h2o_req_t *req)
{
    size_t len;
    char *text = mg_metrics_render(&len);
    add_request_id(req);
    mg_http_respond(req, 200, "text/plain; version=0.0.4", text, len);
    free(text);
    return 0;
}

static void register_handler(h2o_hostconf_t *host, const char *path, int (*fn)(h2o_handler_t *, h2o_req_t *))
{
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = fn;
}

/* ---- channels ------------------------------------------------------------------------ */

/* An operator who sets max_connections above the descriptor limit learns it at start, not
 * from the first "descriptor limit" line under load. */
static void warn_descriptor_limit(const struct mg_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    if ((uint64_t)cfg->max_connections + FD_RESERVE > (uint64_t)rl.rlim_cur)
        mg_log(MG_LOG_WARN,
               "[server] max_connections = %lld but the descriptor limit is %llu: past about %llu connections "
               "new ones wait (\"descriptor limit\" lines); raise ulimit -n (systemd LimitNOFILE=) or lower "
               "max_connections",
               (long long)cfg->max_connections, (unsigned long long)rl.rlim_cur,
               (unsigned long long)(rl.rlim_cur > FD_RESERVE ? rl.rlim_cur - FD_RESERVE : 0));
}

/* ---- threads ---------------------------------------------------------------------------- */

static void *loop_main(void *arg)
{
    struct loop_thread *t = arg;
    int closed = 0, cut = 0;
    /* On this thread: what the context makes (its handlers' and h2o's own job queues, their pipe sockets)
     * takes its buffers from the thread-local allocator of the thread that makes it; made on the main
     * thread, every loop thread would take and give back read buffers through the main thread's list
     * at once (ThreadSanitizer saw two loop threads read into one buffer). */
    h2o_context_init(&t->ctx, h2o_evloop_create(), &srv.gconf);
    /* and each makes its pipes before any thread's connections can take the last descriptors */
    pthread_barrier_wait(&srv.contexts_made);
    t->actx.ctx = &t->ctx;
    t->actx.hosts = srv.gconf.hosts;
    t->actx.ssl_ctx = srv.server_ssl;
    t->listener = mg_net_accept_start(t->ctx.loop, t->fd, &t->actx, &srv.conns);
    for (;;) {
        h2o_evloop_run(t->ctx.loop, LOOP_TICK_MS);
        if (!atomic_load(&srv.stopping))
            continue;
        if (!closed) {
            h2o_socket_read_stop(t->listener);
            h2o_socket_close(t->listener);
            closed = 1;
        }
        if (mg_gateway_inflight(srv.gw) == 0 && mg_platform_inflight(srv.pf) == 0)
            break;
        if (mg_monotonic_us() > srv.drain_deadline_us) {
            /* streams still open are ended cleanly (error event, last chunk) and billed 503; their last
             * writes then get CUT_FLUSH_MS (a client that takes nothing does not hold the exit) */
            if (!cut)
                mg_gateway_cut_streams(srv.gw, &t->ctx);
            cut = 1;
            if (mg_monotonic_us() > srv.drain_deadline_us + CUT_FLUSH_MS * 1000)
                break;
        }
    }
    return NULL;
}

/* The platform changed a price or a ratio: publish at once (on its worker, with its store handle). */
static int reload_prices(void *arg, struct mg_store *s) { return mg_price_reloader_now(arg, s); }

/* A spending alert's mail (called on the usage writer's thread). */
static void alert_mail(void *arg, const struct mg_alert_due *d, const char *text)
{
    struct mg_server_platform *p = arg;
    struct mg_mail_vars v = {.detail = text};
    if (p->mailer == NULL || mg_mailer_send(p->mailer, MG_MAIL_SPEND_ALERT, d->email, &v) != MG_OK)
        mg_log(MG_LOG_WARN, "spending alert %lld: its mail could not be queued", (long long)d->a.id);
}

int mg_cmd_serve(const struct mg_config *cfg)
{
    char err[2048], spec[MG_PATH_MAX + 16];
    uint8_t secret[MG_SECRET_LEN];
    struct mg_channel_spec *channels = NULL;
    size_t nchannels = 0;
    sigset_t sigs;
    int sig;
    uint16_t port = 0;

    /* Before any thread exists, so every thread inherits it: only sigwait below takes SIGTERM and SIGINT.
     * A thread started with them unblocked could be handed one while the main thread is busy, and their
     * default action ends the process at once, without the drain. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    srv.cfg = *cfg;
    if (strcmp(cfg->log_level, "debug") == 0)
        mg_log_set_level(MG_LOG_DEBUG);
    else if (strcmp(cfg->log_level, "warn") == 0)
        mg_log_set_level(MG_LOG_WARN);
    if (mg_secret_load(cfg->secrets_file, secret, err, sizeof(err)) != MG_OK)
        goto fail;
    struct mg_store *s = mg_server_store(cfg, err, sizeof(err));
    if (s == NULL)
        goto fail;
    int rc = mg_server_load_channels(cfg, s, secret, &channels, &nchannels, err, sizeof(err));
    s->ops->close(s);
    if (rc != MG_OK)
        goto fail;
    if (mg_log_access_open(cfg->access_log) != MG_OK) {
        snprintf(err, sizeof(err), "cannot open the access log %s: %s", cfg->access_log, strerror(errno));
        goto fail;
    }

    mg_config_store_spec(cfg, spec, sizeof(spec));
    struct mg_keycache *keys = mg_keycache_new();
    if (mg_keycache_start(keys, spec, KEY_POLL_MS) != MG_OK) {
        snprintf(err, sizeof(err), "cannot load API keys from %s", cfg->database);
        goto fail;
    }
    /* BL-4: the usage writer checks spending alerts after each commit (from the attach below on) */
    struct mg_alerts *alerts = mg_alerts_new(alert_mail, &srv.platform);
    struct mg_meter_opts mo = {.committed = mg_alerts_committed, .committed_arg = alerts};
    struct mg_meter *meter = mg_meter_open_opts(spec, cfg->usage_journal, &mo, err, sizeof(err));
    if (meter == NULL)
        goto fail;
    struct mg_pool *pool = mg_pool_new((size_t)cfg->workers, spec, POOL_QUEUE_MAX);
    int serves[MG_REGION__COUNT] = {0};
    for (size_t i = 0; i < nchannels; i++)
        serves[channels[i].region] = 1;
    if (mg_server_platform_start(cfg, spec, secret, keys, serves, &srv.platform, err, sizeof(err)) != MG_OK)
        goto fail;
    srv.pf = srv.platform.pf;
    mg_platform_set_meter(srv.pf, meter);
    mg_alerts_attach(alerts, meter); /* the mailer exists now */
    mg_platform_set_alerts(srv.pf, alerts);
    /* BL-1: the price book the gateway prices with, replaced live when the operator changes a price */
    struct mg_pricebook *prices = mg_pricebook_new(mg_server_prices_build(cfg, NULL));
    struct mg_price_reloader *reloader = mg_price_reloader_start(cfg, spec, prices, err, sizeof(err));
    if (reloader == NULL)
        goto fail;
    mg_platform_set_prices(srv.pf, prices, reload_prices, reloader);
    struct mg_billing_thread *billing = mg_billing_start(cfg, spec, srv.platform.mailer);

    struct mg_gateway_config gc;
    memset(&gc, 0, sizeof(gc));
    gc.max_json_body = (size_t)cfg->max_json_body;
    gc.max_upload_body = (size_t)cfg->max_upload_body;
    gc.max_upstream_body = (size_t)cfg->max_upstream_body;
    gc.connect_timeout_ms = (int)cfg->connect_timeout_ms;
    gc.first_byte_timeout_ms = (int)cfg->first_byte_timeout_ms;
    gc.idle_timeout_ms = (int)cfg->idle_timeout_ms;
    gc.cooldown_ms = (int)cfg->cooldown_ms;
    gc.upstream_max_conns = (size_t)cfg->upstream_max_conns;
    gc.upstream_max_idle = (size_t)cfg->upstream_max_idle;
    gc.keepalive_ms = (int)cfg->keepalive_ms;
    gc.send_timeout_ms = (int)cfg->send_timeout_ms;
    gc.stream_high_water = (size_t)cfg->stream_buffer;
    gc.stream_low_water = (size_t)cfg->stream_buffer / 4;
    gc.drain_usage_ms = (int)cfg->drain_usage_ms;
    gc.drain_usage_bytes = (size_t)cfg->drain_usage_bytes;
    mg_strlcpy(gc.public_base_url, cfg->public_base_url, sizeof(gc.public_base_url));
    mg_strlcpy(gc.region_base_url[MG_REGION_GLOBAL], cfg->global_base_url, sizeof(gc.region_base_url[0]));
    mg_strlcpy(gc.region_base_url[MG_REGION_CN], cfg->cn_base_url, sizeof(gc.region_base_url[0]));
    mg_strlcpy(gc.upstream_ca_file, cfg->ca_file, sizeof(gc.upstream_ca_file));
    for (size_t i = 0; i < nchannels; i++)
        mg_log(MG_LOG_INFO, "channel %s: region %s, %s, weight %d", channels[i].name,
               mg_region_name(channels[i].region), channels[i].base_url, channels[i].weight);
    srv.ready = 1; /* and a channel runs: /readyz asks the gateway, channels come and go while it runs */
    if (nchannels == 0)
        mg_log(MG_LOG_WARN, "no upstream channel configured: API calls will get 503 until one is added "
                            "(Admin > Channels in the console or `maxgated admin channel add`, both live, or "
                            "[channel.NAME] in the config and a restart)");
    srv.gw = mg_gateway_new(&gc, channels, nchannels, keys, meter, pool, prices, secret, sizeof(secret));
    if (srv.gw == NULL) {
        sodium_memzero(secret, sizeof(secret));
        snprintf(err, sizeof(err), "cannot set up the gateway");
        goto fail;
    }
    mg_server_channel_ops(cfg, spec, srv.gw, srv.pf, secret); /* the console's channel page (h_channels.c) */
    sodium_memzero(secret, sizeof(secret));

    if (cfg->tls_cert[0] && (srv.server_ssl = mg_net_tls_server(cfg->tls_cert, cfg->tls_key, err, sizeof(err))) == NULL)
        goto fail;
    h2o_config_init(&srv.gconf);
    srv.gconf.server_name = h2o_iovec_init(H2O_STRLIT("maxgate"));
    /* HTTP/2 is off: no h2c upgrade, no "PRI * HTTP/2.0" preface (it gets h2o's 400), and TLS
     * offers only http/1.1 by ALPN (mg_net_tls_server) */
    srv.gconf.http1.upgrade_to_http2 = 0;
    srv.gconf.http1.req_timeout = (uint64_t)cfg->request_timeout_ms;
    srv.conns.max = (size_t)cfg->max_connections;
    warn_descriptor_limit(cfg);
    /* h2o refuses bodies beyond this with its own 413; ours (in the family's shape) fire first */
    srv.gconf.max_request_entity_size = (size_t)MG_MAX(cfg->max_json_body, cfg->max_upload_body) + 1024 * 1024;
    h2o_hostconf_t *host = h2o_config_register_host(&srv.gconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    register_handler(host, "/healthz", on_healthz);
    register_handler(host, "/readyz", on_readyz);
    register_handler(host, "/metrics", on_metrics);
    /* h2o takes the first registered path that matches: these go before "/" */
    mg_platform_register(srv.pf, host);
    mg_console_register(host);
    mg_gateway_register(srv.gw, host, "/");
    mg_console_register_root(host);           /* after: it puts itself first on the gateway's "/" */
    mg_net_framing_guard(host, on_bad_framing); /* last: it puts itself first on every path */

    srv.nthreads = cfg->threads > 0 ? (size_t)cfg->threads : (size_t)sysconf(_SC_NPROCESSORS_ONLN);
    srv.nthreads = MG_MIN(MG_MAX(srv.nthreads, (size_t)1), (size_t)MAX_THREADS);
    srv.threads = mg_calloc(srv.nthreads, sizeof(*srv.threads));
    char listen[300];
    mg_strlcpy(listen, cfg->listen, sizeof(listen));
    for (size_t i = 0; i < srv.nthreads; i++) {
        if ((srv.threads[i].fd = mg_net_listen(listen, &port, err, sizeof(err))) < 0)
            goto fail;
        if (i == 0) { /* port 0: the others join the port the first one got */
            char *colon = strrchr(listen, ':');
            snprintf(colon + 1, sizeof(listen) - (size_t)(colon + 1 - listen), "%u", port);
        }
    }

    signal(SIGPIPE, SIG_IGN);
    pthread_barrier_init(&srv.contexts_made, NULL, (unsigned)srv.nthreads);
    for (size_t i = 0; i < srv.nthreads; i++)
        pthread_create(&srv.threads[i].tid, NULL, loop_main, &srv.threads[i]);
    char hostpart[256];
    mg_strlcpy(hostpart, listen, sizeof(hostpart));
    *strrchr(hostpart, ':') = '\0';
    printf("maxgated listening on %s://%s:%u\n", srv.server_ssl ? "https" : "http", hostpart, port);
    fflush(stdout);
    mg_log(MG_LOG_INFO, "maxgated listening on %s://%s:%u with %zu loop threads, %zu channels",
           srv.server_ssl ? "https" : "http", hostpart, port, srv.nthreads, nchannels);

    sigwait(&sigs, &sig);
    mg_log(MG_LOG_INFO, "%s: draining (up to %lld ms for open requests)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
           (long long)cfg->drain_timeout_ms);
    mg_gateway_begin_drain(srv.gw);
    srv.drain_deadline_us = mg_monotonic_us() + cfg->drain_timeout_ms * 1000;
    atomic_store(&srv.stopping, 1);
    for (size_t i = 0; i < srv.nthreads; i++)
        pthread_join(srv.threads[i].tid, NULL);
    pthread_barrier_destroy(&srv.contexts_made);
    size_t left = mg_gateway_inflight(srv.gw);
    mg_meter_close(meter); /* commits every queued usage event (and checks their alerts) */
    mg_alerts_free(alerts);
    mg_price_reloader_stop(reloader);
    mg_pool_free(pool);
    mg_billing_stop(billing); /* before the mailer it queues reminders on goes */
    mg_server_platform_stop(&srv.platform);
    mg_server_channel_ops_end();
    mg_log(MG_LOG_INFO, "stopped%s", left ? " (some requests were cut at the drain timeout)" : "");
    return 0;

fail:
    sodium_memzero(secret, sizeof(secret));
    fprintf(stderr, "maxgated: %s\n", err);
    return 1;
}
