/*
 * sqlite.c: the SQLite backend of store.h.
 *
 * Durability: WAL with synchronous=FULL, because usage_events is the ledger
 * (a committed event must survive power loss, not only a crash).
 * Change sequence: every change to a key (or to its account) gives the key a
 * new seq from the one-row table key_seq, so pollers ask "what changed since
 * seq N" and see revocations from any process.
 */
#include "store/store.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct sq_store {
    struct mg_store base;
    sqlite3 *db;
    /* rows in stream_checkpoints as of this handle's last batch (-1: unknown, counted after the next
     * batch).  While 0, a real event need not look for its stream's checkpoint. */
    int64_t ckpt_rows;
};

#define DB(s) (((struct sq_store *)(s))->db)
#define BUSY_TIMEOUT_MS 5000 /* writers are short; 5 s covers a slow disk's fsync burst */

static const char *const migrations[] = {
    /* 1 */
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
    "  model TEXT NOT NULL DEFAULT '', PRIMARY KEY (kind, id));",
    /* 2: a stream that ended early without the upstream's usage is billed an estimate (GW-5) */
    "ALTER TABLE usage_events ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;"
    /* the last checkpoint of each open stream (its event after a crash; deleted by its real event) */
    "CREATE TABLE stream_checkpoints ("
    "  request_id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL, account_id INTEGER NOT NULL, key_id INTEGER NOT NULL,"
    "  key_public_id TEXT NOT NULL, model TEXT NOT NULL, service TEXT NOT NULL, route TEXT NOT NULL,"
    "  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,"
    "  characters INTEGER NOT NULL, images INTEGER NOT NULL, videos INTEGER NOT NULL, tracks INTEGER NOT NULL,"
    "  voices INTEGER NOT NULL, cost_micros INTEGER NOT NULL, http_status INTEGER NOT NULL,"
    "  estimated INTEGER NOT NULL) WITHOUT ROWID;",
};

static int fail(struct mg_store *s, const char *what)
{
    mg_log(MG_LOG_ERROR, "database: %s: %s", what, sqlite3_errmsg(DB(s)));
    return MG_ERR;
}

static int exec(struct mg_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(DB(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        mg_log(MG_LOG_ERROR, "database: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return MG_ERR;
    }
    return MG_OK;
}

static sqlite3_stmt *prep(struct mg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(DB(s), sql, -1, &st, NULL) != SQLITE_OK) {
        fail(s, "prepare");
        return NULL;
    }
    return st;
}

/* The one transaction wrapper: BEGIN IMMEDIATE takes the write lock up front,
 * so the busy handler (busy_timeout) does the retrying and a transaction never
 * fails half-way on a lock upgrade. */
static int tx_begin(struct mg_store *s) { return exec(s, "BEGIN IMMEDIATE"); }
static int tx_end(struct mg_store *s, int rc)
{
    if (rc == MG_ERR) {
        exec(s, "ROLLBACK");
        return MG_ERR;
    }
    return exec(s, "COMMIT") == MG_OK ? rc : MG_ERR;
}

static int step_done(struct mg_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return MG_DECLINED;
    return rc == SQLITE_DONE ? MG_OK : fail(s, what);
}

static void sq_close(struct mg_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(DB(s));
    free(s);
}

static int sq_migrate(struct mg_store *s)
{
    int version = 0, rc = MG_OK;
    sqlite3_stmt *st;
    if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") != MG_OK)
        return MG_ERR;
    if (tx_begin(s) != MG_OK)
        return MG_ERR;
    if ((st = prep(s, "SELECT max(version) FROM schema_version")) == NULL)
        return tx_end(s, MG_ERR);
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    for (size_t v = (size_t)version; v < MG_ARRAY_SIZE(migrations) && rc == MG_OK; v++) {
        char sql[64];
        rc = exec(s, migrations[v]);
        snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%zu)", v + 1);
        if (rc == MG_OK)
            rc = exec(s, sql);
    }
    return tx_end(s, rc);
}

static void lower(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i < cap - 1; i++)
        dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[i] = '\0';
}

static int sq_account_create(struct mg_store *s, const char *email, const char *phc, int is_admin, int64_t *id)
{
    char e[256];
    sqlite3_stmt *st = prep(s, "INSERT INTO accounts(email, password_phc, is_admin, created_ms) VALUES (?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    lower(e, email, sizeof(e));
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    if (phc)
        sqlite3_bind_text(st, 2, phc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, is_admin);
    sqlite3_bind_int64(st, 4, mg_now_ms());
    int rc = step_done(s, st, "account insert");
    if (rc == MG_OK && id)
        *id = sqlite3_last_insert_rowid(DB(s));
    return rc;
}

static int sq_account_by_email(struct mg_store *s, const char *email, struct mg_account *out)
{
    char e[256];
    int rc;
    sqlite3_stmt *st =
        prep(s, "SELECT id, email, is_admin, suspended, cap_micros, created_ms FROM accounts WHERE email = ?");
    if (st == NULL)
        return MG_ERR;
    lower(e, email, sizeof(e));
    sqlite3_bind_text(st, 1, e, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(st, 0);
        mg_strlcpy(out->email, (const char *)sqlite3_column_text(st, 1), sizeof(out->email));
        out->is_admin = sqlite3_column_int(st, 2);
        out->suspended = sqlite3_column_int(st, 3);
        out->cap_micros = sqlite3_column_int64(st, 4);
        out->created_ms = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : fail(s, "account lookup");
}

/* Gives every key of the account (or the one key) a fresh seq. */
static int bump_seq(struct mg_store *s, const char *where, int64_t id, const char *text)
{
    char sql[256];
    sqlite3_stmt *st;
    if (exec(s, "UPDATE key_seq SET seq = seq + 1") != MG_OK)
        return MG_ERR;
    snprintf(sql, sizeof(sql), "UPDATE api_keys SET seq = (SELECT seq FROM key_seq) WHERE %s", where);
    if ((st = prep(s, sql)) == NULL)
        return MG_ERR;
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 1, id);
    return step_done(s, st, "seq bump");
}

/* Runs an UPDATE of one account (id) or one key (public id) and gives the
 * affected keys a new seq, in one transaction.  MG_DECLINED if no row matched. */
static int update_bumping(struct mg_store *s, const char *sql, int64_t v, int64_t id, const char *public_id)
{
    sqlite3_stmt *st;
    int rc;
    if (tx_begin(s) != MG_OK)
        return MG_ERR;
    if ((st = prep(s, sql)) == NULL)
        return tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, v);
    if (public_id != NULL)
        sqlite3_bind_text(st, 2, public_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 2, id);
    rc = step_done(s, st, "update");
    if (rc == MG_OK && sqlite3_changes(DB(s)) == 0) {
        tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    if (rc == MG_OK)
        rc = bump_seq(s, public_id ? "public_id = ?" : "account_id = ?", id, public_id);
    return tx_end(s, rc);
}

static int sq_account_set_suspended(struct mg_store *s, int64_t id, int suspended)
{
    return update_bumping(s, "UPDATE accounts SET suspended = ? WHERE id = ?", suspended, id, NULL);
}

static int sq_account_set_cap(struct mg_store *s, int64_t id, int64_t cap)
{
    return update_bumping(s, "UPDATE accounts SET cap_micros = ? WHERE id = ?", cap, id, NULL);
}

#define KEY_COLS                                                                                              \
    "k.id, k.account_id, k.public_id, k.name, k.region, k.scopes, k.status, k.expires_ms, k.created_ms, "       \
    "k.last_used_ms, k.digest, k.models, a.suspended, a.cap_micros, k.seq FROM api_keys k JOIN accounts a ON " \
    "a.id = k.account_id "

static void key_row(sqlite3_stmt *st, struct mg_key_record *k)
{
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(st, 0);
    k->account_id = sqlite3_column_int64(st, 1);
    mg_strlcpy(k->public_id, (const char *)sqlite3_column_text(st, 2), sizeof(k->public_id));
    mg_strlcpy(k->name, (const char *)sqlite3_column_text(st, 3), sizeof(k->name));
    k->region = (enum mg_region)sqlite3_column_int(st, 4);
    k->scopes = (uint32_t)sqlite3_column_int64(st, 5);
    k->status = (enum mg_key_status)sqlite3_column_int(st, 6);
    k->expires_ms = sqlite3_column_int64(st, 7);
    k->created_ms = sqlite3_column_int64(st, 8);
    k->last_used_ms = sqlite3_column_int64(st, 9);
    if (sqlite3_column_bytes(st, 10) == MG_KEY_DIGEST_LEN)
        memcpy(k->digest, sqlite3_column_blob(st, 10), MG_KEY_DIGEST_LEN);
    mg_strlcpy(k->models, (const char *)sqlite3_column_text(st, 11), sizeof(k->models));
    k->account_suspended = sqlite3_column_int(st, 12);
    k->account_cap_micros = sqlite3_column_int64(st, 13);
    k->seq = sqlite3_column_int64(st, 14);
}

static int sq_key_insert(struct mg_store *s, struct mg_key_record *k)
{
    sqlite3_stmt *st;
    int rc;
    if (tx_begin(s) != MG_OK)
        return MG_ERR;
    if (exec(s, "UPDATE key_seq SET seq = seq + 1") != MG_OK)
        return tx_end(s, MG_ERR);
    st = prep(s, "INSERT INTO api_keys(account_id, public_id, name, region, scopes, status, expires_ms, created_ms,"
                 " digest, models, seq) VALUES (?,?,?,?,?,?,?,?,?,?,(SELECT seq FROM key_seq))");
    if (st == NULL)
        return tx_end(s, MG_ERR);
    if (k->created_ms == 0)
        k->created_ms = mg_now_ms();
    sqlite3_bind_int64(st, 1, k->account_id);
    sqlite3_bind_text(st, 2, k->public_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, k->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, (int)k->region);
    sqlite3_bind_int64(st, 5, k->scopes);
    sqlite3_bind_int(st, 6, (int)k->status);
    sqlite3_bind_int64(st, 7, k->expires_ms);
    sqlite3_bind_int64(st, 8, k->created_ms);
    sqlite3_bind_blob(st, 9, k->digest, MG_KEY_DIGEST_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, k->models, -1, SQLITE_TRANSIENT);
    rc = step_done(s, st, "key insert");
    if (rc == MG_OK) {
        k->id = sqlite3_last_insert_rowid(DB(s));
        if ((st = prep(s, "SELECT seq FROM key_seq")) == NULL)
            return tx_end(s, MG_ERR);
        if (sqlite3_step(st) == SQLITE_ROW)
            k->seq = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return tx_end(s, rc == MG_DECLINED ? MG_ERR : rc);
}

static int sq_key_by_digest(struct mg_store *s, const uint8_t digest[MG_KEY_DIGEST_LEN], struct mg_key_record *out)
{
    int rc;
    sqlite3_stmt *st = prep(s, "SELECT " KEY_COLS "WHERE k.digest = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_blob(st, 1, digest, MG_KEY_DIGEST_LEN, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        key_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : fail(s, "key lookup");
}

static int sq_key_set_status(struct mg_store *s, const char *public_id, enum mg_key_status stt)
{
    return update_bumping(s, "UPDATE api_keys SET status = ? WHERE public_id = ?", stt, 0, public_id);
}

static int sq_key_set_expiry(struct mg_store *s, const char *public_id, int64_t expires_ms)
{
    return update_bumping(s, "UPDATE api_keys SET expires_ms = ? WHERE public_id = ?", expires_ms, 0, public_id);
}

static int sq_keys_since(struct mg_store *s, int64_t since, mg_store_key_cb cb, void *arg, int64_t *max_seq)
{
    int rc;
    struct mg_key_record k;
    sqlite3_stmt *st = prep(s, "SELECT " KEY_COLS "WHERE k.seq > ? ORDER BY k.seq");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, since);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        key_row(st, &k);
        if (k.seq > *max_seq)
            *max_seq = k.seq;
        if (cb(arg, &k) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : fail(s, "keys since");
}

static int sq_keys_touch(struct mg_store *s, const int64_t *ids, size_t n, int64_t used_ms)
{
    int rc = MG_OK;
    sqlite3_stmt *st;
    if (n == 0)
        return MG_OK;
    if (tx_begin(s) != MG_OK)
        return MG_ERR;
    /* last-used is informational: it does not bump seq */
    if ((st = prep(s, "UPDATE api_keys SET last_used_ms = ? WHERE id = ?")) == NULL)
        return tx_end(s, MG_ERR);
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        sqlite3_bind_int64(st, 1, used_ms);
        sqlite3_bind_int64(st, 2, ids[i]);
        rc = sqlite3_step(st) == SQLITE_DONE ? MG_OK : fail(s, "key touch");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return tx_end(s, rc);
}

static int sq_channel_insert(struct mg_store *s, struct mg_channel_record *c)
{
    sqlite3_stmt *st = prep(s, "INSERT INTO channels(name, region, base_url, key_ref, key_enc, weight, models,"
                               " enabled) VALUES (?,?,?,?,?,?,?,?)");
    int rc;
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, (int)c->region);
    sqlite3_bind_text(st, 3, c->base_url, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, c->key_ref, -1, SQLITE_TRANSIENT);
    if (c->key_enc_len)
        sqlite3_bind_blob(st, 5, c->key_enc, (int)c->key_enc_len, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, c->weight);
    sqlite3_bind_text(st, 7, c->models, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 8, c->enabled);
    rc = step_done(s, st, "channel insert");
    if (rc == MG_OK)
        c->id = sqlite3_last_insert_rowid(DB(s));
    return rc;
}

static int sq_channel_list(struct mg_store *s, struct mg_channel_record **out, size_t *n)
{
    size_t cap = 0, len = 0;
    struct mg_channel_record *v = NULL;
    int rc;
    sqlite3_stmt *st =
        prep(s, "SELECT id, name, region, base_url, key_ref, key_enc, weight, models, enabled FROM channels ORDER BY id");
    if (st == NULL)
        return MG_ERR;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            v = mg_realloc(v, cap * sizeof(*v));
        }
        struct mg_channel_record *c = &v[len++];
        memset(c, 0, sizeof(*c));
        c->id = sqlite3_column_int64(st, 0);
        mg_strlcpy(c->name, (const char *)sqlite3_column_text(st, 1), sizeof(c->name));
        c->region = (enum mg_region)sqlite3_column_int(st, 2);
        mg_strlcpy(c->base_url, (const char *)sqlite3_column_text(st, 3), sizeof(c->base_url));
        mg_strlcpy(c->key_ref, (const char *)sqlite3_column_text(st, 4), sizeof(c->key_ref));
        c->key_enc_len = (size_t)sqlite3_column_bytes(st, 5);
        if (c->key_enc_len > sizeof(c->key_enc))
            c->key_enc_len = 0;
        if (c->key_enc_len)
            memcpy(c->key_enc, sqlite3_column_blob(st, 5), c->key_enc_len);
        c->weight = sqlite3_column_int(st, 6);
        mg_strlcpy(c->models, (const char *)sqlite3_column_text(st, 7), sizeof(c->models));
        c->enabled = sqlite3_column_int(st, 8);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return fail(s, "channel list");
    }
    *out = v;
    *n = len;
    return MG_OK;
}

static int sq_channel_delete(struct mg_store *s, const char *name)
{
    sqlite3_stmt *st = prep(s, "DELETE FROM channels WHERE name = ?");
    int rc;
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = step_done(s, st, "channel delete");
    return rc == MG_OK && sqlite3_changes(DB(s)) == 0 ? MG_DECLINED : rc;
}

static void bind_event(sqlite3_stmt *st, const struct mg_usage_event *e)
{
    sqlite3_bind_text(st, 1, e->request_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, e->ts_ms);
    sqlite3_bind_int64(st, 3, e->account_id);
    sqlite3_bind_int64(st, 4, e->key_id);
    sqlite3_bind_text(st, 5, e->key_public_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, e->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, e->service, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, e->route, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, e->input_tokens);
    sqlite3_bind_int64(st, 10, e->output_tokens);
    sqlite3_bind_int64(st, 11, e->cached_tokens);
    sqlite3_bind_int64(st, 12, e->characters);
    sqlite3_bind_int64(st, 13, e->images);
    sqlite3_bind_int64(st, 14, e->videos);
    sqlite3_bind_int64(st, 15, e->tracks);
    sqlite3_bind_int64(st, 16, e->voices);
    sqlite3_bind_int64(st, 17, e->cost_micros);
    sqlite3_bind_int(st, 18, e->http_status);
    sqlite3_bind_int(st, 19, e->estimated);
}

static int run(struct mg_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? MG_OK : fail(s, what);
    sqlite3_reset(st);
    return rc;
}

/* A checkpoint replaces the stream's previous one; a real event deletes its
 * stream's checkpoint (a PK lookup in a table of the streams open now). */
static int sq_usage_insert(struct mg_store *s, const struct mg_usage_event *ev, size_t n)
{
    int rc = MG_OK;
    sqlite3_stmt *ins, *ckpt, *del;
    if (n == 0)
        return MG_OK;
    if (tx_begin(s) != MG_OK)
        return MG_ERR;
    ins = prep(s, "INSERT OR IGNORE INTO usage_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    ckpt = prep(s, "INSERT OR REPLACE INTO stream_checkpoints VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    del = prep(s, "DELETE FROM stream_checkpoints WHERE request_id = ?");
    if (ins == NULL || ckpt == NULL || del == NULL)
        rc = MG_ERR;
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        const struct mg_usage_event *e = &ev[i];
        if (e->checkpoint) {
            bind_event(ckpt, e);
            rc = run(s, ckpt, "checkpoint insert");
            ((struct sq_store *)s)->ckpt_rows = -1; /* some: counted again after the batch */
            continue;
        }
        bind_event(ins, e);
        rc = run(s, ins, "usage insert");
        if (rc == MG_OK && ((struct sq_store *)s)->ckpt_rows != 0) {
            sqlite3_bind_text(del, 1, e->request_id, -1, SQLITE_STATIC);
            rc = run(s, del, "checkpoint delete");
        }
    }
    if (rc == MG_OK && ((struct sq_store *)s)->ckpt_rows != 0) { /* one count a batch, not a delete an event */
        sqlite3_stmt *cnt = prep(s, "SELECT count(*) FROM stream_checkpoints");
        if (cnt != NULL && sqlite3_step(cnt) == SQLITE_ROW)
            ((struct sq_store *)s)->ckpt_rows = sqlite3_column_int64(cnt, 0);
        sqlite3_finalize(cnt);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(ckpt);
    sqlite3_finalize(del);
    return tx_end(s, rc);
}

static int sq_usage_settle_checkpoints(struct mg_store *s, size_t *n)
{
    *n = 0;
    if (tx_begin(s) != MG_OK)
        return MG_ERR;
    int rc = exec(s, "INSERT OR IGNORE INTO usage_events SELECT * FROM stream_checkpoints");
    if (rc == MG_OK) {
        *n = (size_t)sqlite3_changes(DB(s));
        rc = exec(s, "DELETE FROM stream_checkpoints");
    }
    return tx_end(s, rc);
}

static int sq_usage_list(struct mg_store *s, const char *request_id, size_t limit, mg_store_usage_cb cb, void *arg)
{
    int rc;
    struct mg_usage_event e;
    sqlite3_stmt *st = prep(s, request_id ? "SELECT * FROM usage_events WHERE request_id = ? LIMIT ?"
                                          : "SELECT * FROM usage_events ORDER BY ts_ms DESC, request_id DESC LIMIT ?");
    if (st == NULL)
        return MG_ERR;
    if (request_id) {
        sqlite3_bind_text(st, 1, request_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
    } else {
        sqlite3_bind_int64(st, 1, (int64_t)limit);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&e, 0, sizeof(e));
        mg_strlcpy(e.request_id, (const char *)sqlite3_column_text(st, 0), sizeof(e.request_id));
        e.ts_ms = sqlite3_column_int64(st, 1);
        e.account_id = sqlite3_column_int64(st, 2);
        e.key_id = sqlite3_column_int64(st, 3);
        mg_strlcpy(e.key_public_id, (const char *)sqlite3_column_text(st, 4), sizeof(e.key_public_id));
        mg_strlcpy(e.model, (const char *)sqlite3_column_text(st, 5), sizeof(e.model));
        mg_strlcpy(e.service, (const char *)sqlite3_column_text(st, 6), sizeof(e.service));
        mg_strlcpy(e.route, (const char *)sqlite3_column_text(st, 7), sizeof(e.route));
        e.input_tokens = sqlite3_column_int64(st, 8);
        e.output_tokens = sqlite3_column_int64(st, 9);
        e.cached_tokens = sqlite3_column_int64(st, 10);
        e.characters = sqlite3_column_int64(st, 11);
        e.images = sqlite3_column_int64(st, 12);
        e.videos = sqlite3_column_int64(st, 13);
        e.tracks = sqlite3_column_int64(st, 14);
        e.voices = sqlite3_column_int64(st, 15);
        e.cost_micros = sqlite3_column_int64(st, 16);
        e.http_status = sqlite3_column_int(st, 17);
        e.estimated = sqlite3_column_int(st, 18);
        if (cb(arg, &e) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : fail(s, "usage list");
}

static int sq_usage_spend_all(struct mg_store *s, int64_t from_ms, int64_t to_ms,
                              int (*cb)(void *arg, int64_t account_id, int64_t micros), void *arg)
{
    int rc;
    sqlite3_stmt *st = prep(s, "SELECT account_id, sum(cost_micros) FROM usage_events"
                               " WHERE ts_ms >= ? AND ts_ms < ? GROUP BY account_id");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)) != MG_OK)
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : fail(s, "usage spend");
}

static int sq_owner_put(struct mg_store *s, enum mg_owned_kind kind, const char *id, int64_t account_id,
                        const char *model)
{
    sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO owners VALUES (?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, account_id);
    sqlite3_bind_text(st, 4, model ? model : "", -1, SQLITE_TRANSIENT);
    return step_done(s, st, "owner put");
}

static int sq_owner_get(struct mg_store *s, enum mg_owned_kind kind, const char *id, int64_t *account_id, char *model,
                        size_t model_cap)
{
    int rc;
    sqlite3_stmt *st = prep(s, "SELECT account_id, model FROM owners WHERE kind = ? AND id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *account_id = sqlite3_column_int64(st, 0);
        if (model != NULL)
            mg_strlcpy(model, (const char *)sqlite3_column_text(st, 1), model_cap);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : fail(s, "owner get");
}

static int sq_owner_delete(struct mg_store *s, enum mg_owned_kind kind, const char *id)
{
    sqlite3_stmt *st = prep(s, "DELETE FROM owners WHERE kind = ? AND id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    return step_done(s, st, "owner delete");
}

static int sq_owners_lookup(struct mg_store *s, enum mg_owned_kind kind, const char *const *ids, size_t n,
                            int64_t *account_out)
{
    int rc = MG_OK, step;
    sqlite3_stmt *st;
    if (n == 0)
        return MG_OK;
    if (exec(s, "BEGIN") != MG_OK) /* one snapshot for the whole list; read-only, no write lock */
        return MG_ERR;
    if ((st = prep(s, "SELECT account_id FROM owners WHERE kind = ? AND id = ?")) == NULL) {
        exec(s, "ROLLBACK");
        return MG_ERR;
    }
    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqlite3_bind_text(st, 2, ids[i], -1, SQLITE_STATIC);
        step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            account_out[i] = sqlite3_column_int64(st, 0);
        else if (step == SQLITE_DONE)
            account_out[i] = 0;
        else
            rc = fail(s, "owners lookup");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(s, rc == MG_OK ? "COMMIT" : "ROLLBACK");
    return rc;
}

static const struct mg_store_ops sqlite_ops = {
    .backend = "sqlite",
    .close = sq_close,
    .migrate = sq_migrate,
    .account_create = sq_account_create,
    .account_by_email = sq_account_by_email,
    .account_set_suspended = sq_account_set_suspended,
    .account_set_cap = sq_account_set_cap,
    .key_insert = sq_key_insert,
    .key_by_digest = sq_key_by_digest,
    .key_set_status = sq_key_set_status,
    .key_set_expiry = sq_key_set_expiry,
    .keys_since = sq_keys_since,
    .keys_touch = sq_keys_touch,
    .channel_insert = sq_channel_insert,
    .channel_list = sq_channel_list,
    .channel_delete = sq_channel_delete,
    .usage_insert = sq_usage_insert,
    .usage_list = sq_usage_list,
    .usage_spend_all = sq_usage_spend_all,
    .usage_settle_checkpoints = sq_usage_settle_checkpoints,
    .owner_put = sq_owner_put,
    .owner_get = sq_owner_get,
    .owner_delete = sq_owner_delete,
    .owners_lookup = sq_owners_lookup,
};

/* The database holds key digests, accounts and usage: it is the owner's
 * alone, whatever the umask.  SQLite would create it 0644 & ~umask and gives
 * its -wal and -shm files the database file's mode, so the file is made (or
 * tightened) 0600 here before SQLite opens it; side files left by an older,
 * looser version are tightened too.  An existing file is never opened here:
 * closing any descriptor of a file drops every POSIX lock this process holds
 * on it, SQLite's locks of the other connections included. */
static int private_file(const char *path, int create, char *err, size_t errlen)
{
    struct stat st;
    if (create) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            int rc = fchmod(fd, 0600); /* exactly 0600: the umask may have taken the owner's bits */
            close(fd);
            if (rc == 0)
                return MG_OK;
            snprintf(err, errlen, "cannot make database %s private (mode 0600): %s", path, strerror(errno));
            return MG_ERR;
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create database %s: %s", path, strerror(errno));
            return MG_ERR;
        }
    }
    if (stat(path, &st) != 0)
        return MG_OK; /* no side file yet; a missing database is SQLite's to report */
    if ((st.st_mode & 0777) != 0600 && chmod(path, 0600) != 0) {
        snprintf(err, errlen, "cannot make database %s private (mode 0600): %s", path, strerror(errno));
        return MG_ERR;
    }
    return MG_OK;
}

static int private_files(const char *path, char *err, size_t errlen)
{
    static const char *const side[] = {"-wal", "-shm"};
    char p[4096];
    if (path[0] == '\0' || path[0] == ':') /* ":memory:" and temporary databases have no file */
        return MG_OK;
    if (private_file(path, 1, err, errlen) != MG_OK)
        return MG_ERR;
    for (size_t i = 0; i < MG_ARRAY_SIZE(side); i++) {
        if ((size_t)snprintf(p, sizeof(p), "%s%s", path, side[i]) >= sizeof(p)) {
            snprintf(err, errlen, "the database path is too long: %.200s", path);
            return MG_ERR;
        }
        if (private_file(p, 0, err, errlen) != MG_OK)
            return MG_ERR;
    }
    return MG_OK;
}

struct mg_store *mg_store_open_sqlite(const char *path, char *err, size_t errlen)
{
    if (private_files(path, err, errlen) != MG_OK)
        return NULL;
    struct sq_store *s = mg_calloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    s->ckpt_rows = -1; /* unknown until this handle's first batch counts them */
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (exec(&s->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON") != MG_OK) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(s->db));
        sq_close(&s->base);
        return NULL;
    }
    return &s->base;
}
