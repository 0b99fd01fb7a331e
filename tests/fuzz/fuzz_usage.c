/*
 * fuzz_usage.c: the tree-free usage readers (src/gateway/usage.c) against the
 * jansson-tree reference, for every kind.
 *
 * For every input and kind, starting from the same event (its token fields
 * seeded from the input, since anthropic's output count only grows):
 *   mg_usage_from_frame == json_loadb(data, 0) + mg_usage_extract, and
 *   mg_usage_from_body  == json_loadb(body, 0) + the row's base_resp rule +
 *                          mg_usage_extract, for bodies jansson accepts,
 * both in the return value and in every unit of the event afterwards.
 */
#include "gateway/usage.h"
#include "core/mg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int a, int b, const struct mg_usage_event *x, const struct mg_usage_event *y, int kind,
                  const char *what)
{
    if (a != b || x->input_tokens != y->input_tokens || x->output_tokens != y->output_tokens ||
        x->cached_tokens != y->cached_tokens || x->characters != y->characters || x->images != y->images ||
        x->videos != y->videos || x->tracks != y->tracks || x->voices != y->voices) {
        fprintf(stderr, "fuzz_usage: %s differs for kind %d: %d vs reference %d\n", what, kind, a, b);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    json_t *doc = json_loadb(s, size, 0, NULL);
    struct mg_usage_event start;
    memset(&start, 0, sizeof(start));
    if (size > 0)
        start.output_tokens = data[0] % 64; /* reaches anthropic's "only grows" branch */

    for (int k = MG_USAGE_NONE; k < MG_USAGE_NKINDS; k++) {
        const struct mg_usage_kind_info *info = mg_usage_kind_info((enum mg_usage_kind)k);
        struct mg_usage_event a = start, b = start;
        int ra = mg_usage_from_frame((enum mg_usage_kind)k, s, size, &a);
        int rb = doc != NULL && mg_usage_extract((enum mg_usage_kind)k, doc, &b);
        check(ra, rb, &a, &b, k, "frame");

        a = start, b = start;
        ra = mg_usage_from_body((enum mg_usage_kind)k, s, size, &a);
        rb = doc != NULL && (info == NULL || !info->body_needs_base_ok || mg_usage_base_code(doc) == 0) &&
             mg_usage_extract((enum mg_usage_kind)k, doc, &b);
        if (doc != NULL) /* a body jansson rejects may still bill its well-formed members (usage.h) */
            check(ra, rb, &a, &b, k, "body");
        /* a kind sets only its own billing keys */
        if (info != NULL && ra) {
            struct mg_usage_event only = a;
            only.output_tokens = a.output_tokens == start.output_tokens ? 0 : a.output_tokens;
            if ((mg_bill_units_of(&only) & ~info->bill) != 0) {
                fprintf(stderr, "fuzz_usage: kind %d set a unit outside its billing keys\n", k);
                abort();
            }
        }
    }
    json_decref(doc);
    return 0;
}
