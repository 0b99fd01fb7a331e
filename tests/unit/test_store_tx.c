/* Unit tests: the store's transaction wrapper (run_tx and its retry contract,
 * ops nesting inside it, soft failures), the numbered migrations and the
 * backend table of mg_store_open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mg.h"
#include "store/sq_impl.h"
#include "store/store.h"
#include "fixture_store.h"

extern const struct mg_embed_set mg_embed_sql_sqlite;

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

/* What a test's transaction function does, and how often it ran. */
struct job {
    int runs;
    int retries_first; /* answer MG_TX_RETRY this many times, then `answer` */
    enum mg_tx answer;
    int nested_op;     /* also insert a key and suspend the account (ops with their own transactions) */
};

static int account_exists(struct mg_store *s, const char *email)
{
    struct mg_account a;
    return s->ops->account_by_email(s, email, &a) == MG_OK;
}

static int key_insert(struct mg_store *s, int64_t account, const char *pub, uint8_t fill)
{
    struct mg_key_record k;
    memset(&k, 0, sizeof(k));
    k.account_id = account;
    mg_strlcpy(k.public_id, pub, sizeof(k.public_id));
    mg_strlcpy(k.name, "t", sizeof(k.name));
    memset(k.digest, fill, sizeof(k.digest));
    return s->ops->key_insert(s, &k);
}

static enum mg_tx job_fn(struct mg_store *s, void *arg)
{
    struct job *j = arg;
    int64_t id;
    j->runs++;
    /* a second run sees a duplicate email unless the first one was rolled back */
    if (s->ops->account_create(s, "tx@example.com", NULL, 0, &id) != MG_OK)
        return MG_TX_HARD;
    if (j->nested_op) {
        if (key_insert(s, id, "mk_tx1", 0x11) != MG_OK || s->ops->account_set_suspended(s, id, 1) != MG_OK)
            return MG_TX_HARD;
        /* a nested op that fails undoes its own part only */
        assert_int_equal(key_insert(s, id, "mk_tx2", 0x11), MG_ERR);
    }
    if (j->retries_first > 0) {
        j->retries_first--;
        return MG_TX_RETRY;
    }
    return j->answer;
}

static void commits_on_ok(void **state)
{
    struct mg_store *s = *state;
    struct job j = {.answer = MG_TX_OK};
    assert_int_equal(s->ops->run_tx(s, "test ok", job_fn, &j), MG_OK);
    assert_int_equal(j.runs, 1);
    assert_true(account_exists(s, "tx@example.com"));
}

static void rolls_back_on_no_and_hard(void **state)
{
    struct mg_store *s = *state;
    struct job no = {.answer = MG_TX_NO, .nested_op = 1}, hard = {.answer = MG_TX_HARD};
    uint8_t d[MG_KEY_DIGEST_LEN];
    struct mg_key_record k;
    assert_int_equal(s->ops->run_tx(s, "test no", job_fn, &no), MG_DECLINED);
    assert_int_equal(no.runs, 1);
    assert_false(account_exists(s, "tx@example.com"));
    memset(d, 0x11, sizeof(d));
    assert_int_equal(s->ops->key_by_digest(s, d, &k), MG_DECLINED); /* the nested op's key went too */
    assert_int_equal(s->ops->run_tx(s, "test hard", job_fn, &hard), MG_ERR);
    assert_int_equal(hard.runs, 1);
    assert_false(account_exists(s, "tx@example.com"));
    assert_int_equal(mg_store_soft(s), 0);
}

static void retries_a_bounded_number_of_times(void **state)
{
    struct mg_store *s = *state;
    struct job twice = {.retries_first = 2, .answer = MG_TX_OK};
    struct job always = {.retries_first = 1000, .answer = MG_TX_OK};
    assert_int_equal(s->ops->run_tx(s, "test busy", job_fn, &always), MG_ERR);
    assert_int_equal(always.runs, MG_TX_MAX_RETRIES + 1);
    assert_int_equal(mg_store_soft(s), 1);
    assert_false(account_exists(s, "tx@example.com"));
    assert_int_equal(s->ops->run_tx(s, "test retry", job_fn, &twice), MG_OK);
    assert_int_equal(twice.runs, 3);
    assert_true(account_exists(s, "tx@example.com")); /* once: the retried runs were rolled back */
}

static void ops_nest_inside_run_tx(void **state)
{
    struct mg_store *s = *state;
    struct job j = {.answer = MG_TX_OK, .nested_op = 1};
    uint8_t d[MG_KEY_DIGEST_LEN];
    struct mg_key_record k;
    assert_int_equal(s->ops->run_tx(s, "test nested", job_fn, &j), MG_OK);
    memset(d, 0x11, sizeof(d));
    assert_int_equal(s->ops->key_by_digest(s, d, &k), MG_OK);
    assert_string_equal(k.public_id, "mk_tx1");
    assert_int_equal(k.account_suspended, 1);
    /* after run_tx the handle is back in autocommit: a plain op runs its own transaction */
    assert_int_equal(sqlite3_get_autocommit(DB(s)), 1);
    assert_int_equal(key_insert(s, k.account_id, "mk_tx3", 0x33), MG_OK);
    assert_int_equal(sqlite3_get_autocommit(DB(s)), 1);
}

/* A run_tx inside a run_tx: its RETRY becomes MG_AGAIN for the outer one. */
static enum mg_tx inner_fn(struct mg_store *s, void *arg)
{
    int64_t id;
    (*(int *)arg)++;
    assert_int_equal(s->ops->account_create(s, "inner@example.com", NULL, 0, &id), MG_OK);
    return *(int *)arg == 1 ? MG_TX_RETRY : MG_TX_OK;
}

static enum mg_tx outer_fn(struct mg_store *s, void *arg)
{
    int64_t owner[2];
    const char *ids[2] = {"file-1", "file-2"};
    int rc = s->ops->run_tx(s, "test inner", inner_fn, arg);
    if (rc == MG_AGAIN)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    /* a read-only op's snapshot transaction nests too */
    assert_int_equal(s->ops->owner_put(s, MG_OWNED_FILE, "file-1", &(struct mg_owned){.account_id = 7, .model = "m"}), MG_OK);
    assert_int_equal(s->ops->owners_lookup(s, MG_OWNED_FILE, ids, 2, owner), MG_OK);
    assert_int_equal(owner[0], 7);
    assert_int_equal(owner[1], 0);
    return rc == MG_OK ? MG_TX_OK : MG_TX_HARD;
}

static void run_tx_nests(void **state)
{
    struct mg_store *s = *state;
    int inner_runs = 0;
    assert_int_equal(s->ops->run_tx(s, "test outer", outer_fn, &inner_runs), MG_OK);
    assert_int_equal(inner_runs, 2);
    assert_true(account_exists(s, "inner@example.com"));
}

static enum mg_tx never_runs(struct mg_store *s, void *arg)
{
    (*(int *)arg)++;
    return MG_TX_OK;
}

/* Another connection holds the write lock: every BEGIN stays busy, which is
 * soft, so run_tx tries MG_TX_MAX_RETRIES + 1 times and fn never runs. */
static void busy_database_is_soft(void **state)
{
    struct mg_store *s = *state;
    sqlite3 *other;
    int runs = 0;
    int64_t id;
    assert_int_equal(sqlite3_open(spec + strlen("sqlite:"), &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_busy_timeout(DB(s), 1); /* the lock is held by this test: waiting longer changes nothing */
    assert_int_equal(s->ops->run_tx(s, "test locked", never_runs, &runs), MG_ERR);
    assert_int_equal(runs, 0);
    assert_int_equal(mg_store_soft(s), 1);
    assert_int_equal(s->ops->account_create(s, "busy@example.com", NULL, 0, &id), MG_ERR);
    assert_int_equal(mg_store_soft(s), 1);
    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(s->ops->run_tx(s, "test unlocked", never_runs, &runs), MG_OK);
    assert_int_equal(runs, 1);
}

/* --- migrations --- */

/* The schema as text with line breaks dropped (the files wrap lines where
 * the C strings of older versions were concatenated). */
static void schema_of(const char *path, char *out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t len = 0;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE sql NOT NULL ORDER BY name",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (const char *p = (const char *)sqlite3_column_text(st, 1); *p && len + 1 < cap; p++)
            if (*p != '\n')
                out[len++] = *p;
        if (len + 1 < cap)
            out[len++] = ';';
    }
    out[len] = '\0';
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* N when the database records migrations 1..N, each once and in order; 0
 * for none; -1 for anything else. */
static int versions_of(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int n = 0, ok = 1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT version FROM schema_version ORDER BY version", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        ok = ok && sqlite3_column_int(st, 0) == ++n;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok ? n : -1;
}

static void migrates_an_empty_database(void **state)
{
    (void)state; /* the fixture migrated t.db from nothing */
    char path[160];
    size_t last = mg_embed_sql_sqlite.count - 1;
    snprintf(path, sizeof(path), "%s/t.db", dir);
    assert_true(mg_embed_sql_sqlite.count >= 5);
    assert_int_equal(versions_of(path), (int)mg_embed_sql_sqlite.count);
    assert_int_equal(mg_store_migration_number(mg_embed_sql_sqlite.files[last].path), (int)mg_embed_sql_sqlite.count);
}

/* Migration 1 exactly as older versions shipped it (a C string in sqlite.c). */
static const char old_v1[] =
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_phc TEXT, is_admin INTEGER NOT NULL DEFAULT 0,"
    "  suspended INTEGER NOT NULL DEFAULT 0, cap_micros INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
    "CREATE TABLE key_seq (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);"
    "INSERT INTO key_seq VALUES (1, 0);"
    "CREATE TABLE api_keys ("
    "  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), public_id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL, region INTEGER NOT NULL, scopes INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,"
    "  expires_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, last_used_ms INTEGER NOT NULL DEFAULT 0,"
    "  digest BLOB NOT NULL UNIQUE, models TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL);"
    "CREATE INDEX api_keys_seq ON api_keys(seq);"
    "CREATE TABLE channels ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, region INTEGER NOT NULL, base_url TEXT NOT NULL,"
    "  key_ref TEXT NOT NULL, key_enc BLOB, weight INTEGER NOT NULL DEFAULT 1, models TEXT NOT NULL DEFAULT '',"
    "  enabled INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE usage_events ("
    "  request_id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL, account_id INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    "  key_public_id TEXT NOT NULL, model TEXT NOT NULL, service TEXT NOT NULL, route TEXT NOT NULL,"
    "  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,"
    "  characters INTEGER NOT NULL, images INTEGER NOT NULL, videos INTEGER NOT NULL, tracks INTEGER NOT NULL,"
    "  voices INTEGER NOT NULL, cost_micros INTEGER NOT NULL, http_status INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX usage_account_ts ON usage_events(account_id, ts_ms);"
    "CREATE TABLE owners (kind INTEGER NOT NULL, id TEXT NOT NULL, account_id INTEGER NOT NULL,"
    "  model TEXT NOT NULL DEFAULT '', PRIMARY KEY (kind, id));"
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1);"
    "INSERT INTO accounts(email, created_ms) VALUES ('old@example.com', 1);";

static void migrates_a_version_1_database(void **state)
{
    struct mg_store *s;
    sqlite3 *db;
    char path[160], err[256], fresh[160], a[16384], b[16384];
    struct mg_usage_event ev;
    size_t n = 0;
    (void)state;
    snprintf(path, sizeof(path), "%s/v1.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, old_v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(versions_of(path), 1);

    assert_non_null(s = mg_store_open(path, err, sizeof(err))); /* a bare path is SQLite */
    assert_int_equal(s->ops->migrate(s), MG_OK);
    assert_int_equal(s->ops->migrate(s), MG_OK); /* idempotent */
    assert_true(account_exists(s, "old@example.com"));
    memset(&ev, 0, sizeof(ev)); /* migration 2's table and column are there */
    mg_strlcpy(ev.request_id, "r1", sizeof(ev.request_id));
    ev.checkpoint = 1;
    ev.estimated = 1;
    assert_int_equal(s->ops->usage_insert(s, &ev, 1), MG_OK);
    assert_int_equal(s->ops->usage_settle_checkpoints(s, &n), MG_OK);
    assert_int_equal(n, 1);
    s->ops->close(s);
    assert_int_equal(versions_of(path), (int)mg_embed_sql_sqlite.count);

    /* the same schema as a database made from nothing by the files */
    snprintf(fresh, sizeof(fresh), "%s/t.db", dir);
    schema_of(path, a, sizeof(a));
    schema_of(fresh, b, sizeof(b));
    assert_string_equal(a, b);
}

static const unsigned char sql_a[] = "CREATE TABLE a (x INTEGER);", sql_b[] = "CREATE TABLE b (x INTEGER);";

static void bad_migration_sets_are_refused(void **state)
{
    struct mg_store *s = *state;
    char err[256];
    const struct mg_embed_file gap[] = {{"0001_a.sql", sql_a, sizeof(sql_a) - 1, ""},
                                        {"0003_b.sql", sql_b, sizeof(sql_b) - 1, ""}};
    const struct mg_embed_file dup[] = {{"0001_a.sql", sql_a, sizeof(sql_a) - 1, ""},
                                        {"0001_b.sql", sql_b, sizeof(sql_b) - 1, ""}};
    const struct mg_embed_file unnamed[] = {{"a.sql", sql_a, sizeof(sql_a) - 1, ""}};
    const struct mg_embed_set gap_set = {gap, 2}, dup_set = {dup, 2}, unnamed_set = {unnamed, 1};

    assert_int_equal(mg_store_migrations_check(&gap_set, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "0003_b.sql"));
    assert_non_null(strstr(err, "2 is missing"));
    assert_int_equal(mg_store_migrations_check(&dup_set, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "repeats number 1"));
    assert_int_equal(mg_store_migrations_check(&unnamed_set, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "NNNN_name.sql"));
    assert_int_equal(mg_store_migrations_check(&mg_embed_sql_sqlite, err, sizeof(err)), MG_OK);
    assert_int_equal(mg_store_migration_number("0042_x.sql"), 42);
    assert_int_equal(mg_store_migration_number("x.sql"), -1);
    assert_int_equal(mg_store_migration_number("99999999999_x.sql"), -1);

    /* refused before anything runs: table a is not created */
    assert_int_equal(sq_migrate_set(s, &gap_set), MG_ERR);
    assert_int_equal(sq_migrate_set(s, &dup_set), MG_ERR);
    assert_int_equal(sq_exec(s, "SELECT * FROM a"), MG_ERR);
}

static void backend_table(void **state)
{
    char err[256];
    char path[160];
    struct mg_store *s;
    (void)state;
    assert_null(mg_store_open("postgres://user:hunter2@db/maxgate", err, sizeof(err)));
    assert_non_null(strstr(err, "PostgreSQL is not built into this version yet"));
    assert_null(strstr(err, "hunter2"));
    assert_null(mg_store_open("postgresql://db/maxgate", err, sizeof(err)));
    assert_non_null(strstr(err, "PostgreSQL is not built"));
    assert_null(mg_store_open("mysql://user:hunter2@db/x", err, sizeof(err)));
    assert_non_null(strstr(err, "'mysql://'"));
    assert_non_null(strstr(err, "sqlite:"));
    assert_null(strstr(err, "hunter2"));
    snprintf(path, sizeof(path), "sqlite:%s/b.db", dir);
    assert_non_null(s = mg_store_open(path, err, sizeof(err)));
    assert_string_equal(s->ops->backend, "sqlite");
    s->ops->close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(commits_on_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(rolls_back_on_no_and_hard, setup, teardown),
        cmocka_unit_test_setup_teardown(retries_a_bounded_number_of_times, setup, teardown),
        cmocka_unit_test_setup_teardown(ops_nest_inside_run_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(run_tx_nests, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_database_is_soft, setup, teardown),
        cmocka_unit_test_setup_teardown(migrates_an_empty_database, setup, teardown),
        cmocka_unit_test_setup_teardown(migrates_a_version_1_database, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_migration_sets_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(backend_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
