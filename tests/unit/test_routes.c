/* Unit tests: the route table of the API families (gateway/routes.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/routes.h"

static void route_table(void **state)
{
    int ok;
    for (size_t i = 0; i < mg_nroutes; i++) {
        const struct mg_route *r = &mg_routes[i];
        assert_ptr_equal(mg_route_find(r->path, strlen(r->path), r->method, strlen(r->method), &ok), r);
        /* every path starts with / and names its family */
        assert_int_equal(r->path[0], '/');
        assert_non_null(r->name);
    }
    assert_null(mg_route_find("/v1/nope", 8, "GET", 3, &ok));
    assert_int_equal(ok, 1);
    assert_null(mg_route_find("/v1/chat/completions", 20, "GET", 3, &ok));
    assert_int_equal(ok, 0);
    assert_int_equal(mg_route_shape_for("/anthropic/v2/x", 15), MG_SHAPE_ANTHROPIC);
    assert_int_equal(mg_route_shape_for("/v1/x", 5), MG_SHAPE_NATIVE);
    const struct mg_route *r = mg_route_find("/anthropic/v1/messages", 22, "POST", 4, &ok);
    assert_int_equal(r->shape, MG_SHAPE_ANTHROPIC);
    assert_int_equal(r->usage, MG_USAGE_ANTHROPIC);
    r = mg_route_find("/v1/query/video_generation", 26, "GET", 3, &ok);
    assert_int_equal(r->own.op, MG_OWN_USE);
    assert_string_equal(r->own.query, "task_id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
