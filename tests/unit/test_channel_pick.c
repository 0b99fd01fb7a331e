/* Unit tests: the weighted channel pick (gateway/channel.c) over the slot table, with channels switched off
 * or retired live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/mg.h"
#include "gateway/channel.h"
#include "gateway/chantable.h"

static struct mg_chantable tab; /* large: not on the stack */

/* Three live channels in slots 0..2; ch points at their channels. */
static void setup3(struct mg_channel **ch)
{
    mg_chantable_init(&tab);
    mg_chantable_lock(&tab);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mg_chantable_claim(&tab), i);
        ch[i] = &tab.slot[i].ch;
        ch[i]->spec.region = MG_REGION_GLOBAL;
        ch[i]->spec.weight = 1;
        atomic_store(&ch[i]->enabled, 1);
        mg_chantable_publish(&tab, i);
    }
    mg_chantable_unlock(&tab);
    mg_strlcpy(ch[2]->spec.models, "only-c", sizeof(ch[2]->spec.models));
}

static void disabled_is_never_picked(void **state)
{
    struct mg_channel *ch[3];
    int unknown;
    setup3(ch);
    atomic_store(&ch[0]->enabled, 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "m", -1, &unknown), 1);
    /* a cooling channel is still better than none; a disabled one is not */
    mg_channel_cool(ch[1], 60000);
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "m", -1, &unknown), 1);
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "m", 1, &unknown), -1);
    assert_int_equal(atomic_load(&ch[1]->failures), 1);
    assert_true(atomic_load(&ch[1]->last_failure_ms) > 0);
    /* a retired slot is never picked either: the one left is slot 2, which does not list "m" */
    mg_chantable_lock(&tab);
    mg_chantable_retire(&tab, 1);
    mg_chantable_unlock(&tab);
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "m", -1, &unknown), -1);
    assert_int_equal(unknown, 0); /* slot 0 (off) lists it: no channel, not an unknown model */
    mg_chantable_free(&tab);
}

static void all_off_is_no_channel_not_unknown_model(void **state)
{
    struct mg_channel *ch[3];
    int unknown = -1;
    setup3(ch);
    for (int i = 0; i < 3; i++)
        atomic_store(&ch[i]->enabled, 0);
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "m", -1, &unknown), -1);
    assert_int_equal(unknown, 0);
    /* only the switched-off channel lists the model: still "no channel", not "unknown model" */
    atomic_store(&ch[0]->enabled, 1);
    atomic_store(&ch[1]->enabled, 1);
    mg_strlcpy(ch[0]->spec.models, "x", sizeof(ch[0]->spec.models));
    mg_strlcpy(ch[1]->spec.models, "x", sizeof(ch[1]->spec.models));
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "only-c", -1, &unknown), -1);
    assert_int_equal(unknown, 0);
    /* a model nobody lists is unknown */
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "nope", -1, &unknown), -1);
    assert_int_equal(unknown, 1);
    atomic_store(&ch[2]->enabled, 1);
    assert_int_equal(mg_channel_pick(&tab, MG_REGION_GLOBAL, "only-c", -1, &unknown), 2);
    mg_chantable_free(&tab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disabled_is_never_picked),
        cmocka_unit_test(all_off_is_no_channel_not_unknown_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
