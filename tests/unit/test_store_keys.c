/* Unit tests: the store's platform key ops (keys_list, key_get, key_update, keys_count_active). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mg.h"
#include "core/service.h"
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

static void new_key(struct mg_store *s, int64_t account, const char *pub, uint8_t fill, int64_t created)
{
    struct mg_key_record k;
    memset(&k, 0, sizeof(k));
    k.account_id = account;
    k.created_ms = created;
    mg_strlcpy(k.public_id, pub, sizeof(k.public_id));
    mg_strlcpy(k.name, "test", sizeof(k.name));
    mg_strlcpy(k.models, "MiniMax-M1", sizeof(k.models));
    memset(k.digest, fill, sizeof(k.digest));
    k.scopes = MG_SCOPES_ALL;
    assert_int_equal(s->ops->key_insert(s, &k), MG_OK);
}

struct seen {
    char ids[8][16];
    int n;
    int stop_after;
};

static int collect(void *arg, const struct mg_key_record *k)
{
    struct seen *v = arg;
    mg_strlcpy(v->ids[v->n++], k->public_id, sizeof(v->ids[0]));
    return v->stop_after && v->n >= v->stop_after ? MG_DECLINED : MG_OK;
}

static int same_as_since(void *arg, const struct mg_key_record *k)
{
    struct mg_key_record *want = arg;
    if (strcmp(k->public_id, want->public_id) == 0)
        *want = *k;
    return MG_OK;
}

static void list_is_per_account_newest_first(void **state)
{
    struct mg_store *s = *state;
    int64_t a, b;
    assert_int_equal(s->ops->account_create(s, "a@example.com", NULL, 0, &a), MG_OK);
    assert_int_equal(s->ops->account_create(s, "b@example.com", NULL, 0, &b), MG_OK);
    new_key(s, a, "AAAAAAAAAAA1", 1, 1000);
    new_key(s, a, "AAAAAAAAAAA2", 2, 3000);
    new_key(s, b, "BBBBBBBBBBB1", 3, 2000);
    new_key(s, a, "AAAAAAAAAAA3", 4, 2000);
    struct seen v = {0};
    assert_int_equal(s->ops->keys_list(s, a, collect, &v), MG_OK);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "AAAAAAAAAAA2");
    assert_string_equal(v.ids[1], "AAAAAAAAAAA3");
    assert_string_equal(v.ids[2], "AAAAAAAAAAA1");
    struct seen w = {.stop_after = 1};
    assert_int_equal(s->ops->keys_list(s, a, collect, &w), MG_OK); /* the callback stops it */
    assert_int_equal(w.n, 1);
    struct seen none = {0};
    assert_int_equal(s->ops->keys_list(s, 999, collect, &none), MG_OK);
    assert_int_equal(none.n, 0);
}

static void get_fills_the_account_fields_like_keys_since(void **state)
{
    struct mg_store *s = *state;
    int64_t a, max = 0;
    struct mg_key_record k, since;
    assert_int_equal(s->ops->account_create(s, "a@example.com", NULL, 0, &a), MG_OK);
    new_key(s, a, "AAAAAAAAAAA1", 7, 1000);
    assert_int_equal(s->ops->account_set_cap(s, a, 5000000), MG_OK);
    assert_int_equal(s->ops->account_set_suspended(s, a, 1), MG_OK);
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA1", &k), MG_OK);
    memset(&since, 0, sizeof(since));
    mg_strlcpy(since.public_id, "AAAAAAAAAAA1", sizeof(since.public_id));
    assert_int_equal(s->ops->keys_since(s, 0, same_as_since, &since, &max), MG_OK);
    assert_memory_equal(&k, &since, sizeof(k));
    assert_int_equal(k.account_suspended, 1);
    assert_int_equal(k.account_cap_micros, 5000000);
    assert_int_equal(k.account_id, a);
    assert_string_equal(k.models, "MiniMax-M1");
    assert_int_equal(s->ops->key_get(s, "nonexistent1", &k), MG_DECLINED);
}

static void update_changes_only_what_is_given_and_bumps_seq(void **state)
{
    struct mg_store *s = *state;
    int64_t a;
    struct mg_key_record k0, k;
    uint32_t chat = MG_SCOPE(MG_SVC_CHAT);
    assert_int_equal(s->ops->account_create(s, "a@example.com", NULL, 0, &a), MG_OK);
    new_key(s, a, "AAAAAAAAAAA1", 1, 1000);
    new_key(s, a, "AAAAAAAAAAA2", 2, 1000);
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA1", &k0), MG_OK);

    assert_int_equal(s->ops->key_update(s, "AAAAAAAAAAA1", &(struct mg_key_change){.name = "renamed"}), MG_OK);
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA1", &k), MG_OK);
    assert_string_equal(k.name, "renamed");
    assert_int_equal(k.scopes, MG_SCOPES_ALL);
    assert_string_equal(k.models, "MiniMax-M1");
    assert_true(k.seq > k0.seq);

    int64_t seq1 = k.seq;
    assert_int_equal(s->ops->key_update(s, "AAAAAAAAAAA1", &(struct mg_key_change){.scopes = &chat, .models = ""}),
                     MG_OK);
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA1", &k), MG_OK);
    assert_string_equal(k.name, "renamed");
    assert_int_equal(k.scopes, chat);
    assert_string_equal(k.models, "");
    assert_true(k.seq > seq1);
    assert_int_equal(k.rpm, 0);

    /* limits: set, then one cleared (0) while the others stay */
    int64_t ten = 10, big = 50000, cap = 5000000, zero = 0;
    assert_int_equal(s->ops->key_update(s, "AAAAAAAAAAA1",
                                        &(struct mg_key_change){.rpm = &ten, .tpm = &big, .cap_micros = &cap}),
                     MG_OK);
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA1", &k), MG_OK);
    assert_int_equal(k.rpm, 10);
    assert_int_equal(k.tpm, 50000);
    assert_int_equal(k.cap_micros, 5000000);
    assert_int_equal(s->ops->key_update(s, "AAAAAAAAAAA1", &(struct mg_key_change){.tpm = &zero}), MG_OK);
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA1", &k), MG_OK);
    assert_int_equal(k.rpm, 10);
    assert_int_equal(k.tpm, 0);
    assert_int_equal(k.cap_micros, 5000000);

    /* the other key is untouched */
    assert_int_equal(s->ops->key_get(s, "AAAAAAAAAAA2", &k), MG_OK);
    assert_string_equal(k.name, "test");
    assert_int_equal(k.scopes, MG_SCOPES_ALL);

    assert_int_equal(s->ops->key_update(s, "nonexistent1", &(struct mg_key_change){.name = "x"}), MG_DECLINED);
}

static void count_active_skips_revoked_and_expired(void **state)
{
    struct mg_store *s = *state;
    int64_t a, b;
    int n = -1;
    assert_int_equal(s->ops->account_create(s, "a@example.com", NULL, 0, &a), MG_OK);
    assert_int_equal(s->ops->account_create(s, "b@example.com", NULL, 0, &b), MG_OK);
    assert_int_equal(s->ops->keys_count_active(s, a, 5000, &n), MG_OK);
    assert_int_equal(n, 0);
    new_key(s, a, "AAAAAAAAAAA1", 1, 1000);
    new_key(s, a, "AAAAAAAAAAA2", 2, 1000);
    new_key(s, a, "AAAAAAAAAAA3", 3, 1000);
    new_key(s, b, "BBBBBBBBBBB1", 4, 1000);
    assert_int_equal(s->ops->key_set_status(s, "AAAAAAAAAAA2", MG_KEY_REVOKED), MG_OK);
    assert_int_equal(s->ops->key_set_expiry(s, "AAAAAAAAAAA3", 6000), MG_OK);
    assert_int_equal(s->ops->keys_count_active(s, a, 5000, &n), MG_OK);
    assert_int_equal(n, 2); /* 1, and 3 until 6000 */
    assert_int_equal(s->ops->keys_count_active(s, a, 6000, &n), MG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s->ops->keys_count_active(s, b, 6000, &n), MG_OK);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_is_per_account_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(get_fills_the_account_fields_like_keys_since, setup, teardown),
        cmocka_unit_test_setup_teardown(update_changes_only_what_is_given_and_bumps_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(count_active_skips_revoked_and_expired, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
