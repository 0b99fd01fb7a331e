/*
 * jscan.c: the validating field scanner (contract and differences from
 * jansson in jscan.h).
 *
 * Design: a lexer that returns one token at a time and a recursive-descent
 * parser with jansson's structure, so that the first error found is the one
 * jansson reports, at the same place (an error's position is the number of
 * bytes consumed when it was seen; line and column are computed from it only
 * when there is an error, so the hot loop counts nothing).  A string is
 * scanned first for its end (control characters, escape syntax, UTF-8), then,
 * only if it holds escapes, walked again for surrogates and \u0000, as
 * jansson does.
 *
 * Duplicate keys: the keys of the open objects sit on one key stack; an
 * object compares a new key with its earlier ones directly while it has few,
 * and through a hash set keyed with SipHash under a per-process random key
 * once it has more (so a body of many crafted keys cannot make it quadratic).
 */
#include "core/jscan.h"
#include "core/mg.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* jansson's error-context rule: the token text is quoted when this short. */
#define CONTEXT_MAX 20
/* Up to this many keys an object is checked for duplicates by comparing
 * with each earlier key; a hash costs more than that many compares. */
#define LINEAR_KEYS 16

enum tok_kind {
    T_EOF = 0,
    T_INVALID = 256,
    T_STRING,
    T_INTEGER,
    T_REAL,
    T_TRUE,
    T_FALSE,
    T_NULL,
};

struct tok {
    int kind;
    const char *s, *e; /* the token's bytes; a container value's whole span after value() */
    int esc;           /* a string holding backslash escapes */
    int nul;           /* a string holding \u0000 */
    int64_t integer;
};

struct key {
    const char *p; /* the unescaped key: never NULL (NULL marks a free set slot) */
    size_t len;
    uint32_t obj; /* the object's ordinal in the document */
};

struct lx {
    const char *doc, *p, *end;
    struct mg_jscan *js;
    size_t depth;
    uint32_t nobj;
    /* the key stack of the open objects */
    struct key *keys, keys0[64];
    size_t nkeys, capkeys;
    /* the hash set of keys of big objects (open addressing, p == NULL empty) */
    struct key *set;
    size_t nset, capset;
    /* unescaped keys: at most as long as the document */
    char *scratch;
    size_t nscratch;
};

/* A byte that stops the string fast loop. */
static const unsigned char stop[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the valid UTF-8 sequence at p (strict: no overlong form, no
 * surrogate, nothing above U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    uint32_t v;
    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0)
        n = 2, v = c & 0x1f;
    else if (c < 0xf0)
        n = 3, v = c & 0x0f;
    else if (c < 0xf5)
        n = 4, v = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
        return 0;
    return n;
}

/* Records the error: `pos` is how far the input was consumed, [ctx, pos) the
 * token text so far (ctx NULL: none, the end of the input).  `bare` leaves
 * out the "near end of file" of an empty context (jansson does so for
 * decoding errors).  Always returns MG_DECLINED. */
static int fail(struct lx *x, const char *pos, const char *ctx, int bare, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(struct lx *x, const char *pos, const char *ctx, int bare, const char *fmt, ...)
{
    struct mg_jscan_error *err = &x->js->err;
    char msg[128], near[CONTEXT_MAX + 1] = ""; /* our longest message is 44 bytes */
    va_list ap;
    int line = 1, col = 0;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (const unsigned char *q = (const unsigned char *)x->doc; q < (const unsigned char *)pos; q++) {
        if (*q == '\n')
            line++, col = 0;
        else if (*q < 0x80 || (*q >= 0xc2 && *q <= 0xf4))
            col++; /* a character's first byte */
    }
    err->line = line;
    err->column = col;
    err->position = (size_t)(pos - x->doc);
    if (ctx != NULL && ctx < pos && *ctx != '\0') {
        size_t n = (size_t)(pos - ctx);
        if (n <= CONTEXT_MAX) {
            n = strnlen(ctx, n); /* jansson prints its saved text as a C string */
            memcpy(near, ctx, n);
            near[n] = '\0';
            snprintf(err->text, sizeof(err->text), "%s near '%s'", msg, near);
        } else {
            snprintf(err->text, sizeof(err->text), "%s", msg);
        }
    } else {
        snprintf(err->text, sizeof(err->text), "%s%s", msg, bare ? "" : " near end of file");
    }
    return MG_DECLINED;
}

/* An error about the token t (the parser's errors). */
static int fail_tok(struct lx *x, const struct tok *t, const char *msg)
{
    return fail(x, t->e, t->kind == T_EOF ? NULL : t->s, 0, "%s", msg);
}

/*
 * Walks the escapes of the string body [b, e) (its syntax already checked)
 * and writes the unescaped bytes to out (NULL: only count them).  Returns the
 * unescaped length, or -1 with the offending code units in bad[] (bad[1] is
 * -1 for a lone surrogate).  *nul is set when a \u0000 is seen.
 */
static long unescape(const char *b, const char *e, char *out, int32_t bad[2], int *nul)
{
    size_t n = 0;
    while (b < e) {
        const char *bs = memchr(b, '\\', (size_t)(e - b));
        size_t run = bs != NULL ? (size_t)(bs - b) : (size_t)(e - b);
        if (out != NULL)
            memcpy(out + n, b, run);
        n += run;
        if (bs == NULL)
            break;
        b = bs + 1;
        if (*b != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            if (out != NULL)
                out[n] = to[strchr(from, *b) - from];
            n++;
            b++;
            continue;
        }
        int32_t v = hexval(b[1]) << 12 | hexval(b[2]) << 8 | hexval(b[3]) << 4 | hexval(b[4]);
        b += 5;
        if (v >= 0xd800 && v <= 0xdbff) {
            if (e - b < 6 || b[0] != '\\' || b[1] != 'u') {
                bad[0] = v, bad[1] = -1;
                return -1;
            }
            int32_t w = hexval(b[2]) << 12 | hexval(b[3]) << 8 | hexval(b[4]) << 4 | hexval(b[5]);
            b += 6;
            if (w < 0xdc00 || w > 0xdfff) {
                bad[0] = v, bad[1] = w;
                return -1;
            }
            v = ((v - 0xd800) << 10) + (w - 0xdc00) + 0x10000;
        } else if (v >= 0xdc00 && v <= 0xdfff) {
            bad[0] = v, bad[1] = -1;
            return -1;
        }
        if (v == 0)
            *nul = 1;
        char u[4];
        size_t k;
        if (v < 0x80) {
            u[0] = (char)v, k = 1;
        } else if (v < 0x800) {
            u[0] = (char)(0xc0 | v >> 6), u[1] = (char)(0x80 | (v & 0x3f)), k = 2;
        } else if (v < 0x10000) {
            u[0] = (char)(0xe0 | v >> 12), u[1] = (char)(0x80 | (v >> 6 & 0x3f)), u[2] = (char)(0x80 | (v & 0x3f));
            k = 3;
        } else {
            u[0] = (char)(0xf0 | v >> 18), u[1] = (char)(0x80 | (v >> 12 & 0x3f));
            u[2] = (char)(0x80 | (v >> 6 & 0x3f)), u[3] = (char)(0x80 | (v & 0x3f));
            k = 4;
        }
        if (out != NULL)
            memcpy(out + n, u, k);
        n += k;
    }
    return (long)n;
}

/* A string token starting at x->p (the opening quote). */
static int lex_string(struct lx *x, struct tok *t)
{
    const unsigned char *p = (const unsigned char *)x->p + 1, *end = (const unsigned char *)x->end;
    const char *s = x->p;

    t->kind = T_STRING;
    t->esc = t->nul = 0;
    for (;;) {
        while (p < end && !stop[*p])
            p++;
        if (p == end)
            return fail(x, x->end, s, 0, "premature end of input");
        unsigned c = *p;
        if (c == '"')
            break;
        if (c < 0x20) {
            if (c == '\n')
                return fail(x, (const char *)p, s, 0, "unexpected newline");
            return fail(x, (const char *)p, s, 0, "control character 0x%x", c);
        }
        if (c == '\\') {
            t->esc = 1;
            if (++p == end)
                return fail(x, x->end, s, 0, "invalid escape");
            if (*p == 'u') {
                for (int i = 0; i < 4; i++) {
                    if (++p == end)
                        return fail(x, x->end, s, 0, "invalid escape");
                    if (hexval(*p) < 0) {
                        if (*p >= 0x80 && utf8_len(p, end) == 0)
                            return fail(x, (const char *)p, s, 0, "unable to decode byte 0x%x", *p);
                        return fail(x, (const char *)p + 1, s, 0, "invalid escape");
                    }
                }
                p++;
                continue;
            }
            if (*p != '\0' && strchr("\"\\/bfnrt", *p) != NULL) {
                p++;
                continue;
            }
            if (*p >= 0x80 && utf8_len(p, end) == 0)
                return fail(x, (const char *)p, s, 0, "unable to decode byte 0x%x", *p);
            return fail(x, (const char *)p + 1, s, 0, "invalid escape");
        }
        size_t n = utf8_len(p, end);
        if (n == 0)
            return fail(x, (const char *)p, s, 0, "unable to decode byte 0x%x", c);
        p += n;
    }
    t->s = s;
    t->e = (const char *)p + 1;
    x->p = t->e;
    if (t->esc) {
        int32_t bad[2];
        if (unescape(t->s + 1, t->e - 1, NULL, bad, &t->nul) < 0) {
            if (bad[1] < 0)
                return fail(x, t->e, t->s, 0, "invalid Unicode '\\u%04X'", (unsigned)bad[0]);
            return fail(x, t->e, t->s, 0, "invalid Unicode '\\u%04X\\u%04X'", (unsigned)bad[0], (unsigned)bad[1]);
        }
    }
    return MG_OK;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_make(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Does the real [s, e) overflow a double?  Only numbers that may be above
 * 1e308 are given to strtod. */
static int real_overflows(const char *s, const char *e, const char *int_s, const char *int_e, const char *exp_s)
{
    int64_t mag = *int_s == '0' ? 0 : MG_MIN(int_e - int_s, 1000000000);
    if (exp_s != NULL) {
        int neg = *exp_s == '-';
        int64_t ex = 0;
        for (const char *q = exp_s + (*exp_s == '-' || *exp_s == '+'); q < e; q++)
            if (ex < 1000000000)
                ex = ex * 10 + (*q - '0');
        mag += neg ? -ex : ex;
    }
    if (mag <= 308)
        return 0; /* below 10^308 < DBL_MAX */
    size_t n = (size_t)(e - s);
    char small[128], *buf = n < sizeof(small) ? small : mg_malloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&c_locale_once, c_locale_make);
    errno = 0;
    double v = c_locale != (locale_t)0 ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
    int over = (v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE;
    if (buf != small)
        free(buf);
    return over;
}

/* jansson reads one byte past a number or a literal before it looks at
 * the token: a byte there that is not UTF-8 is the first error. */
static int bad_lookahead(struct lx *x, const struct tok *t)
{
    const unsigned char *q = (const unsigned char *)x->p, *end = (const unsigned char *)x->end;
    if (q < end && *q >= 0x80 && utf8_len(q, end) == 0)
        return fail(x, x->p, t->s, 0, "unable to decode byte 0x%x", *q);
    return MG_OK;
}

/* A number token at x->p ('-' or a digit). */
static int lex_number(struct lx *x, struct tok *t)
{
    const char *s = x->p, *p = s, *end = x->end, *int_s, *int_e, *exp_s = NULL;
    int neg = *p == '-', real = 0;

    t->s = s;
    t->kind = T_INVALID;
    p += neg;
    int_s = p;
    if (p < end && *p == '0') {
        p++;
        if (p < end && is_digit(*p))
            goto invalid;
    } else if (p < end && is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        goto invalid;
    }
    int_e = p;
    if (p < end && *p == '.') {
        p++;
        if (p == end || !is_digit(*p))
            goto invalid;
        while (p < end && is_digit(*p))
            p++;
        real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        exp_s = p;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            goto invalid;
        while (p < end && is_digit(*p))
            p++;
        real = 1;
    }
    t->e = x->p = p;
    if (bad_lookahead(x, t) != MG_OK)
        return MG_DECLINED;
    if (real) {
        if (real_overflows(s, p, int_s, int_e, exp_s))
            return fail(x, p, s, 0, "real number overflow");
        t->kind = T_REAL;
        return MG_OK;
    }
    /* int64: at most 19 digits, and at 19 no more than 9223372036854775807 (or ...808 negative) */
    size_t nd = (size_t)(int_e - int_s);
    if (nd > 19 || (nd == 19 && memcmp(int_s, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0))
        return fail(x, p, s, 0, neg ? "too big negative integer" : "too big integer");
    uint64_t u = 0;
    for (const char *q = int_s; q < int_e; q++)
        u = u * 10 + (uint64_t)(*q - '0');
    t->integer = neg ? (int64_t)(0 - u) : (int64_t)u;
    t->kind = T_INTEGER;
    return MG_OK;
invalid:
    t->e = x->p = p;
    return bad_lookahead(x, t);
}

/* The next token.  MG_OK (t->kind may be T_INVALID: the parser names the
 * error), or MG_DECLINED when the lexer already recorded one. */
static int lex(struct lx *x, struct tok *t)
{
    const char *p = x->p, *end = x->end;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    x->p = t->s = t->e = p;
    if (p == end) {
        t->kind = T_EOF;
        return MG_OK;
    }
    unsigned char c = (unsigned char)*p;
    switch (c) {
    case '{': case '}': case '[': case ']': case ':': case ',':
        t->kind = c;
        t->e = x->p = p + 1;
        return MG_OK;
    case '"':
        return lex_string(x, t);
    default:
        break;
    }
    if (c == '-' || is_digit(c)) {
        if (lex_number(x, t) != MG_OK)
            return MG_DECLINED;
    } else if (is_alpha(c)) {
        while (p < end && is_alpha(*p))
            p++;
        size_t n = (size_t)(p - t->s);
        t->e = x->p = p;
        if (n == 4 && memcmp(t->s, "true", 4) == 0)
            t->kind = T_TRUE;
        else if (n == 5 && memcmp(t->s, "false", 5) == 0)
            t->kind = T_FALSE;
        else if (n == 4 && memcmp(t->s, "null", 4) == 0)
            t->kind = T_NULL;
        else
            t->kind = T_INVALID;
        if (bad_lookahead(x, t) != MG_OK)
            return MG_DECLINED;
    } else if (c >= 0x80) {
        size_t n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
        if (n == 0)
            return fail(x, p, NULL, 1, "unable to decode byte 0x%x", c);
        t->kind = T_INVALID;
        t->e = x->p = p + n;
        return MG_OK;
    } else {
        t->kind = T_INVALID;
        t->e = x->p = p + 1;
        return MG_OK;
    }
    /* jansson's quirk: one NUL right after a number or a literal vanishes */
    if ((x->js->flags & MG_JSCAN_JANSSON_NUL) && t->kind != T_INVALID && x->p < end && *x->p == '\0')
        x->p++;
    return MG_OK;
}

/* The unescaped text of string token t: in the document when it has no
 * escapes, else in the scratch buffer (which holds at most the document). */
static struct mg_str key_text(struct lx *x, const struct tok *t)
{
    if (!t->esc)
        return mg_str_make(t->s + 1, (size_t)(t->e - t->s - 2));
    if (x->scratch == NULL)
        x->scratch = mg_malloc((size_t)(x->end - x->doc) + 1);
    int32_t bad[2];
    int nul = 0;
    char *out = x->scratch + x->nscratch;
    long n = unescape(t->s + 1, t->e - 1, out, bad, &nul);
    x->nscratch += (size_t)n;
    return mg_str_make(out, (size_t)n);
}

static int same(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

static unsigned char hash_seed[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;
static void hash_seed_make(void)
{
    mg_random(hash_seed, sizeof(hash_seed));
}

static size_t slot_of(struct lx *x, uint32_t obj, struct mg_str k)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, (const unsigned char *)k.ptr, k.len, hash_seed);
    memcpy(&v, h, sizeof(v));
    v ^= (uint64_t)obj * 0x9e3779b97f4a7c15ull;
    return (size_t)(v & (x->capset - 1));
}

/* Adds k of object obj to the hash set; 1 if it was there already. */
static int set_add(struct lx *x, uint32_t obj, struct mg_str k)
{
    if ((x->nset + 1) * 2 > x->capset) {
        struct key *old = x->set;
        size_t oldcap = x->capset;
        x->capset = oldcap ? oldcap * 2 : 256;
        x->set = mg_calloc(x->capset, sizeof(*x->set));
        x->nset = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].p != NULL)
                set_add(x, old[i].obj, mg_str_make(old[i].p, old[i].len));
        free(old);
    }
    for (size_t i = slot_of(x, obj, k);; i = (i + 1) & (x->capset - 1)) {
        struct key *e = &x->set[i];
        if (e->p == NULL) {
            *e = (struct key){k.ptr, k.len, obj};
            x->nset++;
            return 0;
        }
        if (e->obj == obj && same(e->p, e->len, k.ptr, k.len))
            return 1;
    }
}

/* Pushes key k of the object whose keys start at x->keys[base]; 1 if that
 * object already has it. */
static int key_seen(struct lx *x, size_t base, uint32_t obj, struct mg_str k)
{
    size_t n = x->nkeys - base;
    if (n < LINEAR_KEYS) {
        for (size_t i = base; i < x->nkeys; i++)
            if (same(x->keys[i].p, x->keys[i].len, k.ptr, k.len))
                return 1;
    } else {
        if (n == LINEAR_KEYS) {
            pthread_once(&hash_once, hash_seed_make);
            for (size_t i = base; i < x->nkeys; i++)
                set_add(x, obj, mg_str_make(x->keys[i].p, x->keys[i].len));
        }
        if (set_add(x, obj, k))
            return 1;
    }
    if (x->nkeys == x->capkeys) {
        /* bounded: every key on the stack is a distinct key token of the document */
        x->capkeys *= 2;
        if (x->keys == x->keys0) {
            x->keys = mg_malloc(x->capkeys * sizeof(*x->keys));
            memcpy(x->keys, x->keys0, sizeof(x->keys0));
        } else {
            x->keys = mg_realloc(x->keys, x->capkeys * sizeof(*x->keys));
        }
    }
    x->keys[x->nkeys++] = (struct key){k.ptr, k.len, obj};
    return 0;
}

static struct mg_jscan_field *field_for(struct lx *x, struct mg_str k)
{
    for (size_t i = 0; i < x->js->nfields; i++) {
        struct mg_jscan_field *f = &x->js->fields[i];
        if (same(f->key, strlen(f->key), k.ptr, k.len))
            return f;
    }
    return NULL;
}

static void field_set(struct lx *x, struct mg_jscan_field *f, const struct tok *t)
{
    static const enum mg_jscan_type of[] = {
        [T_STRING - T_STRING] = MG_JSCAN_STRING, [T_INTEGER - T_STRING] = MG_JSCAN_INTEGER,
        [T_REAL - T_STRING] = MG_JSCAN_REAL,     [T_TRUE - T_STRING] = MG_JSCAN_TRUE,
        [T_FALSE - T_STRING] = MG_JSCAN_FALSE,   [T_NULL - T_STRING] = MG_JSCAN_NULL,
    };
    f->type = t->kind == '{' ? MG_JSCAN_OBJECT : t->kind == '[' ? MG_JSCAN_ARRAY : of[t->kind - T_STRING];
    f->raw = t->s;
    f->raw_len = (size_t)(t->e - t->s);
    f->integer = t->kind == T_INTEGER ? t->integer : 0;
    f->str_len = 0;
    if (f->str != NULL && f->str_cap > 0)
        f->str[0] = '\0';
    if (t->kind != T_STRING)
        return;
    int32_t bad[2];
    int nul = 0;
    size_t inner = f->raw_len - 2;
    f->str_len = t->esc ? (size_t)unescape(t->s + 1, t->e - 1, NULL, bad, &nul) : inner;
    if (f->str == NULL || f->str_len >= f->str_cap)
        return;
    if (t->esc)
        unescape(t->s + 1, t->e - 1, f->str, bad, &nul);
    else
        memcpy(f->str, t->s + 1, inner);
    f->str[f->str_len] = '\0';
}

static int value(struct lx *x, struct tok *t, int top);

static int object(struct lx *x, struct tok *open, int top)
{
    struct tok t;
    uint32_t obj = x->nobj++;
    size_t base = x->nkeys;
    int dups = x->js->flags & MG_JSCAN_REJECT_DUPLICATES;
    int want = top && x->js->nfields > 0;

    if (lex(x, &t) != MG_OK)
        return MG_DECLINED;
    if (t.kind != '}') {
        for (;;) {
            struct mg_jscan_field *f = NULL;
            if (t.kind != T_STRING)
                return fail_tok(x, &t, "string or '}' expected");
            if (t.nul)
                return fail_tok(x, &t, "NUL byte in object key not supported");
            if (dups || want) {
                struct mg_str k = key_text(x, &t);
                if (dups && key_seen(x, base, obj, k))
                    return fail_tok(x, &t, "duplicate object key");
                if (want)
                    f = field_for(x, k);
            }
            if (lex(x, &t) != MG_OK)
                return MG_DECLINED;
            if (t.kind != ':')
                return fail_tok(x, &t, "':' expected");
            if (lex(x, &t) != MG_OK || value(x, &t, 0) != MG_OK)
                return MG_DECLINED;
            if (f != NULL)
                field_set(x, f, &t);
            if (lex(x, &t) != MG_OK)
                return MG_DECLINED;
            if (t.kind != ',')
                break;
            if (lex(x, &t) != MG_OK)
                return MG_DECLINED;
        }
        if (t.kind != '}')
            return fail_tok(x, &t, "'}' expected");
    }
    x->nkeys = base;
    open->e = t.e;
    return MG_OK;
}

static int array(struct lx *x, struct tok *open)
{
    struct tok t;
    if (lex(x, &t) != MG_OK)
        return MG_DECLINED;
    if (t.kind != ']') {
        while (t.kind != T_EOF) {
            if (value(x, &t, 0) != MG_OK || lex(x, &t) != MG_OK)
                return MG_DECLINED;
            if (t.kind != ',')
                break;
            if (lex(x, &t) != MG_OK)
                return MG_DECLINED;
        }
        if (t.kind != ']')
            return fail_tok(x, &t, "']' expected");
    }
    open->e = t.e;
    return MG_OK;
}

/* The value that starts with token t; on return t->e is where it ends. */
static int value(struct lx *x, struct tok *t, int top)
{
    if (++x->depth > MG_JSCAN_MAX_DEPTH)
        return fail_tok(x, t, "maximum parsing depth reached");
    switch (t->kind) {
    case T_STRING:
        if (t->nul)
            return fail_tok(x, t, "\\u0000 is not allowed without JSON_ALLOW_NUL");
        break;
    case T_INTEGER:
    case T_REAL:
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        break;
    case '{':
        if (object(x, t, top) != MG_OK)
            return MG_DECLINED;
        break;
    case '[':
        if (array(x, t) != MG_OK)
            return MG_DECLINED;
        break;
    case T_INVALID:
        return fail_tok(x, t, "invalid token");
    default:
        return fail_tok(x, t, "unexpected token");
    }
    x->depth--;
    return MG_OK;
}

int mg_jscan_parse(struct mg_jscan *js, const char *doc, size_t len)
{
    struct lx x;
    struct tok t;
    int rc = MG_DECLINED;

    /* field by field: keys0 stays uninitialised (a memset of it costs more
     * than scanning a small document) */
    x.doc = x.p = doc;
    x.end = doc + len;
    x.js = js;
    x.depth = 0;
    x.nobj = 0;
    x.keys = x.keys0;
    x.nkeys = 0;
    x.capkeys = MG_ARRAY_SIZE(x.keys0);
    x.set = NULL;
    x.nset = x.capset = 0;
    x.scratch = NULL;
    x.nscratch = 0;
    js->top = MG_JSCAN_ABSENT;
    js->err.line = js->err.column = 0;
    js->err.position = 0;
    js->err.text[0] = '\0';
    for (size_t i = 0; i < js->nfields; i++) {
        js->fields[i].type = MG_JSCAN_ABSENT;
        js->fields[i].raw = NULL;
        js->fields[i].raw_len = js->fields[i].str_len = 0;
        js->fields[i].integer = 0;
        if (js->fields[i].str != NULL && js->fields[i].str_cap > 0)
            js->fields[i].str[0] = '\0';
    }
    if (lex(&x, &t) != MG_OK)
        goto out;
    if (t.kind != '{' && t.kind != '[') {
        fail_tok(&x, &t, "'[' or '{' expected");
        goto out;
    }
    js->top = t.kind == '{' ? MG_JSCAN_OBJECT : MG_JSCAN_ARRAY;
    if (value(&x, &t, 1) != MG_OK || lex(&x, &t) != MG_OK)
        goto out;
    if (t.kind != T_EOF) {
        fail_tok(&x, &t, "end of file expected");
        goto out;
    }
    rc = MG_OK;
out:
    if (x.keys != x.keys0)
        free(x.keys);
    free(x.set);
    free(x.scratch);
    if (rc != MG_OK) {
        js->top = MG_JSCAN_ABSENT;
        for (size_t i = 0; i < js->nfields; i++)
            js->fields[i].type = MG_JSCAN_ABSENT;
    }
    return rc;
}

size_t mg_jscan_string(const char *raw, size_t raw_len, char *out)
{
    int32_t bad[2];
    int nul = 0;
    long n = unescape(raw + 1, raw + raw_len - 1, out, bad, &nul);
    n = n < 0 ? 0 : n;
    out[n] = '\0';
    return (size_t)n;
}

/* ---- top-level members by structure (mg_jscan_top) ------------------------- */

static const char *ws_skip(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past the string token starting at p (a quote), or NULL if it never ends. */
static const char *str_skip(const char *p, const char *end)
{
    const char *from = p + 1;
    for (;;) {
        const char *q = memchr(from, '"', (size_t)(end - from));
        if (q == NULL)
            return NULL;
        size_t bs = 0; /* an odd run of backslashes escapes the quote */
        for (const char *r = q; r > from && r[-1] == '\\'; r--)
            bs++;
        if (bs % 2 == 0)
            return q + 1;
        from = q + 1;
    }
}

/* Bytes that end a scalar (NUL too: jansson's stray NUL, see the header). */
static const unsigned char scalar_end[256] = {[','] = 1, ['}'] = 1, [']'] = 1, [' '] = 1, ['\t'] = 1,
                                              ['\r'] = 1, ['\n'] = 1, ['\0'] = 1};

/* Past the value starting at p: a string, a bracketed value (strings inside
 * skipped), or a scalar up to a delimiter.  NULL if it never ends. */
static const char *value_skip(const char *p, const char *end)
{
    if (*p == '"')
        return str_skip(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                if ((p = str_skip(p, end)) == NULL)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < end && !scalar_end[(unsigned char)*p])
        p++;
    return p;
}

/* 1 if the string token v[0..n) (quotes included) is valid: escapes,
 * surrogates, UTF-8 and control characters as the scanner checks them. */
static int string_ok(const char *v, size_t n)
{
    struct mg_jscan js = {.flags = 0};
    struct lx x = {.doc = v, .p = v, .end = v + n, .js = &js};
    struct tok t;
    return lex_string(&x, &t) == MG_OK && t.e == v + n && !t.nul;
}

/* Types a top-level value's span the way the scanner would; objects, arrays
 * and strings are validated unless the document already was (trusted). */
static int type_span(struct mg_jscan_field *f, const char *v, size_t n, int trusted)
{
    struct mg_jscan sub = {.flags = MG_JSCAN_JANSSON_NUL};
    f->raw = v;
    f->raw_len = n;
    switch (v[0]) {
    case '{':
    case '[':
        if (!trusted && mg_jscan_parse(&sub, v, n) != MG_OK)
            return MG_DECLINED;
        f->type = v[0] == '{' ? MG_JSCAN_OBJECT : MG_JSCAN_ARRAY;
        return MG_OK;
    case '"':
        if (!trusted && !string_ok(v, n))
            return MG_DECLINED;
        f->type = MG_JSCAN_STRING;
        f->str_len = n - 2;
        return MG_OK;
    case 't':
    case 'f':
    case 'n':
        if (n == 4 && memcmp(v, "true", 4) == 0)
            f->type = MG_JSCAN_TRUE;
        else if (n == 5 && memcmp(v, "false", 5) == 0)
            f->type = MG_JSCAN_FALSE;
        else if (n == 4 && memcmp(v, "null", 4) == 0)
            f->type = MG_JSCAN_NULL;
        else
            return MG_DECLINED;
        return MG_OK;
    default: {
        int64_t x = 0;
        size_t i = v[0] == '-';
        if (i == n)
            return MG_DECLINED;
        for (; i < n; i++) {
            if (v[i] == '.' || v[i] == 'e' || v[i] == 'E') {
                f->type = MG_JSCAN_REAL;
                return MG_OK;
            }
            if (v[i] < '0' || v[i] > '9' || x > (INT64_MAX - 9) / 10)
                return MG_DECLINED;
            x = x * 10 + (v[i] - '0');
        }
        f->type = MG_JSCAN_INTEGER;
        f->integer = v[0] == '-' ? -x : x;
        return MG_OK;
    }
    }
}

int mg_jscan_top(const char *doc, size_t len, struct mg_jscan_field *fields, size_t nfields, int trusted)
{
    const char *p = doc, *end = doc + len;
    char kbuf[64];
    for (size_t i = 0; i < nfields; i++)
        fields[i].type = MG_JSCAN_ABSENT;
    p = ws_skip(p, end);
    if (p == end || *p != '{')
        return MG_DECLINED;
    p = ws_skip(p + 1, end);
    if (p < end && *p == '}')
        return MG_OK;
    for (;;) {
        if (p == end || *p != '"')
            return MG_DECLINED;
        const char *ks = p;
        if ((p = str_skip(p, end)) == NULL)
            return MG_DECLINED;
        const char *ke = p;
        p = ws_skip(p, end);
        if (p == end || *p != ':')
            return MG_DECLINED;
        p = ws_skip(p + 1, end);
        if (p == end)
            return MG_DECLINED;
        const char *vs = p;
        if ((p = value_skip(p, end)) == NULL || p == vs)
            return MG_DECLINED;
        const char *ve = p;
        if (p < end && *p == '\0') /* jansson's stray NUL after a scalar (see the header) */
            p++;
        /* the key, unescaped only when it holds an escape */
        const char *k = ks + 1;
        size_t kn = (size_t)(ke - ks - 2);
        if (memchr(k, '\\', kn) != NULL) {
            k = NULL; /* longer than any key we look for, or not a valid string: matches nothing */
            if ((size_t)(ke - ks) <= sizeof(kbuf) && (trusted || string_ok(ks, (size_t)(ke - ks))))
                kn = mg_jscan_string(ks, (size_t)(ke - ks), kbuf), k = kbuf; /* decoded once known valid */
        }
        for (size_t i = 0; k != NULL && i < nfields; i++)
            if (same(fields[i].key, strlen(fields[i].key), k, kn) &&
                type_span(&fields[i], vs, (size_t)(ve - vs), trusted) != MG_OK) /* the last one wins, as in jansson */
                return MG_DECLINED;
        p = ws_skip(p, end);
        if (p == end)
            return MG_DECLINED;
        if (*p == '}')
            return MG_OK;
        if (*p != ',')
            return MG_DECLINED;
        p = ws_skip(p + 1, end);
    }
}
