/*
 * usage.c: the usage extractors (rules in usage.h), one table row per kind.
 *
 * Each extractor is written once, against `struct node`: a JSON value seen
 * either through a jansson tree (mg_usage_extract, the reference) or through
 * the field scanner (core/jscan.h) over the response bytes (from_body,
 * from_frame: no tree).  The scanner validates the whole document once,
 * keeping the spans of the top-level keys the kind reads (its row's
 * `top_keys`); a lookup inside one of those values scans just that value.
 * With MG_JSCAN_JANSSON_NUL and duplicates allowed (the last one wins) the
 * scanner accepts and finds exactly what json_loadb(..., 0, ...) does, so
 * both backends give the same answer on every input (tests/fuzz/fuzz_usage.c).
 */
#include "gateway/usage.h"
#include "core/jscan.h"
#include "core/mg.h"

#include <string.h>

/* The longest top-level key list of a row. */
#define MAX_TOP_KEYS 4
/* A string this short is unescaped on the stack (numbers as strings, status words). */
#define SMALL_STR 64

struct node {
    json_t *j; /* tree backend; NULL in the scan backend */
    int tree;
    /* scan backend: the value's bytes and type; the document node also
     * carries its scanned top-level fields */
    enum mg_jscan_type type;
    const char *raw;
    size_t len;
    int64_t integer;
    const struct mg_jscan_field *top;
    size_t ntop;
};

static struct node absent(int tree)
{
    struct node n = {.tree = tree};
    return n;
}

static struct node of_field(const struct mg_jscan_field *f)
{
    struct node n = {.type = f->type, .raw = f->raw, .len = f->raw_len, .integer = f->integer};
    return n;
}

/* json_object_get, in either backend. */
static struct node get(struct node n, const char *key)
{
    if (n.tree) {
        struct node r = {.tree = 1, .j = json_object_get(n.j, key)};
        return r;
    }
    if (n.top != NULL) {
        for (size_t i = 0; i < n.ntop; i++)
            if (strcmp(n.top[i].key, key) == 0) /* mg-allow-cmp: JSON member names, not secrets */
                return of_field(&n.top[i]);
        return absent(0); /* a key missing from the row's top_keys: the fuzzer finds that */
    }
    if (n.type != MG_JSCAN_OBJECT)
        return absent(0);
    struct mg_jscan_field f = {.key = key};
    /* the span was validated with its document (or its top-level member): one structural pass */
    if (mg_jscan_top(n.raw, n.len, &f, 1, 1) != MG_OK)
        return absent(0);
    return of_field(&f);
}

static int present(struct node n)
{
    return n.tree ? n.j != NULL : n.type != MG_JSCAN_ABSENT;
}

/* The unescaped string value of a scanned string node, in small or, when
 * longer, in a buffer the caller frees. */
static char *str_of(struct node n, char small[SMALL_STR], size_t *len)
{
    char *out = n.len <= SMALL_STR ? small : mg_malloc(n.len);
    *len = mg_jscan_string(n.raw, n.len, out);
    return out;
}

/* Is n the string lit? */
static int str_eq(struct node n, const char *lit)
{
    if (n.tree)
        return json_is_string(n.j) && strcmp(json_string_value(n.j), lit) == 0;
    if (n.type != MG_JSCAN_STRING)
        return 0;
    char small[SMALL_STR];
    size_t len;
    char *s = str_of(n, small, &len);
    int eq = len == strlen(lit) && memcmp(s, lit, len) == 0;
    if (s != small)
        free(s);
    return eq;
}

/* An integer that MiniMax may send as a number or a decimal string. */
static int64_t int_of(struct node n)
{
    int64_t v = 0;
    if (n.tree) {
        if (json_is_integer(n.j))
            return (int64_t)json_integer_value(n.j);
        if (json_is_string(n.j) && mg_parse_i64(json_string_value(n.j), json_string_length(n.j), &v) == MG_OK)
            return v;
        return 0;
    }
    if (n.type == MG_JSCAN_INTEGER)
        return n.integer;
    if (n.type == MG_JSCAN_STRING) {
        char small[SMALL_STR];
        size_t len;
        char *s = str_of(n, small, &len);
        if (mg_parse_i64(s, len, &v) != MG_OK)
            v = 0;
        if (s != small)
            free(s);
    }
    return v;
}

static int base_code(struct node doc)
{
    return (int)int_of(get(get(doc, "base_resp"), "status_code"));
}

static int chat(struct node doc, struct mg_usage_event *ev)
{
    struct node u = get(doc, "usage");
    struct node pt = get(u, "prompt_tokens");
    if (!present(pt))
        return 0; /* stream chunks carry a placeholder usage without it */
    ev->input_tokens = int_of(pt);
    ev->output_tokens = int_of(get(u, "completion_tokens"));
    ev->cached_tokens = int_of(get(get(u, "prompt_tokens_details"), "cached_tokens"));
    return 1;
}

static int anthropic(struct node doc, struct mg_usage_event *ev)
{
    struct node u, in, out;
    int found = 0;
    if (str_eq(get(doc, "type"), "message_start"))
        doc = get(doc, "message");
    u = get(doc, "usage");
    if (!present(u))
        return 0;
    if (present(in = get(u, "input_tokens"))) {
        int64_t cache_read = int_of(get(u, "cache_read_input_tokens"));
        ev->input_tokens = int_of(in) + cache_read;
        ev->cached_tokens = cache_read;
        found = 1;
    }
    if (present(out = get(u, "output_tokens"))) {
        int64_t n = int_of(out);
        if (n > ev->output_tokens)
            ev->output_tokens = n;
        found = 1;
    }
    return found;
}

static int speech(struct node doc, struct mg_usage_event *ev)
{
    struct node v;
    if (present(v = get(get(doc, "extra_info"), "usage_characters")) ||
        present(v = get(doc, "usage_characters"))) { /* the second: async create */
        ev->characters = int_of(v);
        return 1;
    }
    return 0;
}

static int image(struct node doc, struct mg_usage_event *ev)
{
    struct node v = get(get(doc, "metadata"), "success_count");
    if (!present(v))
        return 0;
    ev->images = int_of(v);
    return ev->images > 0;
}

static int music(struct node doc, struct mg_usage_event *ev)
{
    if (base_code(doc) != 0 || !present(get(get(doc, "data"), "audio")))
        return 0;
    ev->tracks = 1;
    return 1;
}

static int voice(struct node doc, struct mg_usage_event *ev)
{
    if (base_code(doc) != 0)
        return 0;
    ev->voices = 1;
    return 1;
}

static int video(struct node doc, struct mg_usage_event *ev)
{
    if (!str_eq(get(doc, "status"), "Success"))
        return 0;
    ev->videos = 1;
    return 1;
}

struct row {
    struct mg_usage_kind_info info;
    int (*extract)(struct node doc, struct mg_usage_event *ev);
    /* the top-level keys extract reads (base_resp is always scanned) */
    const char *top_keys[MAX_TOP_KEYS];
};

#define TOKENS (MG_BILL_INPUT_TOKENS | MG_BILL_OUTPUT_TOKENS | MG_BILL_CACHED_TOKENS)

/* The usage kinds.  Needles: the key whose presence the extractor requires,
 * with its quotes, so a frame without it is not scanned. */
static const struct row rows[MG_USAGE_NKINDS] = {
    [MG_USAGE_CHAT] = {{MG_USAGE_CHAT, "chat", {MG_NEEDLE("\"prompt_tokens\"", 1)}, 0, TOKENS}, chat, {"usage"}},
    [MG_USAGE_ANTHROPIC] = {{MG_USAGE_ANTHROPIC, "anthropic", {MG_NEEDLE("\"input_tokens\"", 3), MG_NEEDLE("\"output_tokens\"", 4)}, 0, TOKENS},
                            anthropic, {"type", "message", "usage"}},
    [MG_USAGE_SPEECH] = {{MG_USAGE_SPEECH, "speech", {MG_NEEDLE("\"usage_characters\"", 4)}, 1, MG_BILL_CHARACTERS}, speech,
                         {"extra_info", "usage_characters"}},
    [MG_USAGE_IMAGE] = {{MG_USAGE_IMAGE, "image", {MG_NEEDLE("\"success_count\"", 2)}, 1, MG_BILL_IMAGES}, image, {"metadata"}},
    [MG_USAGE_MUSIC] = {{MG_USAGE_MUSIC, "music", {MG_NEEDLE("\"audio\"", 2)}, 1, MG_BILL_TRACKS}, music, {"data"}},
    [MG_USAGE_VOICE] = {{MG_USAGE_VOICE, "voice", {{NULL, 0, 0}}, 1, MG_BILL_VOICES}, voice, {NULL}},
    [MG_USAGE_VIDEO] = {{MG_USAGE_VIDEO, "video", {MG_NEEDLE("\"status\"", 5)}, 1, MG_BILL_VIDEOS}, video, {"status"}},
};

static const struct row *row_of(enum mg_usage_kind kind)
{
    if ((unsigned)kind >= MG_USAGE_NKINDS || rows[kind].extract == NULL)
        return NULL;
    return &rows[kind];
}

const struct mg_usage_kind_info *mg_usage_kind_info(enum mg_usage_kind kind)
{
    const struct row *r = row_of(kind);
    return r != NULL ? &r->info : NULL;
}

int mg_usage_base_code(json_t *doc)
{
    struct node n = {.tree = 1, .j = doc};
    return base_code(n);
}

int mg_usage_extract(enum mg_usage_kind kind, json_t *doc, struct mg_usage_event *ev)
{
    const struct row *r = row_of(kind);
    struct node n = {.tree = 1, .j = doc};
    if (r == NULL || !json_is_object(doc))
        return 0;
    return r->extract(n, ev);
}

const struct mg_needle mg_needle_unicode_escape = MG_NEEDLE("\\u", 0);
const struct mg_needle mg_needle_message_delta = MG_NEEDLE("\"message_delta\"", 6);

int mg_usage_frame_may_matter(enum mg_usage_kind kind, const char *data, size_t len)
{
    const struct row *r = row_of(kind);
    if (r == NULL)
        return 0;
    if (r->info.needles[0].s == NULL)
        return 1;
    for (size_t i = 0; i < MG_ARRAY_SIZE(r->info.needles) && r->info.needles[i].s != NULL; i++)
        if (mg_needle_find(&r->info.needles[i], data, len) != NULL)
            return 1;
    /* a key may be spelled with \u escapes: then the needle is not there */
    return mg_needle_find(&mg_needle_unicode_escape, data, len) != NULL;
}

/* Scans doc once and runs the row's extractor; with the body rule when asked. */
static int scan_extract(const struct row *r, const char *doc, size_t len, int body, struct mg_usage_event *ev)
{
    struct mg_jscan_field f[MAX_TOP_KEYS + 1];
    size_t n = 0;
    memset(f, 0, sizeof(f));
    f[n++].key = "base_resp";
    for (size_t i = 0; i < MAX_TOP_KEYS && r->top_keys[i] != NULL; i++)
        f[n++].key = r->top_keys[i];
    if (body) { /* a whole answer: its top-level members by structure, the parts read validated */
        if (mg_jscan_top(doc, len, f, n, 0) != MG_OK)
            return 0;
    } else {
        struct mg_jscan js = {.flags = MG_JSCAN_JANSSON_NUL, .fields = f, .nfields = n};
        if (mg_jscan_parse(&js, doc, len) != MG_OK || js.top != MG_JSCAN_OBJECT)
            return 0;
    }
    struct node d = {.type = MG_JSCAN_OBJECT, .raw = doc, .len = len, .top = f, .ntop = n};
    if (body && r->info.body_needs_base_ok && base_code(d) != 0)
        return 0;
    return r->extract(d, ev);
}

int mg_usage_from_frame(enum mg_usage_kind kind, const char *data, size_t len, struct mg_usage_event *ev)
{
    const struct row *r = row_of(kind);
    if (r == NULL || !mg_usage_frame_may_matter(kind, data, len))
        return 0;
    return scan_extract(r, data, len, 0, ev);
}

int mg_usage_from_body(enum mg_usage_kind kind, const char *body, size_t len, struct mg_usage_event *ev)
{
    const struct row *r = row_of(kind);
    if (r == NULL)
        return 0;
    return scan_extract(r, body, len, 1, ev);
}
