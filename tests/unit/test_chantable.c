/* Unit tests: the slot table of channels changed while running (gateway/chantable.c) and the gateway's
 * add / edit / remove on it (mg_gateway_channel_put / _remove): publish, retire, a slot kept until every
 * loop thread let go, and the ceilings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/mg.h"
#include "gateway/chantable.h"
#include "gateway/gateway.h"
#include "gateway/relay.h" /* the test looks at the gateway's table */

static struct mg_chantable tab;        /* large: not on the stack */
static struct mg_chan_reader ra, rb;   /* two loop threads */

static int fill(const char *name)
{
    int i = mg_chantable_claim(&tab);
    assert_true(i >= 0);
    mg_strlcpy(tab.slot[i].ch.spec.name, name, sizeof(tab.slot[i].ch.spec.name));
    mg_chantable_publish(&tab, i);
    return i;
}

static void retired_slot_waits_for_every_reader(void **state)
{
    mg_chantable_init(&tab);
    memset(&ra, 0, sizeof(ra));
    memset(&rb, 0, sizeof(rb));
    mg_chantable_join(&tab, &ra);
    mg_chantable_join(&tab, &rb);
    mg_chantable_lock(&tab);
    int a = fill("a");
    assert_int_equal(a, 0);
    uint32_t w = mg_chantable_word(&tab, 0);
    assert_int_equal(MG_SLOT_STATE(w), MG_SLOT_LIVE);
    assert_int_equal(MG_SLOT_GEN(w), 1);
    assert_int_equal(mg_chantable_find(&tab, "a"), 0);
    uint64_t epoch = atomic_load(&tab.epoch);
    mg_chantable_retire(&tab, a);
    assert_true(atomic_load(&tab.epoch) > epoch); /* readers look again */
    assert_int_equal(mg_chantable_find(&tab, "a"), -1);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_RETIRED);
    /* neither thread let go: slot 0 is kept, a new channel goes to slot 1 */
    assert_int_equal(fill("b"), 1);
    mg_chantable_ack(&ra, 0, 1);
    assert_int_equal(mg_chantable_claim(&tab), 2); /* rb still holds slot 0 */
    mg_chantable_ack(&rb, 0, 0); /* an old generation's word does not count */
    mg_chantable_reclaim(&tab);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_RETIRED);
    mg_chantable_ack(&rb, 0, 1);
    mg_chantable_reclaim(&tab);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_FREE);
    /* refilled: a new generation, so the old words do not let go of it */
    assert_int_equal(fill("c"), 0);
    assert_int_equal(MG_SLOT_GEN(mg_chantable_word(&tab, 0)), 2);
    mg_chantable_retire(&tab, 0);
    mg_chantable_reclaim(&tab);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_RETIRED);
    mg_chantable_unlock(&tab);
    /* a thread that ends is no longer waited for; one that comes later never used the slot */
    mg_chantable_leave(&tab, &ra);
    mg_chantable_leave(&tab, &rb);
    struct mg_chan_reader late;
    memset(&late, 0, sizeof(late));
    mg_chantable_join(&tab, &late);
    mg_chantable_lock(&tab);
    mg_chantable_reclaim(&tab);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_FREE);
    mg_chantable_unlock(&tab);
    mg_chantable_leave(&tab, &late);
    mg_chantable_free(&tab);
}

static void the_last_reader_frees_without_waiting(void **state)
{
    mg_chantable_init(&tab);
    memset(&ra, 0, sizeof(ra));
    mg_chantable_join(&tab, &ra);
    mg_chantable_lock(&tab);
    fill("a");
    mg_chantable_retire(&tab, 0);
    mg_chantable_ack(&ra, 0, 1);
    mg_chantable_try_reclaim(&tab); /* the lock is taken (a change is under way): nothing, no wait */
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_RETIRED);
    mg_chantable_unlock(&tab);
    mg_chantable_try_reclaim(&tab);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(&tab, 0)), MG_SLOT_FREE);
    mg_chantable_leave(&tab, &ra);
    mg_chantable_free(&tab);
}

/* ---- through the gateway ----------------------------------------------------------------------------- */

static struct mg_gateway *gateway(void)
{
    struct mg_gateway_config cfg;
    uint8_t secret[32] = {1};
    memset(&cfg, 0, sizeof(cfg));
    return mg_gateway_new(&cfg, NULL, 0, NULL, NULL, NULL, NULL, secret, sizeof(secret));
}

static int put(struct mg_gateway *gw, const char *name, const char *models, char *err, size_t errlen)
{
    struct mg_channel_spec s;
    memset(&s, 0, sizeof(s));
    mg_strlcpy(s.name, name, sizeof(s.name));
    s.region = MG_REGION_GLOBAL;
    mg_strlcpy(s.base_url, "http://127.0.0.1:9", sizeof(s.base_url));
    mg_strlcpy(s.proxy, "none", sizeof(s.proxy));
    mg_strlcpy(s.models, models, sizeof(s.models));
    s.weight = 1;
    s.api_key = mg_strdup("upstream-key-for-the-test");
    err[0] = '\0';
    return mg_gateway_channel_put(gw, &s, err, errlen);
}

/* The table of a gateway, as the loop threads read it. */
static const struct mg_chantable *table_of(struct mg_gateway *gw) { return &gw->tab; }

static void add_past_the_ceiling_is_refused(void **state)
{
    struct mg_gateway *gw = gateway();
    char err[256], name[32];
    assert_non_null(gw);
    for (int i = 0; i < MG_MAX_CHANNELS; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        assert_int_equal(put(gw, name, "", err, sizeof(err)), MG_OK);
    }
    assert_int_equal(put(gw, "one-too-many", "", err, sizeof(err)), MG_DECLINED);
    assert_non_null(strstr(err, "at most 64 channels"));
    assert_null(strstr(err, "upstream-key"));
    /* an edit is no new channel; a removal makes room */
    assert_int_equal(put(gw, "c0", "m2", err, sizeof(err)), MG_OK);
    assert_int_equal(mg_gateway_channel_remove(gw, "c1"), MG_OK);
    assert_int_equal(mg_gateway_channel_remove(gw, "c1"), MG_DECLINED);
    assert_int_equal(put(gw, "one-too-many", "", err, sizeof(err)), MG_OK);
    struct mg_channel_state st;
    assert_int_equal(mg_gateway_channel_state(gw, "c1", &st), MG_DECLINED);
    assert_int_equal(mg_gateway_channel_state(gw, "one-too-many", &st), MG_OK);
    assert_int_equal(st.enabled, 1);
    mg_gateway_free(gw);
}

static void edit_is_seen_by_the_next_pick(void **state)
{
    struct mg_gateway *gw = gateway();
    char err[256];
    int unknown;
    const struct mg_chantable *t = table_of(gw);
    assert_int_equal(put(gw, "a", "m1", err, sizeof(err)), MG_OK);
    int first = mg_channel_pick(t, MG_REGION_GLOBAL, "m1", -1, &unknown);
    assert_true(first >= 0);
    assert_string_equal(t->slot[first].ch.spec.name, "a");
    assert_int_equal(put(gw, "a", "m2", err, sizeof(err)), MG_OK);
    assert_int_equal(mg_channel_pick(t, MG_REGION_GLOBAL, "m1", -1, &unknown), -1);
    assert_int_equal(unknown, 1);
    int second = mg_channel_pick(t, MG_REGION_GLOBAL, "m2", -1, &unknown);
    assert_true(second >= 0 && second != first);
    assert_int_equal(MG_SLOT_STATE(mg_chantable_word(t, (size_t)first)), MG_SLOT_RETIRED);
    /* switched off, then removed: no pick */
    assert_int_equal(mg_gateway_channel_set_enabled(gw, "a", 0), MG_OK);
    assert_int_equal(mg_channel_pick(t, MG_REGION_GLOBAL, "m2", -1, &unknown), -1);
    assert_int_equal(mg_gateway_channel_set_enabled(gw, "a", 1), MG_OK);
    assert_int_equal(mg_gateway_channel_remove(gw, "a"), MG_OK);
    assert_int_equal(mg_channel_pick(t, MG_REGION_GLOBAL, "m2", -1, &unknown), -1);
    mg_gateway_free(gw);
}

static void old_versions_still_in_use_fill_the_slots(void **state)
{
    struct mg_gateway *gw = gateway();
    struct mg_chan_reader *busy = mg_calloc(1, sizeof(*busy)); /* a loop thread that never lets go */
    char err[256];
    mg_chantable_join((struct mg_chantable *)table_of(gw), busy);
    int ok = 0;
    for (int i = 0; i < MG_CHANNEL_SLOTS + 1; i++) {
        if (put(gw, "a", i % 2 ? "x" : "y", err, sizeof(err)) != MG_OK)
            break;
        ok++;
    }
    assert_int_equal(ok, MG_CHANNEL_SLOTS); /* one live and 127 old versions */
    assert_non_null(strstr(err, "try again"));
    /* the thread lets go of every old version: the slots are free again */
    const struct mg_chantable *t = table_of(gw);
    for (size_t i = 0; i < mg_chantable_size(t); i++) {
        uint32_t w = mg_chantable_word(t, i);
        if (MG_SLOT_STATE(w) == MG_SLOT_RETIRED)
            mg_chantable_ack(busy, i, MG_SLOT_GEN(w));
    }
    assert_int_equal(put(gw, "a", "z", err, sizeof(err)), MG_OK);
    mg_chantable_leave((struct mg_chantable *)table_of(gw), busy);
    free(busy);
    mg_gateway_free(gw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retired_slot_waits_for_every_reader),
        cmocka_unit_test(the_last_reader_frees_without_waiting),
        cmocka_unit_test(add_past_the_ceiling_is_refused),
        cmocka_unit_test(edit_is_seen_by_the_next_pick),
        cmocka_unit_test(old_versions_still_in_use_fill_the_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
