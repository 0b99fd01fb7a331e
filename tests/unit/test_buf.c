/* Unit tests: the growable buffer with a ceiling (core/buf). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/mg.h"

static void buffer_ceiling(void **state)
{
    struct mg_buf b;
    mg_buf_init(&b, 8);
    assert_int_equal(mg_buf_append(&b, "12345678", 8), MG_OK);
    assert_int_equal(mg_buf_append(&b, "9", 1), MG_DECLINED);
    assert_int_equal(b.len, 8);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buffer_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
