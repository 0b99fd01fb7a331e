/*
 * mg.h: what every maxgate file may assume.  Return codes, allocation that
 * aborts on failure, length-carrying strings, and a few helpers.
 */
#ifndef MG_CORE_MG_H
#define MG_CORE_MG_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* The closed set of internal return codes (as nginx's NGX_OK/NGX_AGAIN). */
enum {
    MG_OK = 0,
    MG_ERR = -1,      /* hard failure; the callee already logged why */
    MG_AGAIN = -2,    /* not yet: call again (or wait for a callback) */
    MG_DECLINED = -3, /* a clean "no": not found, not valid, not mine */
};

#define MG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MG_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Allocation never returns NULL: running out of memory aborts (h2o, redis). */
void *mg_malloc(size_t n);
void *mg_calloc(size_t n, size_t size);
void *mg_realloc(void *p, size_t n);
char *mg_strdup(const char *s);
char *mg_strndup(const char *s, size_t n);

/* A length-carrying string that does not own its bytes. */
struct mg_str {
    const char *ptr;
    size_t len;
};
#define MG_STR_LIT(s) ((struct mg_str){(s), sizeof(s) - 1})
#define MG_STR_NULL ((struct mg_str){NULL, 0})

static inline struct mg_str mg_str_make(const char *p, size_t n)
{
    struct mg_str s = {p, n};
    return s;
}
int mg_str_eq(struct mg_str a, const char *lit);            /* exact */
int mg_str_eq_nocase(struct mg_str a, const char *lit);     /* ASCII case-insensitive */

/* Copies at most cap-1 bytes and always terminates; returns the source length
 * (as strlcpy), so `>= cap` means truncated. */
size_t mg_strlcpy(char *dst, const char *src, size_t cap);

/* Substring search tuned for JSON text, where most haystacks do not hold the needle: a vectorised memchr
 * for the needle's rarest byte (by the frequencies of JSON), then a compare, where glibc's generic memmem
 * steps through every byte.  A needle searched for on every stream frame is an mg_needle made once, its
 * byte chosen ahead (tests check each is mg_needle_rarest's). */
struct mg_needle {
    const char *s;
    size_t len;
    size_t at; /* the byte memchr looks for */
};
#define MG_NEEDLE(lit, at) {(lit), sizeof(lit) - 1, (at)}
size_t mg_needle_rarest(const char *s, size_t len);
/* The first occurrence in hay (n bytes), or NULL; an empty needle finds hay. */
const char *mg_needle_find(const struct mg_needle *nd, const char *hay, size_t n);

/* Strict decimal parse of the whole string: no sign unless allowed, no
 * spaces, no overflow.  MG_OK or MG_DECLINED. */
int mg_parse_i64(const char *s, size_t len, int64_t *out);

/* Fills buf with n cryptographically random bytes. */
void mg_random(void *buf, size_t n);

#endif
