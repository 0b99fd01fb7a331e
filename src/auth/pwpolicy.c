/*
 * pwpolicy.c: the password policy and its word lists (password.h).
 *
 * The lists are two string sets (open addressing, FNV-1a) loaded once at
 * start and read-only afterwards.  mg_pw_check() runs on the NFKC form of the
 * password, folds ASCII case for the list and email rules, and walks its
 * rules in enum order, each rule enabled per policy by one table row.
 */
#include "auth/password.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#include "core/mg.h"

#define DICT_MIN_WORD 5 /* shorter words are too frequent inside random strings */
#define EMAIL_MIN_LOCAL 3

/* Context words: blocked as substrings in every policy (NIST 63B §5.1.1.2). */
static const char *const context_words[] = {"maxgate", "minimax"};

#define BIT(r) (1u << (r))
#define CLASSES (BIT(MG_PW_NEEDS_UPPER) | BIT(MG_PW_NEEDS_LOWER) | BIT(MG_PW_NEEDS_DIGIT) | BIT(MG_PW_NEEDS_SPECIAL))
#define COMMON (BIT(MG_PW_INVALID_UTF8) | BIT(MG_PW_TOO_SHORT) | BIT(MG_PW_TOO_LONG) | BIT(MG_PW_CONTAINS_EMAIL) | \
                BIT(MG_PW_BLOCKLISTED) | BIT(MG_PW_REPETITIVE))

static const struct {
    const char *name;
    unsigned rules; /* bit per enum mg_pw_rule */
} policies[] = {
    [MG_PW_DEFAULT] = {"default", COMMON | CLASSES | BIT(MG_PW_DICTIONARY_WORD)},
    [MG_PW_NIST] = {"nist", COMMON},
};

static const char *const messages[] = {
#define MSG(name, msg) [MG_PW_##name] = msg,
    MG_PW_RULES(MSG)
#undef MSG
};

static const char *const names[] = {
#define NAME(name, msg) [MG_PW_##name] = #name,
    MG_PW_RULES(NAME)
#undef NAME
};

/* ---- string sets ---------------------------------------------------- */

struct set {
    char **slot; /* NUL-terminated entries; NULL = empty */
    size_t *len;
    size_t cap; /* power of two, at least twice count */
    size_t count;
    size_t longest;
};

struct mg_pw_lists {
    struct set block, dict;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211u;
    return h;
}

static bool set_has(const struct set *s, const char *p, size_t n)
{
    if (s->cap == 0 || n > s->longest)
        return false;
    for (size_t i = fnv1a(p, n) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == NULL)
            return false;
        if (s->len[i] == n && memcmp(s->slot[i], p, n) == 0)
            return true;
    }
}

static void set_put_slot(struct set *s, char *e, size_t n)
{
    size_t i = fnv1a(e, n) & (s->cap - 1);
    while (s->slot[i] != NULL)
        i = (i + 1) & (s->cap - 1);
    s->slot[i] = e;
    s->len[i] = n;
}

static void set_grow(struct set *s)
{
    struct set old = *s;
    s->cap = old.cap ? old.cap * 2 : 1024;
    s->slot = mg_calloc(s->cap, sizeof *s->slot);
    s->len = mg_calloc(s->cap, sizeof *s->len);
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i] != NULL)
            set_put_slot(s, old.slot[i], old.len[i]);
    free(old.slot);
    free(old.len);
}

/* Adds p[0..n) unless present. */
static void set_add(struct set *s, const char *p, size_t n)
{
    if (set_has(s, p, n))
        return;
    if ((s->count + 1) * 2 > s->cap)
        set_grow(s);
    set_put_slot(s, mg_strndup(p, n), n);
    s->count++;
    if (n > s->longest)
        s->longest = n;
}

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    free(s->len);
}

/* ---- loading ---------------------------------------------------------- */

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void ascii_lower(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            p[i] = (char)(p[i] - 'A' + 'a');
}

static bool dictionary_word(const char *p, size_t n)
{
    if (n < DICT_MIN_WORD)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 'a' || p[i] > 'z')
            return false;
    return true;
}

/* Reads one list file into s.  dict: keep only dictionary words; else a
 * blocklist (skip "#!comment" lines, fold ASCII case). */
static int load_file(struct set *s, const char *what, const char *path, bool dict, size_t max_entries,
                     size_t max_line, char *err, size_t errlen)
{
    if (path == NULL || path[0] == '\0')
        return MG_OK;
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fail(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return MG_ERR;
    }
    char *buf = mg_malloc(max_line + 3); /* the line, "\r\n", a NUL */
    int rc = MG_OK;
    for (size_t lineno = 1; fgets(buf, (int)(max_line + 3), f) != NULL; lineno++) {
        size_t n = strlen(buf);
        bool nl = n > 0 && buf[n - 1] == '\n';
        if (nl)
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '\r')
            buf[--n] = '\0';
        if (n > max_line || (!nl && !feof(f))) {
            fail(err, errlen, "%s %s: line %zu is longer than %zu bytes", what, path, lineno, max_line);
            rc = MG_ERR;
            break;
        }
        if (n == 0)
            continue;
        if (dict) {
            if (!dictionary_word(buf, n))
                continue;
        } else {
            if (strncmp(buf, "#!comment", 9) == 0)
                continue;
            ascii_lower(buf, n);
        }
        if (s->count >= max_entries && !set_has(s, buf, n)) {
            fail(err, errlen, "%s %s: more than %zu entries", what, path, max_entries);
            rc = MG_ERR;
            break;
        }
        set_add(s, buf, n);
    }
    if (rc == MG_OK && ferror(f)) {
        fail(err, errlen, "%s %s: read error", what, path);
        rc = MG_ERR;
    }
    free(buf);
    fclose(f);
    return rc;
}

struct mg_pw_lists *mg_pw_lists_load_limits(const char *blocklist_file, const char *dictionary_file,
                                            size_t max_entries, size_t max_line, char *err, size_t errlen)
{
    struct mg_pw_lists *l = mg_calloc(1, sizeof *l);
    if (load_file(&l->block, "blocklist", blocklist_file, false, max_entries, max_line, err, errlen) != MG_OK ||
        load_file(&l->dict, "dictionary", dictionary_file, true, max_entries, max_line, err, errlen) != MG_OK) {
        mg_pw_lists_free(l);
        return NULL;
    }
    return l;
}

struct mg_pw_lists *mg_pw_lists_load(const char *blocklist_file, const char *dictionary_file, char *err,
                                     size_t errlen)
{
    return mg_pw_lists_load_limits(blocklist_file, dictionary_file, MG_PW_LIST_MAX_ENTRIES, MG_PW_LIST_MAX_LINE, err,
                                   errlen);
}

size_t mg_pw_lists_blocklist_count(const struct mg_pw_lists *l) { return l ? l->block.count : 0; }
size_t mg_pw_lists_dictionary_count(const struct mg_pw_lists *l) { return l ? l->dict.count : 0; }

void mg_pw_lists_free(struct mg_pw_lists *l)
{
    if (l == NULL)
        return;
    set_free(&l->block);
    set_free(&l->dict);
    free(l);
}

/* ---- the rules -------------------------------------------------------- */

static bool contains(const char *hay, size_t n, const char *needle, size_t m)
{
    return m > 0 && m <= n && memmem(hay, n, needle, m) != NULL;
}

/* The whole address, or its local part of at least 3 characters, anywhere
 * in the (ASCII-folded) password. */
static bool has_email(const char *low, size_t n, const char *email)
{
    if (email == NULL || email[0] == '\0')
        return false;
    size_t elen = strnlen(email, 320); /* RFC 5321's longest path */
    char *e = mg_strndup(email, elen);
    ascii_lower(e, elen);
    const char *at = memrchr(e, '@', elen);
    size_t local = at ? (size_t)(at - e) : elen;
    bool hit = (elen >= EMAIL_MIN_LOCAL && contains(low, n, e, elen)) ||
               (local >= EMAIL_MIN_LOCAL && contains(low, n, e, local));
    free(e);
    return hit;
}

static bool is_strip(char c)
{
    return !((c >= 'a' && c <= 'z') || (c & 0x80)); /* ASCII digits, symbols, spaces */
}

/* The context words anywhere; the whole password; the password without its
 * trailing digits and symbols ("password1234!" -> "password"). */
static bool blocklisted(const struct mg_pw_lists *l, const char *low, size_t n)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(context_words); i++)
        if (contains(low, n, context_words[i], strlen(context_words[i])))
            return true;
    if (l == NULL)
        return false;
    if (set_has(&l->block, low, n))
        return true;
    size_t m = n;
    while (m > 0 && is_strip(low[m - 1]))
        m--;
    return m > 0 && m < n && set_has(&l->block, low, m);
}

/* A dictionary word inside any run of ASCII letters. */
static bool has_word(const struct mg_pw_lists *l, const char *low, size_t n)
{
    if (l == NULL || l->dict.count == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t run = 0;
        while (i + run < n && low[i + run] >= 'a' && low[i + run] <= 'z')
            run++;
        for (size_t k = 0; k + DICT_MIN_WORD <= run; k++) /* every start in the run */
            for (size_t w = DICT_MIN_WORD; k + w <= run && w <= l->dict.longest; w++)
                if (set_has(&l->dict, low + i + k, w))
                    return true;
        i += run;
    }
    return false;
}

/* Repetitive or sequential: more than half of the code points lie in runs of
 * at least 3 with a constant step of -1, 0 or +1 ("aaaa", "1234", "dcba"),
 * or the whole password repeats a unit of at most half its length
 * ("abcabc", "passpass"). */
static bool repetitive(const ucs4_t *c, size_t n)
{
    bool covered[MG_PW_MAX_LEN] = {0};
    size_t start = 0;
    int64_t step = 0;
    for (size_t i = 1; i <= n; i++) {
        int64_t d = i < n ? (int64_t)c[i] - (int64_t)c[i - 1] : INT64_MAX; /* ends the last run */
        if (i - start >= 2 && d == step)
            continue;
        if (i - start >= 3 && step >= -1 && step <= 1)
            for (size_t j = start; j < i; j++)
                covered[j] = true;
        start = i - 1; /* a run may start where the last one ended ("12321") */
        step = d;
    }
    size_t cov = 0;
    for (size_t i = 0; i < n; i++)
        cov += covered[i];
    if (cov * 2 > n)
        return true;
    for (size_t p = 1; p <= n / 2; p++) {
        size_t i = p;
        while (i < n && c[i] == c[i - p])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

enum mg_pw_rule mg_pw_check(const struct mg_pw_lists *l, enum mg_pw_policy p, const char *pw, size_t len,
                            const char *email)
{
    unsigned on = policies[p == MG_PW_NIST ? MG_PW_NIST : MG_PW_DEFAULT].rules;
    if (len > MG_PW_INPUT_MAX)
        return MG_PW_TOO_LONG;
    size_t n;
    uint8_t *norm = mg_pw_normalize(pw, len, &n);
    if (norm == NULL)
        return MG_PW_INVALID_UTF8;
    enum mg_pw_rule r = MG_PW_OK;
    char *low = NULL;
    ucs4_t cps[MG_PW_MAX_LEN];
    size_t count = u8_mbsnlen(norm, n);
    if (count < MG_PW_MIN_LEN) {
        r = MG_PW_TOO_SHORT;
        goto out;
    }
    if (count > MG_PW_MAX_LEN) {
        r = MG_PW_TOO_LONG;
        goto out;
    }
    bool upper = false, lower = false, digit = false, special = false;
    const uint8_t *s = norm;
    for (size_t i = 0; i < count; i++) {
        s += u8_mbtouc(&cps[i], s, (size_t)(norm + n - s));
        upper |= uc_is_upper(cps[i]);
        lower |= uc_is_lower(cps[i]);
        digit |= uc_is_digit(cps[i]);
        special |= !uc_is_alnum(cps[i]);
    }
    if ((on & CLASSES) && (!upper || !lower || !digit || !special)) {
        r = !upper ? MG_PW_NEEDS_UPPER : !lower ? MG_PW_NEEDS_LOWER : !digit ? MG_PW_NEEDS_DIGIT : MG_PW_NEEDS_SPECIAL;
        goto out;
    }
    low = mg_malloc(n + 1);
    memcpy(low, norm, n + 1);
    ascii_lower(low, n);
    if ((on & BIT(MG_PW_CONTAINS_EMAIL)) && has_email(low, n, email))
        r = MG_PW_CONTAINS_EMAIL;
    else if ((on & BIT(MG_PW_BLOCKLISTED)) && blocklisted(l, low, n))
        r = MG_PW_BLOCKLISTED;
    else if ((on & BIT(MG_PW_DICTIONARY_WORD)) && has_word(l, low, n))
        r = MG_PW_DICTIONARY_WORD;
    else if ((on & BIT(MG_PW_REPETITIVE)) && repetitive(cps, count))
        r = MG_PW_REPETITIVE;
out:
    if (low) {
        sodium_memzero(low, n);
        free(low);
    }
    sodium_memzero(cps, sizeof cps);
    mg_pw_normalized_free(norm, n);
    return r;
}

const char *mg_pw_rule_message(enum mg_pw_rule r)
{
    return (unsigned)r < MG_PW_RULE_COUNT ? messages[r] : messages[MG_PW_OK];
}

const char *mg_pw_rule_name(enum mg_pw_rule r)
{
    return (unsigned)r < MG_PW_RULE_COUNT ? names[r] : "unknown";
}

int mg_pw_policy_parse(const char *name, enum mg_pw_policy *out)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(policies); i++)
        if (strcmp(name, policies[i].name) == 0) {
            *out = (enum mg_pw_policy)i;
            return MG_OK;
        }
    return MG_DECLINED;
}

const char *mg_pw_policy_name(enum mg_pw_policy p)
{
    return (unsigned)p < MG_ARRAY_SIZE(policies) ? policies[p].name : "unknown";
}
