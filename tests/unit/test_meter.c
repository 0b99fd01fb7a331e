/* Unit tests: the usage meter's segment journal (billing/meter.c, journal.c):
 * replay after a crash, a torn record, segment rolls, the ceiling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "billing/journal.h"
#include "billing/meter.h"
#include "core/clock.h"
#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"


static int setup(void **state)
{
    *state = fixture_store("journal");
    return 0;
}

static int teardown(void **state)
{
    struct mg_store *s = *state;
    s->ops->close(s);
    return fixture_remove();
}

static void event(struct mg_usage_event *e, const char *id, int64_t account, int64_t cost)
{
    memset(e, 0, sizeof(*e));
    mg_strlcpy(e->request_id, id, sizeof(e->request_id));
    mg_strlcpy(e->key_public_id, "AbCdEfGhIjKl", sizeof(e->key_public_id));
    mg_strlcpy(e->model, "MiniMax-M2.7", sizeof(e->model));
    mg_strlcpy(e->service, "chat", sizeof(e->service));
    mg_strlcpy(e->route, "/v1/chat/completions", sizeof(e->route));
    e->ts_ms = mg_now_ms();
    e->account_id = account;
    e->key_id = 3;
    e->input_tokens = 11;
    e->output_tokens = 22;
    e->cost_micros = cost;
    e->http_status = 200;
}

struct rows {
    int n;
    int64_t cost;
    char last[40];
};

static int row_cb(void *arg, const struct mg_usage_event *e)
{
    struct rows *r = arg;
    r->n++;
    r->cost += e->cost_micros;
    mg_strlcpy(r->last, e->request_id, sizeof(r->last));
    assert_int_equal(e->input_tokens, 11);
    assert_int_equal(e->output_tokens, 22);
    assert_string_equal(e->model, "MiniMax-M2.7");
    return MG_OK;
}

static struct rows rows_of(struct mg_store *s, const char *id)
{
    struct rows r = {0};
    assert_int_equal(s->ops->usage_list(s, id, 100000, row_cb, &r), MG_OK);
    return r;
}

static int count_segments(void)
{
    DIR *d = opendir(journal);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".jnl") != NULL;
    closedir(d);
    return n;
}

/* A child process records n events with no writer running, then dies by
 * SIGKILL: what a kill -9 of maxgated leaves. */
static void crash_after_recording(int n, const char *prefix, size_t seg_records)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256], id[40];
        struct mg_meter_opts o = {.segment_records = seg_records, .no_writer = 1};
        struct mg_meter *m = mg_meter_open_opts(spec, journal, &o, err, sizeof(err));
        struct mg_usage_event e;
        if (m == NULL)
            _exit(2);
        for (int i = 0; i < n; i++) {
            snprintf(id, sizeof(id), "%s-%d", prefix, i);
            event(&e, id, 9, 5);
            if (mg_meter_record(m, &e) != MG_OK)
                _exit(3);
        }
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Records written, writer never run, process killed: a new meter on the
 * same directory commits every one of them, once, and a third open adds
 * nothing. */
static void replay_after_crash(void **state)
{
    struct mg_store *s = *state;
    char err[256];
    crash_after_recording(25, "crash", 8); /* 8 per segment: four segments */
    assert_int_equal(count_segments(), 4);  /* 8 + 8 + 8 + 1: no writer made a spare */
    assert_int_equal(rows_of(s, NULL).n, 0);
    struct mg_meter *m = mg_meter_open(spec, journal, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(mg_meter_spend(m, 9), 25 * 5); /* the replayed events count this month */
    mg_meter_close(m);
    struct rows r = rows_of(s, NULL);
    assert_int_equal(r.n, 25);
    assert_int_equal(r.cost, 25 * 5);
    assert_int_equal(count_segments(), 0);
    m = mg_meter_open(spec, journal, err, sizeof(err));
    assert_non_null(m);
    mg_meter_close(m);
    assert_int_equal(rows_of(s, NULL).n, 25); /* none twice */
}

/* A crash in the middle of a record's write leaves its checksum wrong: that
 * record is skipped, the ones before it are committed. */
static void torn_last_record_is_skipped(void **state)
{
    struct mg_store *s = *state;
    char err[256], path[512];
    crash_after_recording(5, "torn", 64);
    /* The child's segments: the one it wrote (5 records) and the ready
     * spare (none).  Damage the 5th record's payload in the written one. */
    DIR *d = opendir(journal);
    struct dirent *e;
    int damaged = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".jnl"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", journal, e->d_name);
        int fd = open(path, O_RDWR);
        assert_true(fd >= 0);
        uint32_t len = 0;
        off_t rec = (off_t)5 * MG_JOURNAL_SLOT; /* slot 0 is the header; record i is slot i + 1 */
        assert_int_equal(pread(fd, &len, 4, rec), 4);
        if (len != 0) {
            uint8_t b;
            assert_int_equal(pread(fd, &b, 1, rec + 20), 1);
            b ^= 0x40;
            assert_int_equal(pwrite(fd, &b, 1, rec + 20), 1);
            damaged++;
        }
        close(fd);
    }
    closedir(d);
    assert_int_equal(damaged, 1);
    struct mg_meter *m = mg_meter_open(spec, journal, err, sizeof(err));
    assert_non_null(m);
    mg_meter_close(m);
    struct rows r = rows_of(s, NULL);
    assert_int_equal(r.n, 4);
    assert_int_equal(rows_of(s, "torn-4").n, 0);
    assert_int_equal(rows_of(s, "torn-3").n, 1);
}

struct recorder {
    struct mg_meter *m;
    int thread, n, failures;
};

static void *record_many(void *arg)
{
    struct recorder *r = arg;
    char id[40];
    struct mg_usage_event e;
    for (int i = 0; i < r->n; i++) {
        snprintf(id, sizeof(id), "roll-%d-%d", r->thread, i);
        event(&e, id, 100 + r->thread, 1);
        r->failures += mg_meter_record(r->m, &e) != MG_OK;
    }
    return NULL;
}

/* Four threads, four lanes, segments of 4 records: many rolls, with the
 * writer committing and deleting segments as they fill.  Every event is
 * committed once; close leaves no segment behind. */
static void segments_roll(void **state)
{
    struct mg_store *s = *state;
    char err[256];
    struct mg_meter_opts o = {.segment_records = 4, .max_segments = 1000};
    struct mg_meter *m = mg_meter_open_opts(spec, journal, &o, err, sizeof(err));
    pthread_t tid[4];
    struct recorder r[4];
    assert_non_null(m);
    for (int i = 0; i < 4; i++) {
        r[i] = (struct recorder){m, i, 250, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, record_many, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(r[i].failures, 0);
        assert_int_equal(mg_meter_spend(m, 100 + i), 250);
    }
    assert_int_equal(mg_meter_flush(m), MG_OK);
    assert_int_equal(rows_of(s, NULL).n, 1000);
    mg_meter_close(m);
    assert_int_equal(rows_of(s, NULL).n, 1000);
    assert_int_equal(count_segments(), 0);
}

/* The ceiling: with the writer not running, a lane holds max_segments
 * segments; the next event is refused (MG_ERR, logged), nothing blocks, and
 * once the writer catches up the lane takes events again.  Only the
 * refused event is missing from the store. */
static void ceiling_refuses_and_recovers(void **state)
{
    struct mg_store *s = *state;
    char err[256], id[40];
    struct mg_meter_opts o = {.segment_records = 4, .max_segments = 3, .no_writer = 1};
    struct mg_meter *m = mg_meter_open_opts(spec, journal, &o, err, sizeof(err));
    struct mg_usage_event e;
    assert_non_null(m);
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof(id), "ceil-%d", i);
        event(&e, id, 7, 1);
        assert_int_equal(mg_meter_record(m, &e), MG_OK);
    }
    event(&e, "ceil-refused", 7, 1);
    assert_int_equal(mg_meter_record(m, &e), MG_ERR);
    assert_int_equal(mg_meter_spend(m, 7), 13); /* the cap still sees it */
    assert_int_equal(mg_meter_flush(m), MG_OK); /* the writer catches up */
    event(&e, "ceil-after", 7, 1);
    assert_int_equal(mg_meter_record(m, &e), MG_OK);
    mg_meter_close(m);
    assert_int_equal(rows_of(s, NULL).n, 13);
    assert_int_equal(rows_of(s, "ceil-refused").n, 0);
    assert_int_equal(rows_of(s, "ceil-after").n, 1);
}

/* A foreign file named *.jnl is not silently ignored: open fails. */
static void foreign_segment_fails_open(void **state)
{
    char err[256], path[256];
    assert_int_equal(mkdir(journal, 0700), 0);
    snprintf(path, sizeof(path), "%s/0000000000000001.jnl", journal);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 1024; i++)
        fputc('x', f);
    fclose(f);
    assert_null(mg_meter_open(spec, journal, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot replay"));
}

/* The estimated mark and the status of an early-ended stream (GW-5) go
 * through a journal record and into the store unchanged. */
static int estimated_cb(void *arg, const struct mg_usage_event *e)
{
    int *seen = arg;
    assert_int_equal(e->http_status, strcmp(e->request_id, "est-1") == 0 ? 502 : 200);
    assert_int_equal(e->estimated, strcmp(e->request_id, "est-1") == 0);
    (*seen)++;
    return MG_OK;
}

static void estimated_mark_survives_the_journal(void **state)
{
    struct mg_store *s = *state;
    char err[256];
    struct mg_usage_event e, back;
    struct mg_journal_seg *seg;
    int seen = 0;
    assert_int_equal(mkdir(journal, 0700), 0);
    seg = mg_journal_seg_create(journal, 1, 4, err, sizeof(err));
    assert_non_null(seg);
    event(&e, "est-1", 9, 5);
    e.http_status = 502;
    e.estimated = 1;
    assert_int_equal(mg_journal_seg_append(seg, &e), MG_OK);
    event(&e, "est-0", 9, 5);
    assert_int_equal(mg_journal_seg_append(seg, &e), MG_OK);
    mg_journal_seg_read(seg, 0, &back);
    assert_int_equal(back.estimated, 1);
    assert_int_equal(back.http_status, 502);
    mg_journal_seg_free(seg, 0);
    struct mg_meter *m = mg_meter_open(spec, journal, err, sizeof(err)); /* replays the segment */
    assert_non_null(m);
    mg_meter_close(m);
    assert_int_equal(s->ops->usage_list(s, NULL, 100, estimated_cb, &seen), MG_OK);
    assert_int_equal(seen, 2);
}

static int tail_cb(void *arg, const struct mg_usage_event *e)
{
    int *seen = arg;
    if (strcmp(e->request_id, "tail-new") == 0 && e->latency_ms == 1234 && e->video_seconds == 10 &&
        strcmp(e->video_res, "1080P") == 0 && e->cost_micros == 5)
        *seen |= 1;
    if (strcmp(e->request_id, "tail-old") == 0 && e->latency_ms == 0 && e->video_seconds == 0 && e->video_res[0] == 0 &&
        e->cost_micros == 6 && e->input_tokens == 11)
        *seen |= 2;
    return MG_OK;
}

/* Since migration 0010 a record ends with a tail (latency, a video's length
 * and resolution); a record written before it, without the tail, still
 * replays, its new fields zero. */
static void record_tail_and_records_without_it(void **state)
{
    struct mg_store *s = *state;
    char err[256];
    struct mg_usage_event e, back;
    struct mg_journal_seg *seg;
    int seen = 0;
    assert_int_equal(mkdir(journal, 0700), 0);
    seg = mg_journal_seg_create(journal, 1, 4, err, sizeof(err));
    assert_non_null(seg);
    event(&e, "tail-new", 9, 5);
    e.latency_ms = 1234;
    e.video_seconds = 10;
    mg_strlcpy(e.video_res, "1080P", sizeof(e.video_res));
    assert_int_equal(mg_journal_seg_append(seg, &e), MG_OK);
    event(&e, "tail-old", 9, 6);
    assert_int_equal(mg_journal_seg_append(seg, &e), MG_OK);
    /* make record 1 the older form: drop its tail (17 bytes with an empty resolution), checksum again */
    uint8_t *rec = seg->base + 2 * MG_JOURNAL_SLOT;
    uint32_t len, crc;
    memcpy(&len, rec, 4);
    len -= 17;
    crc = (uint32_t)crc32(crc32(0L, (const Bytef *)&len, 4), rec + 8, len);
    memcpy(rec, &len, 4);
    memcpy(rec + 4, &crc, 4);
    mg_journal_seg_read(seg, 0, &back);
    assert_int_equal(back.latency_ms, 1234);
    assert_int_equal(back.video_seconds, 10);
    assert_string_equal(back.video_res, "1080P");
    mg_journal_seg_read(seg, 1, &back);
    assert_string_equal(back.request_id, "tail-old");
    assert_int_equal(back.latency_ms, 0);
    assert_int_equal(back.output_tokens, 22);
    mg_journal_seg_free(seg, 0);
    struct mg_meter *m = mg_meter_open(spec, journal, err, sizeof(err)); /* replays the segment */
    assert_non_null(m);
    mg_meter_close(m);
    assert_int_equal(s->ops->usage_list(s, NULL, 100, tail_cb, &seen), MG_OK);
    assert_int_equal(seen, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(replay_after_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(estimated_mark_survives_the_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(record_tail_and_records_without_it, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_last_record_is_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(segments_roll, setup, teardown),
        cmocka_unit_test_setup_teardown(ceiling_refuses_and_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_segment_fails_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
