/* Unit tests: the replaceable price table (billing/pricebook.c): a pinned
 * table outlives its replacement until unpinned, the retired ceiling, and
 * readers pinning while a writer publishes (ASan sees any use after free). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "billing/pricebook.h"
#include "core/mg.h"

static void pinned_table_outlives_its_replacement(void **state)
{
    (void)state;
    struct mg_pricebook *b = mg_pricebook_new(mg_prices_default());
    struct mg_price_pin old, now;
    assert_int_equal(mg_pricebook_pin(b, &old), MG_OK);
    assert_non_null(mg_prices_find(old.t, "MiniMax-M2.7"));
    struct mg_price_table *t = mg_prices_default();
    struct mg_price p;
    memset(&p, 0, sizeof(p));
    mg_strlcpy(p.model, "only-new", sizeof(p.model));
    p.input_per_mtok = 1;
    mg_prices_set(t, &p);
    assert_int_equal(mg_pricebook_publish(b, t), MG_OK);
    assert_int_equal(mg_pricebook_collect(b), 1);       /* the old one is held */
    assert_null(mg_prices_find(old.t, "only-new"));     /* ... and still readable */
    assert_int_equal(mg_pricebook_pin(b, &now), MG_OK);
    assert_ptr_equal(now.t, t);
    mg_pricebook_unpin(&old);
    mg_pricebook_unpin(&old); /* idempotent */
    assert_int_equal(mg_pricebook_collect(b), 0);
    mg_pricebook_unpin(&now);
    mg_pricebook_free(b);
}

static void retired_ceiling(void **state)
{
    (void)state;
    struct mg_pricebook *b = mg_pricebook_new(mg_prices_default());
    struct mg_price_pin pins[MG_PRICEBOOK_RETIRED_MAX];
    for (int i = 0; i < MG_PRICEBOOK_RETIRED_MAX; i++) {
        assert_int_equal(mg_pricebook_pin(b, &pins[i]), MG_OK);
        assert_int_equal(mg_pricebook_publish(b, mg_prices_default()), MG_OK);
    }
    /* every replaced table is still pinned: the next publish waits (refused, the table freed) */
    assert_int_equal(mg_pricebook_publish(b, mg_prices_default()), MG_AGAIN);
    mg_pricebook_unpin(&pins[0]);
    assert_int_equal(mg_pricebook_publish(b, mg_prices_default()), MG_OK);
    for (int i = 1; i < MG_PRICEBOOK_RETIRED_MAX; i++)
        mg_pricebook_unpin(&pins[i]);
    assert_int_equal(mg_pricebook_collect(b), 0);
    mg_pricebook_free(b);
}

#define READERS 4
#define PUBLISHES 5000 /* each a window for a reader between loading the current version and announcing it */
static _Atomic int stop;

static void *reader(void *arg)
{
    struct mg_pricebook *b = arg;
    struct mg_price_pin p;
    while (!atomic_load(&stop))
        for (int i = 0; i < 100; i++) {
            assert_int_equal(mg_pricebook_pin(b, &p), MG_OK);
            assert_non_null(mg_prices_find(p.t, "MiniMax-M2.7")); /* reads the pinned table */
            mg_pricebook_unpin(&p);
        }
    return NULL;
}

static void readers_race_a_publisher(void **state)
{
    (void)state;
    pthread_t t[READERS];
    struct mg_pricebook *b = mg_pricebook_new(mg_prices_default());
    atomic_store(&stop, 0);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, b), 0);
    for (int i = 0; i < PUBLISHES; i++)
        while (mg_pricebook_publish(b, mg_prices_default()) != MG_OK)
            ;
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(mg_pricebook_collect(b), 0);
    mg_pricebook_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pinned_table_outlives_its_replacement),
        cmocka_unit_test(retired_ceiling),
        cmocka_unit_test(readers_race_a_publisher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
