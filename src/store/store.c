/*
 * store.c: the backend-neutral part of store.h: the backend table that
 * mg_store_open walks, and the checks of a migration set every backend uses.
 */
#include "store/store.h"
#include "core/mg.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

struct mg_store *mg_store_open_sqlite(const char *path, char *err, size_t errlen);

/* One row per database scheme.  open == NULL: recognised but not built into
 * this version; note says so (and, for a built-in backend, how to spell it). */
struct backend {
    const char *prefix;
    struct mg_store *(*open)(const char *rest, char *err, size_t errlen);
    const char *note;
};

static const struct backend backends[] = {
    {"sqlite:", mg_store_open_sqlite, "sqlite:/path/to/file.db (or a bare file path)"},
    {"postgres://", NULL, "PostgreSQL is not built into this version yet"},
    {"postgresql://", NULL, "PostgreSQL is not built into this version yet"},
};

/* What a spec without a scheme opens: a file path. */
static struct mg_store *(*const bare_path)(const char *, char *, size_t) = mg_store_open_sqlite;

static void supported(char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < MG_ARRAY_SIZE(backends) && len < cap; i++)
        if (backends[i].open != NULL)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "", backends[i].note);
}

struct mg_store *mg_store_open(const char *spec, char *err, size_t errlen)
{
    char list[256];
    const char *colon;
    for (size_t i = 0; i < MG_ARRAY_SIZE(backends); i++) {
        const struct backend *b = &backends[i];
        size_t n = strlen(b->prefix);
        if (strncmp(spec, b->prefix, n) != 0)
            continue;
        if (b->open != NULL)
            return b->open(spec + n, err, errlen);
        supported(list, sizeof(list));
        /* the scheme only: the rest of a URL may hold a password */
        snprintf(err, errlen, "database %s...: %s; use %s", b->prefix, b->note, list);
        return NULL;
    }
    if ((colon = strstr(spec, "://")) != NULL) {
        supported(list, sizeof(list));
        snprintf(err, errlen, "unsupported database scheme '%.*s://': supported are %s",
                 (int)(colon - spec > 32 ? 32 : colon - spec), spec, list);
        return NULL;
    }
    return bare_path(spec, err, errlen);
}

int mg_store_soft(struct mg_store *s) { return s->ops->soft != NULL && s->ops->soft(s); }

int mg_store_migration_number(const char *path)
{
    long n = 0;
    const char *p = path;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((n = n * 10 + (*p - '0')) > INT_MAX)
            return -1;
    return (int)n;
}

int mg_store_migrations_check(const struct mg_embed_set *set, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->count; i++) {
        const char *path = set->files[i].path;
        size_t len = strlen(path);
        int n = mg_store_migration_number(path), want = (int)i + 1;
        if (n < 0 || len < 5 || strcmp(path + len - 4, ".sql") != 0) {
            snprintf(err, errlen, "migration file '%s' is not named NNNN_name.sql", path);
            return MG_ERR;
        }
        if (n == want)
            continue;
        if (n < want) /* the set is sorted by path, so an equal or smaller number repeats one */
            snprintf(err, errlen, "migration '%s' repeats number %d (numbers must be unique)", path, n);
        else
            snprintf(err, errlen, "migration '%s' has number %d but %d is missing (numbers must have no gap)",
                     path, n, want);
        return MG_ERR;
    }
    return MG_OK;
}
