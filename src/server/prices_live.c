/*
 * prices_live.c: the gateway's price table from the config and the
 * database, and its reloader (see server.h "Live prices").
 *
 * The table is the built-in official table, then the config's [price.*]
 * rows, then the database's rows (the admin API's and `maxgated admin
 * price`), each replacing a row of the same pattern; its ratio is the
 * database's 'global' ratio, else the config's [billing] ratio.  A thread
 * polls price_seq and publishes a new table when it moved; a change made in
 * this process (the platform) publishes at once.
 */
#include "server/server.h"
#include "core/log.h"
#include "core/mg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define PRICE_POLL_MS 1000

struct mg_price_reloader {
    const struct mg_config *cfg;
    struct mg_pricebook *book;
    char spec[1100];
    pthread_t thread;
    int started;
    _Atomic int stop;
    pthread_mutex_t lock; /* one rebuild at a time */
    int64_t seq;          /* under lock: the price_seq the current table was built at */
};

static int add_row(void *arg, const struct mg_price *p)
{
    mg_prices_set(arg, p);
    return MG_OK;
}

struct global_ratio {
    int64_t ppm;
};

static int find_global(void *arg, const char *scope, int64_t ppm)
{
    if (strcmp(scope, "global") == 0)
        ((struct global_ratio *)arg)->ppm = ppm;
    return MG_OK;
}

struct mg_price_table *mg_server_prices_build(const struct mg_config *cfg, struct mg_store *s)
{
    struct mg_price_table *t = mg_prices_default();
    struct global_ratio g = {cfg->ratio_ppm};
    for (size_t i = 0; i < cfg->nprices; i++)
        mg_prices_set(t, &cfg->prices[i]);
    if (s != NULL && (s->ops->prices_list(s, add_row, t) != MG_OK || s->ops->ratios_list(s, find_global, &g) != MG_OK)) {
        mg_prices_free(t);
        return NULL;
    }
    mg_prices_set_ratio(t, g.ppm);
    return t;
}

/* Rebuilds and publishes when price_seq moved (or always when force). */
static int reload(struct mg_price_reloader *r, struct mg_store *s, int force)
{
    int64_t seq = 0;
    int rc = MG_OK;
    pthread_mutex_lock(&r->lock);
    if (s->ops->price_seq(s, &seq) != MG_OK) {
        rc = MG_ERR;
    } else if (force || seq != r->seq) {
        struct mg_price_table *t = mg_server_prices_build(r->cfg, s);
        if (t == NULL)
            rc = MG_ERR;
        else if ((rc = mg_pricebook_publish(r->book, t)) == MG_OK) {
            r->seq = seq;
            mg_log(MG_LOG_INFO, "prices: a new price table is in use (change %lld)", (long long)seq);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int mg_price_reloader_now(struct mg_price_reloader *r, struct mg_store *s) { return reload(r, s, 0); }

static void *poller(void *arg)
{
    struct mg_price_reloader *r = arg;
    char err[256];
    struct mg_store *s = mg_store_open(r->spec, err, sizeof(err));
    if (s == NULL) {
        mg_log(MG_LOG_ERROR, "prices: %s; price changes reach this node at its next start", err);
        return NULL;
    }
    while (!atomic_load(&r->stop)) {
        struct timespec ts = {PRICE_POLL_MS / 1000, (long)(PRICE_POLL_MS % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        reload(r, s, 0);
        mg_pricebook_collect(r->book);
    }
    s->ops->close(s);
    return NULL;
}

struct mg_price_reloader *mg_price_reloader_start(const struct mg_config *cfg, const char *spec,
                                                  struct mg_pricebook *book, char *err, size_t errlen)
{
    struct mg_price_reloader *r = mg_calloc(1, sizeof(*r));
    struct mg_store *s = mg_store_open(spec, err, errlen);
    r->cfg = cfg;
    r->book = book;
    mg_strlcpy(r->spec, spec, sizeof(r->spec));
    pthread_mutex_init(&r->lock, NULL);
    if (s == NULL || reload(r, s, 1) != MG_OK) {
        if (s != NULL) {
            snprintf(err, errlen, "cannot read the price table from the database");
            s->ops->close(s);
        }
        mg_price_reloader_stop(r);
        return NULL;
    }
    s->ops->close(s);
    if (pthread_create(&r->thread, NULL, poller, r) == 0)
        r->started = 1;
    return r;
}

void mg_price_reloader_stop(struct mg_price_reloader *r)
{
    if (r == NULL)
        return;
    atomic_store(&r->stop, 1);
    if (r->started)
        pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
