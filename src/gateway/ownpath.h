/*
 * ownpath.h: where the ids of owned resources (GW-6) are in a request or an
 * answer, read without side effects (pure: tests/unit/test_ownpath.c).
 *
 * A path is dotted; "[]" walks every element of an array:
 *   "file_id", "voice_setting.voice_id", "timbre_weights[].voice_id",
 *   "file.file_id", "files[].file_id".
 * An id is a non-empty string shorter than MG_OWN_ID_MAX or an integer, in
 * its canonical form (mg_ownpath_canon): "000123" and 123 are the same id.
 * A value that is absent or null names nothing; a value of another type (a
 * real, an object, an empty or too long string) at the end of a path is not
 * an id, so the request is refused rather than passed on unchecked.
 */
#ifndef MG_GATEWAY_OWNPATH_H
#define MG_GATEWAY_OWNPATH_H

#include <jansson.h>
#include <stddef.h>

#define MG_OWN_ID_MAX 260 /* MiniMax voice ids are up to 256 characters; task and file ids are numbers */

/* One id found at a path. */
struct mg_own_id {
    char id[MG_OWN_ID_MAX];
};

/* Canonical form of an id in place: a string of decimal digits loses its
 * leading zeros (as the integer it spells); anything else is unchanged. */
void mg_ownpath_canon(char *id);

/* The ids at `path` in the JSON request body doc[0..len) (already validated),
 * appended to out[*n..cap).  MG_OK; MG_DECLINED when a value at the path is
 * not an id; MG_AGAIN when there are more than cap ids (out is then full). */
int mg_ownpath_body(const char *doc, size_t len, const char *path, struct mg_own_id *out, size_t cap, size_t *n);

/* As mg_ownpath_body, over a loaded document. */
int mg_ownpath_json(json_t *doc, const char *path, struct mg_own_id *out, size_t cap, size_t *n);

/* List paths name one array and the id field of its elements:
 * "files[].file_id" (the array may be nested: "data.files[].file_id").
 * mg_ownpath_list_len: the array's length (0 when it is not there).
 * mg_ownpath_list: the ids of its elements that have one, in order, into
 * out[0..cap); returns how many.
 * mg_ownpath_filter: removes every element without an id (fail closed) and
 * every element for which keep(arg, i) is 0, i counting the elements that
 * have an id in the order mg_ownpath_list gave them; returns how many were
 * removed. */
size_t mg_ownpath_list_len(json_t *doc, const char *path);
size_t mg_ownpath_list(json_t *doc, const char *path, struct mg_own_id *out, size_t cap);
size_t mg_ownpath_filter(json_t *doc, const char *path, int (*keep)(void *arg, size_t i), void *arg);

/* The query parameter `name` in query[0..len) (without the '?'), names and
 * values percent-decoded ('+' is a space), so "file%5Fid" is "file_id".
 * Returns how many times it occurs; the first value goes to out (canonical,
 * "" when it is too long or empty). */
int mg_ownpath_query(const char *query, size_t len, const char *name, struct mg_own_id *out);

#endif
