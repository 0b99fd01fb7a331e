/* sq_channels.c: the upstream channels domain of the SQLite backend (store.h "Channels"). */
#include "store/sq_impl.h"
#include "core/mg.h"

#include <stdlib.h>
#include <string.h>

#define COLUMNS "id, name, region, base_url, key_ref, key_enc, weight, models, enabled"

static void read_row(sqlite3_stmt *st, struct mg_channel_record *c)
{
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

int sq_channel_insert(struct mg_store *s, struct mg_channel_record *c)
{
    sqlite3_stmt *st = sq_prep(s, "INSERT INTO channels(name, region, base_url, key_ref, key_enc, weight, models,"
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
    rc = sq_step_done(s, st, "channel insert");
    if (rc == MG_OK)
        c->id = sqlite3_last_insert_rowid(DB(s));
    return rc;
}

int sq_channel_list(struct mg_store *s, struct mg_channel_record **out, size_t *n)
{
    size_t cap = 0, len = 0;
    struct mg_channel_record *v = NULL;
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " COLUMNS " FROM channels ORDER BY id");
    if (st == NULL)
        return MG_ERR;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            v = mg_realloc(v, cap * sizeof(*v));
        }
        read_row(st, &v[len++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return sq_fail(s, "channel list");
    }
    *out = v;
    *n = len;
    return MG_OK;
}

int sq_channel_delete(struct mg_store *s, const char *name)
{
    sqlite3_stmt *st = sq_prep(s, "DELETE FROM channels WHERE name = ?");
    int rc;
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = sq_step_done(s, st, "channel delete");
    return rc == MG_OK && sqlite3_changes(DB(s)) == 0 ? MG_DECLINED : rc;
}

int sq_channel_get(struct mg_store *s, const char *name, struct mg_channel_record *out)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT " COLUMNS " FROM channels WHERE name = ?");
    int rc;
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return MG_OK;
    return rc == SQLITE_DONE ? MG_DECLINED : sq_fail(s, "channel get");
}

int sq_channel_update(struct mg_store *s, const struct mg_channel_record *c)
{
    sqlite3_stmt *st =
        sq_prep(s, "UPDATE channels SET base_url = ?, weight = ?, models = ?, enabled = ? WHERE name = ?");
    int rc;
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_text(st, 1, c->base_url, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, c->weight);
    sqlite3_bind_text(st, 3, c->models, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, c->enabled);
    sqlite3_bind_text(st, 5, c->name, -1, SQLITE_TRANSIENT);
    rc = sq_step_done(s, st, "channel update");
    return rc == MG_OK && sqlite3_changes(DB(s)) == 0 ? MG_DECLINED : rc;
}
