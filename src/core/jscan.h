/*
 * jscan.h: one pass over a JSON document that validates it and reports a few
 * top-level fields, without building a tree.
 *
 * The gateway reads two or three top-level fields of every JSON request body
 * ("model", "stream", sometimes an id) and must reject what jansson's
 * json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err) rejects.  This scanner
 * accepts exactly the documents json_loadb accepts (tests/fuzz/fuzz_jscan.c
 * checks that, and the values, against jansson on every input):
 *   - RFC 8259 grammar, top level an object or an array (no JSON_DECODE_ANY);
 *   - strict UTF-8 everywhere (no overlong forms, no surrogates, <= U+10FFFF);
 *   - escapes: the eight short ones and \uXXXX, surrogate pairs combined, a
 *     lone or mismatched surrogate rejected; \u0000 rejected in keys and in
 *     values (jansson without JSON_ALLOW_NUL);
 *   - numbers: JSON grammar; an integer (no '.', 'e', 'E') outside int64 is
 *     rejected ("too big integer"), a real whose magnitude overflows a double
 *     is rejected, an underflowing one accepted (as jansson);
 *   - nesting: at most MG_JSCAN_MAX_DEPTH values deep, a scalar counting as a
 *     level (jansson's JSON_PARSER_MAX_DEPTH);
 *   - with MG_JSCAN_REJECT_DUPLICATES, a key repeated in any object (compared
 *     after unescaping) is an error; without it the last one wins.
 *
 * Where it differs from jansson, and why:
 *   - jansson 2.14 silently drops one NUL byte that directly follows a number
 *     or a literal (its lookahead byte is "ungot" into a buffer whose NUL
 *     means empty), so it accepts `{"n":1<NUL>}`.  That is a bug, not JSON;
 *     by default the scanner rejects such a NUL ("invalid token").  The flag
 *     MG_JSCAN_JANSSON_NUL reproduces the quirk, for callers that must give
 *     jansson's answer exactly (the stream usage reader, which replaces a
 *     json_loadb with flags 0).
 *   - None in error reports: the text, line, column and position are
 *     jansson's (position = bytes consumed when the error was seen; columns
 *     count characters), checked by the fuzzer with FUZZ_JSCAN_STRICT_ERRORS
 *     (inputs without NUL bytes).
 *   - Reals are range-checked with strtod_l in the "C" locale; jansson
 *     rewrites the decimal point to the current locale's instead.  Same answer.
 *
 * Memory: nothing is allocated for a document without duplicate checking;
 * with it, a key table that grows with the number of keys (bounded by the
 * document's length, which the caller bounds) and, only when some key holds
 * escapes, one scratch buffer of the document's length.  Recursion depth is
 * bounded by MG_JSCAN_MAX_DEPTH (a small frame per level).
 */
#ifndef MG_CORE_JSCAN_H
#define MG_CORE_JSCAN_H

#include <stddef.h>
#include <stdint.h>

/* jansson's JSON_PARSER_MAX_DEPTH: documents jansson can load, we can scan. */
#define MG_JSCAN_MAX_DEPTH 2048

enum mg_jscan_type {
    MG_JSCAN_ABSENT = 0,
    MG_JSCAN_OBJECT,
    MG_JSCAN_ARRAY,
    MG_JSCAN_STRING,
    MG_JSCAN_INTEGER, /* no '.', 'e' or 'E': jansson's json_integer */
    MG_JSCAN_REAL,
    MG_JSCAN_TRUE,
    MG_JSCAN_FALSE,
    MG_JSCAN_NULL,
};

enum {
    MG_JSCAN_REJECT_DUPLICATES = 1, /* JSON_REJECT_DUPLICATES */
    MG_JSCAN_JANSSON_NUL = 2,       /* accept jansson's stray NUL after a scalar (see above) */
};

/* One top-level field the caller wants.  `key` is compared with the
 * unescaped key; the last occurrence wins (with duplicates allowed). */
struct mg_jscan_field {
    const char *key; /* in: NUL-terminated */
    char *str;       /* in: where a string value is decoded, NUL-terminated; may be NULL */
    size_t str_cap;  /* in: size of str */
    enum mg_jscan_type type; /* out: MG_JSCAN_ABSENT when the key is not there */
    const char *raw;         /* out: the value's bytes in the document (a string with its quotes) */
    size_t raw_len;
    size_t str_len; /* out, strings: decoded length; if >= str_cap, str is "" (too long) */
    int64_t integer; /* out, integers: the value */
};

/* Where and why a document was rejected: as jansson's json_error_t. */
struct mg_jscan_error {
    int line;        /* 1-based */
    int column;      /* characters consumed on that line */
    size_t position; /* bytes consumed */
    char text[160];
};

struct mg_jscan {
    unsigned flags;               /* in: MG_JSCAN_* */
    struct mg_jscan_field *fields; /* in/out: may be NULL when nfields is 0 */
    size_t nfields;
    enum mg_jscan_type top;       /* out: MG_JSCAN_OBJECT or MG_JSCAN_ARRAY */
    struct mg_jscan_error err;    /* out: set when the scan fails */
};

/* Validates doc[0..len) and fills js->fields from its top level (fields are
 * reported only when the top level is an object).  MG_OK, or MG_DECLINED with
 * js->err set.  The fields' raw pointers point into doc. */
int mg_jscan_parse(struct mg_jscan *js, const char *doc, size_t len);

/* Unescapes the string token raw[0..raw_len) (quotes included, as a field's
 * raw span of a scanned document) into out, which must hold raw_len bytes;
 * NUL-terminates and returns the length. */
size_t mg_jscan_string(const char *raw, size_t raw_len, char *out);

/*
 * The top-level members named in fields[] of an object document, found by
 * structure only: strings are skipped, brackets counted, the rest of the
 * document is not validated.  Each member found is typed like the scanner
 * does (raw span, integer) and, when it is an object or an array, validated
 * on its own.  For a document jansson accepts the result is the scanner's
 * (the last member of a name wins); for one it rejects, members that are
 * well-formed on their own are still reported.  MG_OK, or MG_DECLINED when
 * the top level is not an object or a member that was asked for is broken.
 * With `trusted` (doc is a span the scanner already validated) nothing is
 * validated again: a member lookup inside a checked object costs one
 * structural pass.  The usage readers use it: a chat answer is hundreds of
 * bytes of text around a 100-byte "usage" object.
 */
int mg_jscan_top(const char *doc, size_t len, struct mg_jscan_field *fields, size_t nfields, int trusted);

#endif
