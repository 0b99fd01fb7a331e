/* usage.c: the usage extractors (rules in usage.h). */
#include "gateway/usage.h"
#include "core/mg.h"

#include <string.h>

/* An integer that MiniMax may send as a number or a decimal string. */
static int64_t int_of(json_t *v)
{
    int64_t n;
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_string(v) && mg_parse_i64(json_string_value(v), json_string_length(v), &n) == MG_OK)
        return n;
    return 0;
}

int mg_usage_base_code(json_t *doc)
{
    return (int)int_of(json_object_get(json_object_get(doc, "base_resp"), "status_code"));
}

static int chat(json_t *doc, struct mg_usage_event *ev)
{
    json_t *u = json_object_get(doc, "usage");
    json_t *pt = json_object_get(u, "prompt_tokens");
    if (pt == NULL)
        return 0; /* stream chunks carry a placeholder usage without it */
    ev->input_tokens = int_of(pt);
    ev->output_tokens = int_of(json_object_get(u, "completion_tokens"));
    ev->cached_tokens = int_of(json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens"));
    return 1;
}

static int anthropic(json_t *doc, struct mg_usage_event *ev)
{
    const char *type = json_string_value(json_object_get(doc, "type"));
    json_t *u;
    int found = 0;
    if (type != NULL && strcmp(type, "message_start") == 0)
        doc = json_object_get(doc, "message");
    u = json_object_get(doc, "usage");
    if (u == NULL)
        return 0;
    if (json_object_get(u, "input_tokens") != NULL) {
        ev->input_tokens = int_of(json_object_get(u, "input_tokens")) +
                           int_of(json_object_get(u, "cache_read_input_tokens"));
        ev->cached_tokens = int_of(json_object_get(u, "cache_read_input_tokens"));
        found = 1;
    }
    if (json_object_get(u, "output_tokens") != NULL) {
        int64_t out = int_of(json_object_get(u, "output_tokens"));
        if (out > ev->output_tokens)
            ev->output_tokens = out;
        found = 1;
    }
    return found;
}

int mg_usage_extract(enum mg_usage_kind kind, json_t *doc, struct mg_usage_event *ev)
{
    json_t *v;
    if (!json_is_object(doc))
        return 0;
    switch (kind) {
    case MG_USAGE_CHAT:
        return chat(doc, ev);
    case MG_USAGE_ANTHROPIC:
        return anthropic(doc, ev);
    case MG_USAGE_SPEECH:
        if ((v = json_object_get(json_object_get(doc, "extra_info"), "usage_characters")) != NULL) {
            ev->characters = int_of(v);
            return 1;
        }
        if ((v = json_object_get(doc, "usage_characters")) != NULL) { /* async create */
            ev->characters = int_of(v);
            return 1;
        }
        return 0;
    case MG_USAGE_IMAGE:
        if ((v = json_object_get(json_object_get(doc, "metadata"), "success_count")) != NULL) {
            ev->images = int_of(v);
            return ev->images > 0;
        }
        return 0;
    case MG_USAGE_MUSIC:
        if (mg_usage_base_code(doc) == 0 && json_object_get(json_object_get(doc, "data"), "audio") != NULL) {
            ev->tracks = 1;
            return 1;
        }
        return 0;
    case MG_USAGE_VOICE:
        if (mg_usage_base_code(doc) == 0) {
            ev->voices = 1;
            return 1;
        }
        return 0;
    case MG_USAGE_VIDEO:
        if ((v = json_object_get(doc, "status")) != NULL && json_is_string(v) &&
            strcmp(json_string_value(v), "Success") == 0) {
            ev->videos = 1;
            return 1;
        }
        return 0;
    case MG_USAGE_NONE:
        break;
    }
    return 0;
}

int mg_usage_frame_may_matter(enum mg_usage_kind kind, const char *data, size_t len)
{
    switch (kind) {
    case MG_USAGE_CHAT:
        return memmem(data, len, "\"prompt_tokens\"", 15) != NULL;
    case MG_USAGE_ANTHROPIC:
        return memmem(data, len, "_tokens\"", 8) != NULL;
    case MG_USAGE_SPEECH:
        return memmem(data, len, "\"usage_characters\"", 18) != NULL;
    default:
        return 1;
    }
}

int mg_usage_from_body(enum mg_usage_kind kind, const char *body, size_t len, struct mg_usage_event *ev)
{
    json_t *doc;
    int found;
    if (kind == MG_USAGE_CHAT || kind == MG_USAGE_ANTHROPIC) {
        /* the last "usage": the top-level one follows the content */
        const char *p = NULL, *q = body, *end = body + len;
        while ((q = memmem(q, (size_t)(end - q), "\"usage\"", 7)) != NULL) {
            p = q;
            q += 7;
        }
        if (p == NULL)
            return 0;
        p += 7;
        while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        json_t *u = json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, NULL);
        if (!json_is_object(u)) {
            json_decref(u);
            return 0;
        }
        doc = json_object();
        json_object_set_new(doc, "usage", u);
    } else if ((doc = json_loadb(body, len, 0, NULL)) == NULL) {
        return 0;
    }
    found = mg_usage_base_code(doc) == 0 && mg_usage_extract(kind, doc, ev);
    json_decref(doc);
    return found;
}
