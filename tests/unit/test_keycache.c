/* Unit tests: the in-memory key cache (auth/keycache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "auth/keycache.h"
#include "core/mg.h"

static void keycache_newer_seq_wins(void **state)
{
    struct mg_keycache *kc = mg_keycache_new();
    struct mg_key_record k, out;
    memset(&k, 0, sizeof(k));
    memset(k.digest, 4, sizeof(k.digest));
    k.seq = 5;
    k.status = MG_KEY_REVOKED;
    mg_keycache_put(kc, &k);
    k.seq = 3;
    k.status = MG_KEY_ACTIVE;
    mg_keycache_put(kc, &k); /* older: ignored */
    assert_int_equal(mg_keycache_get(kc, k.digest, &out, NULL), MG_OK);
    assert_int_equal(out.status, MG_KEY_REVOKED);
    memset(k.digest, 5, sizeof(k.digest));
    assert_int_equal(mg_keycache_get(kc, k.digest, &out, NULL), MG_DECLINED);
    mg_keycache_free(kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keycache_newer_seq_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
