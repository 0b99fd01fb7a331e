/*
 * bench_meter.c: ns per mg_meter_record on the calling thread (issue 7
 * section 4), with the real SQLite store and writer thread behind it, in a
 * temporary directory.  Two loads:
 *   paced   bursts of 100 events with a 2 ms pause between them (~40k
 *           events/s: a busy loop thread); only the bursts are timed
 *   flat    back-to-back calls, far faster than SQLite can commit: includes
 *           segment rolls the writer could not prepare in time
 *
 * Usage: bench_meter [rounds] [iters]
 */
#include "bench.h"
#include "billing/meter.h"
#include "core/clock.h"
#include "core/mg.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BURST 100

static struct mg_meter *meter;
static struct mg_usage_event ev;
static long seq;

static void record(void *arg)
{
    snprintf(ev.request_id, sizeof(ev.request_id), "bench-%ld", seq++);
    mg_meter_record(meter, &ev);
}

/* The median over rounds of the mean ns per call of `bursts` timed bursts. */
static void paced(int rounds, int bursts)
{
    double ns[BENCH_ROUNDS_MAX];
    struct timespec pause = {0, 2000000L};
    rounds = rounds > BENCH_ROUNDS_MAX ? BENCH_ROUNDS_MAX : rounds;
    for (int r = 0; r < rounds; r++) {
        double t = 0;
        for (int b = 0; b < bursts; b++) {
            double t0 = bench_now_ns();
            for (int i = 0; i < BURST; i++)
                record(NULL);
            t += bench_now_ns() - t0;
            nanosleep(&pause, NULL);
        }
        ns[r] = t / (bursts * BURST);
    }
    printf("%-44s %8.0f ns/op  (median of %d rounds x %d bursts of %d)\n", "mg_meter_record, paced", 
           bench_median(ns, rounds), rounds, bursts, BURST);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 11;
    int iters = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5000;
    char dir[] = "/tmp/mgbench.XXXXXX", spec[128], journal[128], err[256], cmd[160];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(spec, sizeof(spec), "sqlite:%s/b.db", dir);
    snprintf(journal, sizeof(journal), "%s/usage.journal", dir);
    struct mg_store *s = mg_store_open(spec, err, sizeof(err));
    if (s == NULL || s->ops->migrate(s) != MG_OK) {
        fprintf(stderr, "store: %s\n", err);
        return 1;
    }
    s->ops->close(s);
    if ((meter = mg_meter_open(spec, journal, err, sizeof(err))) == NULL) {
        fprintf(stderr, "meter: %s\n", err);
        return 1;
    }
    mg_strlcpy(ev.key_public_id, "AbCdEfGhIjKl", sizeof(ev.key_public_id));
    mg_strlcpy(ev.model, "MiniMax-M2.7", sizeof(ev.model));
    mg_strlcpy(ev.service, "chat", sizeof(ev.service));
    mg_strlcpy(ev.route, "/v1/chat/completions", sizeof(ev.route));
    ev.ts_ms = mg_now_ms();
    ev.account_id = 1;
    ev.key_id = 1;
    ev.input_tokens = 812;
    ev.output_tokens = 230;
    ev.cost_micros = 520;
    ev.http_status = 200;
    paced(rounds, iters / BURST);
    bench_run("mg_meter_record, flat out", record, NULL, rounds, iters);
    double t0 = bench_now_ns();
    mg_meter_close(meter);
    printf("mg_meter_close (commits what is left): %.1f ms for %ld events recorded in all\n",
           (bench_now_ns() - t0) / 1e6, seq);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
