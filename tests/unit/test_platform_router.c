/* Unit tests: the platform's route table and body specs (platform/router.c, bodyspec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/mg.h"
#include "platform/pf.h"

static const struct pf_route *find(const char *method, const char *path, char params[PF_MAX_PARAMS][PF_PARAM_MAX],
                                   int *known)
{
    return pf_route_find(method, strlen(method), path, strlen(path), params, known);
}

static void routes_match_methods_paths_and_parameters(void **state)
{
    char p[PF_MAX_PARAMS][PF_PARAM_MAX];
    int known;
    const struct pf_route *r = find("POST", "/login", p, &known);
    assert_non_null(r);
    assert_int_equal(r->auth, PF_PUBLIC);
    assert_non_null(find("POST", "/login/", p, &known)); /* one trailing slash is forgiven */
    assert_null(find("GET", "/login", p, &known));
    assert_int_equal(known, 1); /* 405, not 404 */
    assert_null(find("GET", "/nothing", p, &known));
    assert_int_equal(known, 0);
    assert_null(find("POST", "/loginx", p, &known));
    assert_int_equal(known, 0);

    r = find("POST", "/admin/accounts/42/suspend", p, &known);
    assert_non_null(r);
    assert_int_equal(r->auth, PF_ADMIN);
    assert_string_equal(p[0], "42");
    r = find("DELETE", "/me/sessions/7", p, &known);
    assert_non_null(r);
    assert_string_equal(p[0], "7");
    r = find("DELETE", "/me/sessions", p, &known);
    assert_non_null(r);
    assert_ptr_not_equal(r, find("DELETE", "/me/sessions/7", p, &known));
    assert_null(find("DELETE", "/me/sessions//", p, &known)); /* an empty parameter is no parameter */
    char longid[PF_PARAM_MAX + 20];
    memset(longid, '9', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    char path[200];
    snprintf(path, sizeof(path), "/me/sessions/%s", longid);
    assert_null(find("DELETE", path, p, &known)); /* too long for the parameter buffer: no match, no overflow */
}

static void route_spec_of(const char *method, const char *path, struct pf_call *c)
{
    char p[PF_MAX_PARAMS][PF_PARAM_MAX];
    int known;
    memset(c, 0, sizeof(*c));
    c->route = find(method, path, p, &known);
    assert_non_null(c->route);
    assert_non_null(c->route->body);
}

static int check(struct pf_call *c, const char *json)
{
    json_decref(c->body);
    c->body = json ? json_loads(json, 0, NULL) : NULL;
    c->err = MG_E_NONE;
    c->field[0] = '\0';
    return pf_body_check(c, c->route->body, c->body);
}

static void body_specs_name_the_field_at_fault(void **state)
{
    struct pf_call c;
    route_spec_of("POST", "/signup", &c);
    assert_int_equal(check(&c, "{\"email\":\"A@Example.COM \",\"password\":\"x\"}"), MG_OK);
    /* one spelling per address: trimmed and lower-cased in place */
    assert_string_equal(pf_str(&c, "email"), "a@example.com");

    assert_int_equal(check(&c, "{\"password\":\"x\"}"), MG_DECLINED);
    assert_int_equal(c.err, MG_E_FIELD_MISSING);
    assert_string_equal(c.field, "email");
    assert_int_equal(check(&c, NULL), MG_DECLINED); /* no body: the first required field is named */
    assert_string_equal(c.field, "email");

    assert_int_equal(check(&c, "{\"email\":\"a@example.com\",\"password\":5}"), MG_DECLINED);
    assert_int_equal(c.err, MG_E_FIELD_INVALID);
    assert_string_equal(c.field, "password");

    assert_int_equal(check(&c, "{\"email\":\"a@example.com\",\"password\":\"x\",\"admin\":true}"), MG_DECLINED);
    assert_string_equal(c.field, "admin");
    assert_non_null(strstr(c.detail, "Unknown field"));

    const char *bad_emails[] = {"\"nope\"", "\"a@b@c\"", "\"@example.com\"", "\"a b@example.com\"", "\"a@.com\"",
                                "\"a@example..com\"", "\"a@example.com.\"", "17", "\"a@exa_mple.com\""};
    for (size_t i = 0; i < sizeof(bad_emails) / sizeof(bad_emails[0]); i++) {
        char body[200];
        snprintf(body, sizeof(body), "{\"email\":%s,\"password\":\"x\"}", bad_emails[i]);
        assert_int_equal(check(&c, body), MG_DECLINED);
        assert_string_equal(c.field, "email");
    }
    /* a secret's value is never quoted back */
    char pw[1101], big[1200 + 64];
    memset(pw, 'S', sizeof(pw) - 1);
    pw[sizeof(pw) - 1] = '\0';
    snprintf(big, sizeof(big), "{\"email\":\"a@example.com\",\"password\":\"%s\"}", pw);
    assert_int_equal(check(&c, big), MG_DECLINED);
    assert_string_equal(c.field, "password");
    assert_null(strstr(c.detail, "SSSS"));
    json_decref(c.body);
}

static void key_lists_are_bounded_lists_of_strings(void **state)
{
    struct pf_call c;
    route_spec_of("PATCH", "/keys/AbCdEfGhIjKl", &c);
    assert_int_equal(check(&c, "{\"scopes\":[\"chat\",\"speech\"],\"models\":[]}"), MG_OK);
    assert_int_equal(check(&c, "{\"scopes\":\"chat\"}"), MG_DECLINED); /* a list, not a string */
    assert_string_equal(c.field, "scopes");
    assert_int_equal(check(&c, "{\"models\":[\"a\",7]}"), MG_DECLINED);
    assert_string_equal(c.field, "models");
    /* the ceiling: at most 32 models */
    char body[1024];
    size_t o = (size_t)snprintf(body, sizeof(body), "{\"models\":[");
    for (int i = 0; i < 33; i++)
        o += (size_t)snprintf(body + o, sizeof(body) - o, "%s\"m%d\"", i ? "," : "", i);
    snprintf(body + o, sizeof(body) - o, "]}");
    assert_int_equal(check(&c, body), MG_DECLINED);
    assert_string_equal(c.field, "models");
    body[o - 6] = '\0'; /* drop the 33rd */
    snprintf(body + strlen(body), sizeof(body) - strlen(body), "]}");
    assert_int_equal(check(&c, body), MG_OK);
    json_decref(c.body);
}

static void integer_and_string_bounds(void **state)
{
    struct pf_call c;
    route_spec_of("POST", "/recovery-requests", &c);
    assert_int_equal(check(&c, "{\"email\":\"a@example.com\",\"description\":\"\"}"), MG_DECLINED);
    assert_string_equal(c.field, "description");
    assert_int_equal(check(&c, "{\"email\":\"a@example.com\",\"description\":\"lost my phone\"}"), MG_OK);
    json_decref(c.body);
    route_spec_of("POST", "/test/clock", &c);
    assert_int_equal(check(&c, "{\"advance_ms\":-1}"), MG_DECLINED);
    assert_int_equal(check(&c, "{\"advance_ms\":\"5\"}"), MG_DECLINED);
    assert_int_equal(check(&c, "{\"advance_ms\":900000}"), MG_OK);
    assert_int_equal(pf_int(&c, "advance_ms", 0), 900000);
    json_decref(c.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_match_methods_paths_and_parameters),
        cmocka_unit_test(body_specs_name_the_field_at_fault),
        cmocka_unit_test(integer_and_string_bounds),
        cmocka_unit_test(key_lists_are_bounded_lists_of_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
