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
    assert_int_equal(r->own[0].op, MG_OWN_USE);
    assert_string_equal(r->own[0].query, "task_id");
}

/* GW-6 rules say where their id is in a way the gateway can read: a request
 * rule reads the query or a JSON body, a response rule a path, a list path
 * names an array, and every route's rules end with MG_OWN_NONE. */
static void own_rules_are_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < mg_nroutes; i++) {
        const struct mg_route *r = &mg_routes[i];
        size_t n = 0;
        while (n < MG_OWN_RULES && r->own[n].op != MG_OWN_NONE) {
            const struct mg_own_rule *o = &r->own[n++];
            int request = o->op == MG_OWN_USE || o->op == MG_OWN_REFER || o->op == MG_OWN_DELETE ||
                          (o->op == MG_OWN_CREATE && o->resp == NULL);
            if (request) {
                assert_true((o->query != NULL) != (o->body != NULL));
                assert_null(o->resp);
                if (o->body != NULL)
                    assert_int_equal(r->body, MG_BODY_JSON);
            } else {
                assert_non_null(o->resp);
                assert_null(o->query);
                assert_null(o->body);
            }
            if (o->op == MG_OWN_LIST)
                assert_non_null(strstr(o->resp, "[]."));
        }
        assert_true(n < MG_OWN_RULES); /* room for the end marker */
    }
    /* the ids a second account must not reach: every one of them has a rule */
    int ok;
    const struct mg_route *r = mg_route_find("/v1/voice_clone", 15, "POST", 4, &ok);
    assert_int_equal(r->own[1].op, MG_OWN_USE);
    assert_string_equal(r->own[1].body, "file_id");
    r = mg_route_find("/v1/t2a_v2", 10, "POST", 4, &ok);
    assert_int_equal(r->own[0].op, MG_OWN_REFER);
    assert_string_equal(r->own[0].body, "voice_setting.voice_id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_table),
        cmocka_unit_test(own_rules_are_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
