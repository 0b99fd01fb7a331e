/* Unit tests: the store's list of an account's async tasks (tasks_list):
 * video and speech tasks only, newest first, one account only, the kind and
 * key filters, the (created_ms, id, kind) cursor through equal times, the
 * key's public id and a video's bill joined in, the row ceiling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static int64_t new_key(struct mg_store *s, int64_t account, const char *pub, uint8_t fill)
{
    struct mg_key_record k;
    memset(&k, 0, sizeof(k));
    k.account_id = account;
    mg_strlcpy(k.public_id, pub, sizeof(k.public_id));
    mg_strlcpy(k.name, "test", sizeof(k.name));
    memset(k.digest, fill, sizeof(k.digest));
    k.scopes = 1;
    assert_int_equal(s->ops->key_insert(s, &k), MG_OK);
    return k.id;
}

static int64_t new_account(struct mg_store *s, const char *email)
{
    int64_t id;
    assert_int_equal(s->ops->account_create(s, email, NULL, 0, &id), MG_OK);
    return id;
}

static void put(struct mg_store *s, enum mg_owned_kind kind, const char *id, int64_t account, int64_t key,
                int64_t created)
{
    struct mg_owned o = {.account_id = account, .key_id = key, .created_ms = created, .model = "MiniMax-Hailuo-2.3"};
    if (kind == MG_OWNED_VIDEO_TASK) {
        o.video_seconds = 6;
        mg_strlcpy(o.video_res, "768P", sizeof(o.video_res));
    }
    assert_int_equal(s->ops->owner_put(s, kind, id, &o), MG_OK);
}

struct seen {
    int n;
    struct mg_task_record t[300];
};

static int seen_cb(void *arg, const struct mg_task_record *t)
{
    struct seen *v = arg;
    v->t[v->n++] = *t;
    return MG_OK;
}

static void run(struct mg_store *s, const struct mg_task_filter *f, size_t limit, struct seen *v)
{
    memset(v, 0, sizeof(*v));
    assert_int_equal(s->ops->tasks_list(s, f, limit, seen_cb, v), MG_OK);
}

static void tasks_of_one_account_newest_first(void **state)
{
    struct mg_store *s = *state;
    struct seen v;
    int64_t a = new_account(s, "a@example.com"), b = new_account(s, "b@example.com");
    int64_t k1 = new_key(s, a, "keyoneAAAAAA", 1), k2 = new_key(s, a, "keytwoAAAAAA", 2);
    int64_t kb = new_key(s, b, "keybbbAAAAAA", 3);
    put(s, MG_OWNED_VIDEO_TASK, "100", a, k1, 1000);
    put(s, MG_OWNED_SPEECH_TASK, "200", a, k2, 2000);
    put(s, MG_OWNED_VIDEO_TASK, "300", a, k1, 3000);
    put(s, MG_OWNED_FILE, "400", a, k1, 4000);  /* a file is not a task */
    put(s, MG_OWNED_VOICE, "500", a, k1, 5000); /* nor a voice */
    put(s, MG_OWNED_VIDEO_TASK, "900", b, kb, 2500); /* another account's */
    put(s, MG_OWNED_VIDEO_TASK, "050", a, 999, 500); /* a key that is gone */
    assert_int_equal(s->ops->owner_state(s, MG_OWNED_VIDEO_TASK, "300", "Processing", 3500), MG_OK);
    struct mg_task_filter f = {.account_id = a};
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 4);
    assert_string_equal(v.t[0].id, "300");
    assert_string_equal(v.t[1].id, "200");
    assert_string_equal(v.t[2].id, "100");
    assert_string_equal(v.t[3].id, "050");
    assert_int_equal(v.t[0].kind, MG_OWNED_VIDEO_TASK);
    assert_string_equal(v.t[0].key_public_id, "keyoneAAAAAA");
    assert_string_equal(v.t[0].o.state, "Processing");
    assert_int_equal(v.t[0].o.state_ms, 3500);
    assert_int_equal(v.t[0].o.created_ms, 3000);
    assert_int_equal(v.t[0].o.video_seconds, 6);
    assert_string_equal(v.t[0].o.video_res, "768P");
    assert_string_equal(v.t[0].o.model, "MiniMax-Hailuo-2.3");
    assert_int_equal(v.t[1].kind, MG_OWNED_SPEECH_TASK);
    assert_string_equal(v.t[1].key_public_id, "keytwoAAAAAA");
    assert_string_equal(v.t[1].o.state, ""); /* no query answered yet */
    assert_string_equal(v.t[3].key_public_id, "");
    f.kind = MG_OWNED_SPEECH_TASK;
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.t[0].id, "200");
    f.kind = MG_OWNED_FILE; /* not a task kind: nothing, never the files */
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 0);
    f.kind = 0;
    f.key_public_id = "keyoneAAAAAA";
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.t[1].id, "100");
    f.key_public_id = "keybbbAAAAAA"; /* another account's key: none of its tasks */
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 0);
    struct mg_task_filter fb = {.account_id = b};
    run(s, &fb, 50, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.t[0].id, "900");
    struct mg_task_filter nobody = {.account_id = b + 1};
    run(s, &nobody, 50, &v);
    assert_int_equal(v.n, 0);
}

/* A video's bill is its usage event "video-<id>" (gateway/bill.c), a speech task's never. */
static void a_video_says_whether_it_is_billed(void **state)
{
    struct mg_store *s = *state;
    struct seen v;
    struct mg_usage_event e;
    put(s, MG_OWNED_VIDEO_TASK, "71", 1, 0, 1000);
    put(s, MG_OWNED_VIDEO_TASK, "72", 1, 0, 2000);
    put(s, MG_OWNED_SPEECH_TASK, "71", 1, 0, 3000); /* the same id, the other kind */
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.request_id, "video-71", sizeof(e.request_id));
    e.account_id = 1;
    e.ts_ms = 5000;
    e.http_status = 200;
    assert_int_equal(s->ops->usage_insert(s, &e, 1), MG_OK);
    struct mg_task_filter f = {.account_id = 1};
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.t[0].kind, MG_OWNED_SPEECH_TASK);
    assert_false(v.t[0].billed);
    assert_string_equal(v.t[1].id, "72");
    assert_false(v.t[1].billed);
    assert_string_equal(v.t[2].id, "71");
    assert_true(v.t[2].billed);
}

/* Pages of 3 through 10 tasks sharing one millisecond (both kinds, equal ids
 * too) and 2 older: no task twice, none lost. */
static void cursor_through_equal_times(void **state)
{
    struct mg_store *s = *state;
    struct seen v, all;
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "same%02d", i);
        put(s, MG_OWNED_VIDEO_TASK, id, 3, 0, 5000);
        put(s, MG_OWNED_SPEECH_TASK, id, 3, 0, 5000);
    }
    put(s, MG_OWNED_VIDEO_TASK, "older1", 3, 0, 4000);
    put(s, MG_OWNED_SPEECH_TASK, "older2", 3, 0, 0); /* recorded before 0010: no creation time */
    struct mg_task_filter f = {.account_id = 3};
    char keep[MG_TASK_ID_MAX];
    run(s, &f, 50, &all);
    assert_int_equal(all.n, 12);
    assert_string_equal(all.t[0].id, "same04");
    assert_int_equal(all.t[0].kind, MG_OWNED_VIDEO_TASK); /* 'v' > 's' */
    assert_int_equal(all.t[1].kind, MG_OWNED_SPEECH_TASK);
    assert_string_equal(all.t[11].id, "older2");
    int got = 0;
    for (int page = 0; page < 10; page++) {
        run(s, &f, 3, &v);
        for (int i = 0; i < v.n; i++) {
            assert_string_equal(v.t[i].id, all.t[got + i].id);
            assert_int_equal(v.t[i].kind, all.t[got + i].kind);
        }
        got += v.n;
        if (v.n < 3)
            break;
        f.before_ms = v.t[v.n - 1].o.created_ms;
        f.before_kind = v.t[v.n - 1].kind;
        mg_strlcpy(keep, v.t[v.n - 1].id, sizeof(keep)); /* v is refilled by the next page */
        f.before_id = keep;
    }
    assert_int_equal(got, 12);
}

static void rows_per_call_have_a_ceiling(void **state)
{
    struct mg_store *s = *state;
    struct seen v;
    char id[16];
    for (int i = 0; i < MG_TASKS_PAGE_MAX + 50; i++) {
        snprintf(id, sizeof(id), "t%04d", i);
        put(s, MG_OWNED_VIDEO_TASK, id, 4, 0, 1000 + i);
    }
    struct mg_task_filter f = {.account_id = 4};
    run(s, &f, 100000, &v);
    assert_int_equal(v.n, MG_TASKS_PAGE_MAX);
    assert_int_equal(v.t[0].o.created_ms, 1000 + MG_TASKS_PAGE_MAX + 49);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tasks_of_one_account_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(a_video_says_whether_it_is_billed, setup, teardown),
        cmocka_unit_test_setup_teardown(cursor_through_equal_times, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_per_call_have_a_ceiling, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
