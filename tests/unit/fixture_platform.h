/*
 * fixture_platform.h: what the platform store tests share (include it once,
 * after fixture_store.h): a fixed clock value, setup/teardown around a fresh
 * store, a raw second connection for bulk rows and counts, and an id list.
 */
#ifndef MG_TESTS_FIXTURE_PLATFORM_H
#define MG_TESTS_FIXTURE_PLATFORM_H

#include <sqlite3.h>
#include <string.h>
#include "core/mg.h"
#include "store/store.h"

#define T0 1800000000000LL /* a fixed "now" (2027): the store never reads the clock for these */
#define HOUR 3600000LL

static int setup(void **state)
{
    *state = fixture_store("journal");
    return 0;
}

static int teardown(void **state)
{
    struct mg_store *s = *state;
    s->ops->close(s);
    return fixture_remove();
}

/* Runs SQL on the fixture's database through a second, raw connection (bulk
 * rows for the ceiling tests, row counts).  Returns the first column of the
 * first row, or 0. */
static int64_t raw(const char *sql)
{
    char path[160];
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = 0;
    snprintf(path, sizeof(path), "%s/t.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t new_account(struct mg_store *s, const char *email)
{
    struct mg_account a;
    memset(&a, 0, sizeof(a));
    mg_strlcpy(a.email, email, sizeof(a.email));
    a.created_ms = T0;
    assert_int_equal(s->ops->account_insert(s, &a), MG_OK);
    return a.id;
}

/* The ids a listing callback saw, in order. */
struct ids {
    int64_t v[300];
    size_t n;
};

#endif
