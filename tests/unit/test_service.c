/* Unit tests: services and key scopes (core/service). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mg.h"
#include "core/service.h"

static void scopes_round_trip(void **state)
{
    uint32_t s;
    char out[128], bad[32];
    assert_int_equal(mg_scopes_parse("chat,video", &s, bad, sizeof(bad)), MG_OK);
    assert_int_equal(s, MG_SCOPE(MG_SVC_CHAT) | MG_SCOPE(MG_SVC_VIDEO));
    mg_scopes_format(s, out, sizeof(out));
    assert_string_equal(out, "chat,video");
    assert_int_equal(mg_scopes_parse("chat,bogus", &s, bad, sizeof(bad)), MG_DECLINED);
    assert_string_equal(bad, "bogus");
    assert_int_equal(mg_scopes_parse("all", &s, NULL, 0), MG_OK);
    assert_int_equal(s, MG_SCOPES_ALL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scopes_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
