/*
 * fixture_store.h: the set-up the store, meter and reservation tests share
 * (include it once, in the test file): a fresh directory under /tmp with a
 * migrated SQLite store in it, and a journal path beside it.
 */
#ifndef MG_TESTS_FIXTURE_STORE_H
#define MG_TESTS_FIXTURE_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include "store/store.h"

static char dir[64], spec[128], journal[128];

/* Makes the directory and the store (migrated once); journal_name names the
 * journal inside the directory.  Returns the open store. */
static struct mg_store *fixture_store(const char *journal_name)
{
    char err[256];
    snprintf(dir, sizeof(dir), "/tmp/mgunit.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(spec, sizeof(spec), "sqlite:%s/t.db", dir);
    snprintf(journal, sizeof(journal), "%s/%s", dir, journal_name);
    struct mg_store *s = mg_store_open(spec, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(s->ops->migrate(s), MG_OK);
    return s;
}

/* Removes the directory and everything in it: 0, or -1 if that failed. */
static int fixture_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
