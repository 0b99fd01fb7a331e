/* store.c: picks the backend from the spec. */
#include "store/store.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

struct mg_store *mg_store_open_sqlite(const char *path, char *err, size_t errlen);

struct mg_store *mg_store_open(const char *spec, char *err, size_t errlen)
{
    if (strncmp(spec, "sqlite:", 7) == 0)
        return mg_store_open_sqlite(spec + 7, err, errlen);
    if (strstr(spec, "://") != NULL) {
        snprintf(err, errlen, "unsupported database '%s': only SQLite files are supported in this version", spec);
        return NULL;
    }
    return mg_store_open_sqlite(spec, err, errlen);
}
