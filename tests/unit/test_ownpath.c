/* Unit tests: ids of owned resources at paths in bodies, answers and query strings (gateway/ownpath.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/mg.h"
#include "gateway/ownpath.h"

static int body(const char *doc, const char *path, struct mg_own_id *out, size_t cap, size_t *n)
{
    *n = 0;
    return mg_ownpath_body(doc, strlen(doc), path, out, cap, n);
}

static void canon(void **state)
{
    (void)state;
    char a[] = "000123", b[] = "0", c[] = "000", d[] = "0x1", e[] = "Voice01";
    mg_ownpath_canon(a);
    mg_ownpath_canon(b);
    mg_ownpath_canon(c);
    mg_ownpath_canon(d);
    mg_ownpath_canon(e);
    assert_string_equal(a, "123");
    assert_string_equal(b, "0");
    assert_string_equal(c, "0");
    assert_string_equal(d, "0x1");
    assert_string_equal(e, "Voice01");
}

static void body_paths(void **state)
{
    (void)state;
    struct mg_own_id ids[8];
    size_t n;
    assert_int_equal(body("{\"file_id\":300000000001,\"voice_id\":\"V1\"}", "file_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0].id, "300000000001");
    assert_int_equal(body("{\"file_id\":\"0042\"}", "file_id", ids, 8, &n), MG_OK);
    assert_string_equal(ids[0].id, "42");
    /* nested objects; the same key elsewhere is not the path */
    const char *t2a = "{\"voice_id\":\"top\",\"voice_setting\":{\"speed\":1,\"voice_id\":\"Alice\\u0056oice\"},"
                      "\"timbre_weights\":[{\"voice_id\":\"A\",\"weight\":1},{\"weight\":2},7,{\"voice_id\":\"B\"}]}";
    assert_int_equal(body(t2a, "voice_setting.voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0].id, "AliceVoice");
    assert_int_equal(body(t2a, "timbre_weights[].voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0].id, "A");
    assert_string_equal(ids[1].id, "B");
    /* absent, null or a container of the wrong type: names nothing */
    assert_int_equal(body("{\"model\":\"m\"}", "voice_setting.voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(body("{\"voice_setting\":\"x\"}", "voice_setting.voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(body("{\"voice_setting\":{\"voice_id\":null}}", "voice_setting.voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(body("{\"timbre_weights\":{}}", "timbre_weights[].voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(n, 0);
    /* a value that is not an id is refused, not skipped */
    assert_int_equal(body("{\"file_id\":1.0}", "file_id", ids, 8, &n), MG_DECLINED);
    assert_int_equal(body("{\"file_id\":\"\"}", "file_id", ids, 8, &n), MG_DECLINED);
    assert_int_equal(body("{\"file_id\":[1]}", "file_id", ids, 8, &n), MG_DECLINED);
    assert_int_equal(body("{\"clone_prompt\":{\"prompt_audio\":{}}}", "clone_prompt.prompt_audio", ids, 8, &n),
                     MG_DECLINED);
    assert_int_equal(body("{\"timbre_weights\":[{\"voice_id\":true}]}", "timbre_weights[].voice_id", ids, 8, &n),
                     MG_DECLINED);
    assert_int_equal(body("{\"file_id\":\"a\\u0000b\"}", "file_id", ids, 8, &n), MG_DECLINED); /* jscan rejects */
    char longid[400];
    memset(longid, 'v', sizeof(longid));
    snprintf(longid, sizeof(longid), "{\"voice_id\":\"%0*d\"}", MG_OWN_ID_MAX, 7); /* 260 digits: too long */
    assert_int_equal(body(longid, "voice_id", ids, 8, &n), MG_DECLINED);
    snprintf(longid, sizeof(longid), "{\"voice_id\":\"V%0255d\"}", 7); /* 256 characters: MiniMax's longest */
    assert_int_equal(body(longid, "voice_id", ids, 8, &n), MG_OK);
    assert_int_equal(strlen(ids[0].id), 256);
    /* the ceiling: more ids than cap */
    const char *many = "{\"timbre_weights\":[{\"voice_id\":\"a\"},{\"voice_id\":\"b\"},{\"voice_id\":\"c\"}]}";
    assert_int_equal(body(many, "timbre_weights[].voice_id", ids, 2, &n), MG_AGAIN);
    assert_int_equal(n, 2);
    assert_int_equal(body(many, "timbre_weights[].voice_id", ids, 3, &n), MG_OK);
}

static void answer_paths(void **state)
{
    (void)state;
    struct mg_own_id ids[4];
    size_t n = 0;
    json_t *doc = json_loads("{\"file\":{\"file_id\":301},\"task_id\":\"0099\"}", 0, NULL);
    assert_int_equal(mg_ownpath_json(doc, "file.file_id", ids, 4, &n), MG_OK);
    assert_int_equal(mg_ownpath_json(doc, "task_id", ids, 4, &n), MG_OK);
    assert_int_equal(mg_ownpath_json(doc, "file_id", ids, 4, &n), MG_OK); /* absent */
    assert_int_equal(n, 2);
    assert_string_equal(ids[0].id, "301");
    assert_string_equal(ids[1].id, "99");
    json_decref(doc);
}

static int keep_even(void *arg, size_t i)
{
    size_t *calls = arg;
    (*calls)++;
    return i % 2 == 0;
}

static void lists(void **state)
{
    (void)state;
    struct mg_own_id ids[8];
    size_t calls = 0;
    json_t *doc = json_loads("{\"files\":[{\"file_id\":1,\"filename\":\"a\"},{\"file_id\":\"2\"},{\"filename\":\"no id\"},"
                             "{\"file_id\":3},{\"file_id\":{}},{\"file_id\":4}],\"base_resp\":{\"status_code\":0}}",
                             0, NULL);
    assert_int_equal(mg_ownpath_list_len(doc, "files[].file_id"), 6);
    assert_int_equal(mg_ownpath_list_len(doc, "data[].file_id"), 0);
    assert_int_equal(mg_ownpath_list(doc, "files[].file_id", ids, 8), 4);
    assert_string_equal(ids[0].id, "1");
    assert_string_equal(ids[3].id, "4");
    assert_int_equal(mg_ownpath_list(doc, "files[].file_id", ids, 2), 2); /* never past cap */
    /* keeps ids 0 and 2 of the four (1 and 3); the two without an id go too */
    assert_int_equal(mg_ownpath_filter(doc, "files[].file_id", keep_even, &calls), 4);
    assert_int_equal(calls, 4);
    char *s = json_dumps(doc, JSON_COMPACT);
    assert_string_equal(s, "{\"files\":[{\"file_id\":1,\"filename\":\"a\"},{\"file_id\":3}],\"base_resp\":{\"status_code\":0}}");
    free(s);
    assert_int_equal(mg_ownpath_filter(doc, "data[].file_id", keep_even, &calls), 0);
    json_decref(doc);
    doc = json_loads("{\"voice_cloning\":\"not a list\"}", 0, NULL);
    assert_int_equal(mg_ownpath_list_len(doc, "voice_cloning[].voice_id"), 0);
    assert_int_equal(mg_ownpath_filter(doc, "voice_cloning[].voice_id", keep_even, &calls), 0);
    json_decref(doc);
}

static void query(void **state)
{
    (void)state;
    struct mg_own_id id;
    const char *q = "purpose=x&file_id=0301&other=1";
    assert_int_equal(mg_ownpath_query(q, strlen(q), "file_id", &id), 1);
    assert_string_equal(id.id, "301");
    assert_int_equal(mg_ownpath_query(q, strlen(q), "task_id", &id), 0);
    /* an encoded name is the same name: counted, so a second one is seen */
    q = "file%5Fid=302&file_id=301";
    assert_int_equal(mg_ownpath_query(q, strlen(q), "file_id", &id), 2);
    assert_string_equal(id.id, "302");
    q = "task_id=%41b+c";
    assert_int_equal(mg_ownpath_query(q, strlen(q), "task_id", &id), 1);
    assert_string_equal(id.id, "Ab c");
    q = "task_id=&x";
    assert_int_equal(mg_ownpath_query(q, strlen(q), "task_id", &id), 1);
    assert_string_equal(id.id, "");
    q = "task_id";
    assert_int_equal(mg_ownpath_query(q, strlen(q), "task_id", &id), 1);
    assert_string_equal(id.id, "");
    q = "task_id=%4"; /* a broken escape stays as it is */
    assert_int_equal(mg_ownpath_query(q, strlen(q), "task_id", &id), 1);
    assert_string_equal(id.id, "%4");
    char big[600] = "task_id=";
    memset(big + 8, '7', 400);
    big[408] = '\0';
    assert_int_equal(mg_ownpath_query(big, strlen(big), "task_id", &id), 1);
    assert_string_equal(id.id, ""); /* too long: no id */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canon), cmocka_unit_test(body_paths), cmocka_unit_test(answer_paths),
        cmocka_unit_test(lists), cmocka_unit_test(query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
