/*
 * fuzz_ownpath.c: where GW-6 finds owned ids (src/gateway/ownpath.c), on
 * untrusted request bytes.
 *
 * First byte even: the rest is a query string.  mg_ownpath_query must not
 * crash, must count no more occurrences than there are parameters, and must
 * give a NUL-terminated, canonical id (digits without leading zeros).
 * First byte odd: the rest is a JSON body.  When it is valid JSON, the
 * scanner reader (mg_ownpath_body) and the jansson-tree reader
 * (mg_ownpath_json) must agree, for every path the route table uses, on the
 * result and on every id.
 */
#include "core/jscan.h"
#include "gateway/ownpath.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP 8

static const char *const paths[] = {"file_id",  "voice_id", "task_id", "voice_setting.voice_id",
                                    "timbre_weights[].voice_id", "clone_prompt.prompt_audio", "text_file_id",
                                    "file.file_id", "files[].file_id", "a[].b[].c"};

static void check_id(const char *id)
{
    size_t n = strnlen(id, MG_OWN_ID_MAX);
    if (n == MG_OWN_ID_MAX)
        abort(); /* not NUL-terminated */
    if (n > 1 && id[0] == '0' && strspn(id, "0123456789") == n)
        abort(); /* digits keep no leading zero */
}

static void query(const char *q, size_t len)
{
    static const char *const names[] = {"file_id", "task_id", "voice_id", "id"};
    size_t params = 1;
    for (size_t i = 0; i < len; i++)
        params += q[i] == '&';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct mg_own_id out;
        memset(&out, 'x', sizeof(out));
        int n = mg_ownpath_query(q, len, names[i], &out);
        if (n < 0 || (size_t)n > params)
            abort();
        if (n > 0)
            check_id(out.id);
    }
}

static void body(const char *doc, size_t len)
{
    struct mg_jscan js = {.flags = 0};
    if (mg_jscan_parse(&js, doc, len) != 0 || js.top != MG_JSCAN_OBJECT)
        return; /* the gateway reads ids only from bodies the scanner accepted */
    json_t *tree = json_loadb(doc, len, 0, NULL);
    if (tree == NULL)
        return;
    for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        struct mg_own_id a[CAP], b[CAP];
        size_t na = 0, nb = 0;
        int ra = mg_ownpath_body(doc, len, paths[p], a, CAP, &na);
        int rb = mg_ownpath_json(tree, paths[p], b, CAP, &nb);
        if (ra != rb || na != nb) {
            fprintf(stderr, "fuzz_ownpath: path %s: scanner %d/%zu, tree %d/%zu\n", paths[p], ra, na, rb, nb);
            abort();
        }
        for (size_t i = 0; i < na; i++) {
            check_id(a[i].id);
            if (strcmp(a[i].id, b[i].id) != 0) {
                fprintf(stderr, "fuzz_ownpath: path %s id %zu: scanner '%s', tree '%s'\n", paths[p], i, a[i].id,
                        b[i].id);
                abort();
            }
        }
    }
    json_decref(tree);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        query((const char *)data + 1, size - 1);
    else
        body((const char *)data + 1, size - 1);
    return 0;
}
