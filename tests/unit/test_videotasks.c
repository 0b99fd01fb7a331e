/* Unit tests: video tasks' holds from creation to bill, and the billed ring (gateway/videotasks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "billing/spendword.h"
#include "core/mg.h"
#include "gateway/videotasks.h"

#define MONTH 683 /* December 2026 */

static _Atomic uint64_t word; /* one account's held word */

static struct mg_reservation held(int64_t amount)
{
    mg_spendword_add(&word, MONTH, amount); /* what mg_reserve_take adds */
    struct mg_reservation r = {&word, MONTH, amount};
    return r;
}

static int64_t held_now(void) { return (int64_t)mg_spendword_micros(word, MONTH); }

static void holds_move_in_and_out(void **state)
{
    struct mg_video_tasks *v = mg_video_tasks_new();
    struct mg_reservation a = held(250000), k = {0}, got, gotk;
    int64_t key_id = 0;
    mg_video_tasks_hold(v, "1001", 7, &a, &k, 1000);
    assert_null(a.word); /* moved: the creation's answer releases nothing */
    assert_int_equal(held_now(), 250000);
    assert_int_equal(mg_video_tasks_take(v, "1002", &got, &gotk, &key_id), 0);
    assert_int_equal(mg_video_tasks_take(v, "1001", &got, &gotk, &key_id), 1);
    assert_int_equal(key_id, 7);
    assert_int_equal(got.amount, 250000);
    mg_reserve_release(&got);
    assert_int_equal(held_now(), 0);
    assert_int_equal(mg_video_tasks_take(v, "1001", &got, &gotk, &key_id), 0); /* once */
    assert_null(got.word);
    /* what is still held when the gateway goes is given back */
    a = held(100);
    mg_video_tasks_hold(v, "1003", 7, &a, &k, 2000);
    mg_video_tasks_free(v);
    assert_int_equal(held_now(), 0);
}

/* A task never queried gives its hold back after MG_VIDEO_HOLD_MS; at the
 * ceiling the oldest goes back first; taken holds leave holes that do not
 * count against the live ones. */
static void age_and_ceiling(void **state)
{
    struct mg_video_tasks *v = mg_video_tasks_new();
    struct mg_reservation a, k = {0}, got, gotk;
    int64_t key_id;
    char id[32];
    a = held(10);
    mg_video_tasks_hold(v, "old", 1, &a, &k, 0);
    a = held(20);
    mg_video_tasks_hold(v, "young", 1, &a, &k, MG_VIDEO_HOLD_MS - 1);
    a = held(30);
    mg_video_tasks_hold(v, "new", 1, &a, &k, MG_VIDEO_HOLD_MS); /* "old" is a day old now */
    assert_int_equal(held_now(), 50);
    assert_int_equal(mg_video_tasks_take(v, "old", &got, &gotk, &key_id), 0);
    assert_int_equal(mg_video_tasks_take(v, "young", &got, &gotk, &key_id), 1);
    mg_reserve_release(&got);
    /* fill to the ceiling: the oldest live hold ("new") goes back for the one past it */
    for (int i = 0; i < MG_VIDEO_HOLDS - 1; i++) {
        snprintf(id, sizeof(id), "t%d", i);
        a = held(1);
        mg_video_tasks_hold(v, id, 1, &a, &k, MG_VIDEO_HOLD_MS + 1);
    }
    assert_int_equal(held_now(), 30 + MG_VIDEO_HOLDS - 1);
    a = held(1);
    mg_video_tasks_hold(v, "past", 1, &a, &k, MG_VIDEO_HOLD_MS + 2);
    assert_int_equal(mg_video_tasks_take(v, "new", &got, &gotk, &key_id), 0);
    assert_int_equal(held_now(), MG_VIDEO_HOLDS);
    assert_int_equal(mg_video_tasks_take(v, "t0", &got, &gotk, &key_id), 1);
    mg_reserve_release(&got);
    assert_int_equal(mg_video_tasks_take(v, "past", &got, &gotk, &key_id), 1);
    mg_reserve_release(&got);
    mg_video_tasks_free(v);
    assert_int_equal(held_now(), 0);
}

static void billed_once(void **state)
{
    struct mg_video_tasks *v = mg_video_tasks_new();
    char id[32];
    assert_int_equal(mg_video_tasks_billed(v, "42"), 0);
    assert_int_equal(mg_video_tasks_billed(v, "42"), 1);
    for (int i = 0; i < MG_VIDEO_BILLED; i++) { /* the ring forgets the oldest at its ceiling */
        snprintf(id, sizeof(id), "b%d", i);
        assert_int_equal(mg_video_tasks_billed(v, id), 0);
    }
    assert_int_equal(mg_video_tasks_billed(v, "42"), 0);
    mg_video_tasks_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(holds_move_in_and_out),
        cmocka_unit_test(age_and_ceiling),
        cmocka_unit_test(billed_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
