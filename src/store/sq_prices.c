/*
 * sq_prices.c: the operator's price rows and ratios (store.h "Prices").
 * Every change bumps price_seq (the nodes' price reloaders poll it); a
 * plan's or an account's ratio also gives the keys it reaches a new key seq,
 * since the key cache carries each key's account ratio.
 */
#include "store/sq_impl.h"
#include "core/video_price.h"
#include "core/log.h"
#include "core/mg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRICE_COLS                                                                                           \
    "model, input_per_mtok, output_per_mtok, cached_per_mtok, per_10k_chars, per_image, per_video, per_track, " \
    "per_voice, max_output_tokens, video"

static int bump_prices(struct mg_store *s) { return sq_exec(s, "UPDATE price_seq SET seq = seq + 1"); }

int sq_prices_list(struct mg_store *s, int (*cb)(void *arg, const struct mg_price *p), void *arg)
{
    struct mg_price p;
    char err[160];
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT " PRICE_COLS " FROM prices ORDER BY model");
    if (st == NULL)
        return MG_ERR;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&p, 0, sizeof(p));
        mg_strlcpy(p.model, sq_text(st, 0), sizeof(p.model));
        p.input_per_mtok = sqlite3_column_int64(st, 1);
        p.output_per_mtok = sqlite3_column_int64(st, 2);
        p.cached_per_mtok = sqlite3_column_int64(st, 3);
        p.per_10k_chars = sqlite3_column_int64(st, 4);
        p.per_image = sqlite3_column_int64(st, 5);
        p.per_video = sqlite3_column_int64(st, 6);
        p.per_track = sqlite3_column_int64(st, 7);
        p.per_voice = sqlite3_column_int64(st, 8);
        p.max_output_tokens = sqlite3_column_int64(st, 9);
        if (mg_video_prices_parse(sq_text(st, 10), &p, err, sizeof(err)) != MG_OK) /* written by our own format */
            mg_log(MG_LOG_WARN, "prices: the video prices of %s are unreadable (%s); none are used", p.model, err);
        if (cb(arg, &p) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "prices list");
}

int sq_price_put(struct mg_store *s, const struct mg_price *p, int64_t now_ms)
{
    char video[MG_VIDEO_PRICES_MAX * 40];
    sqlite3_stmt *st;
    int rc, n = 0;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    if ((st = sq_prep(s, "SELECT count(*) FROM prices WHERE model != ?")) == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_text(st, 1, p->model, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (n >= MG_PRICE_ROWS_MAX) {
        sq_tx_end(s, MG_OK);
        return MG_AGAIN;
    }
    st = sq_prep(s, "INSERT OR REPLACE INTO prices(" PRICE_COLS ", updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_text(st, 1, p->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, p->input_per_mtok);
    sqlite3_bind_int64(st, 3, p->output_per_mtok);
    sqlite3_bind_int64(st, 4, p->cached_per_mtok);
    sqlite3_bind_int64(st, 5, p->per_10k_chars);
    sqlite3_bind_int64(st, 6, p->per_image);
    sqlite3_bind_int64(st, 7, p->per_video);
    sqlite3_bind_int64(st, 8, p->per_track);
    sqlite3_bind_int64(st, 9, p->per_voice);
    sqlite3_bind_int64(st, 10, p->max_output_tokens);
    mg_video_prices_format(p, MG_RATIO_ONE, video, sizeof(video));
    sqlite3_bind_text(st, 11, video, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 12, now_ms);
    rc = sq_step_done(s, st, "price put");
    if (rc == MG_OK)
        rc = bump_prices(s);
    return sq_tx_end(s, rc);
}

int sq_price_delete(struct mg_store *s, const char *model)
{
    sqlite3_stmt *st;
    int rc;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    if ((st = sq_prep(s, "DELETE FROM prices WHERE model = ?")) == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
    rc = sq_step_done(s, st, "price delete");
    if (rc == MG_OK && sqlite3_changes(DB(s)) == 0) {
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    if (rc == MG_OK)
        rc = bump_prices(s);
    return sq_tx_end(s, rc);
}

int sq_ratio_set(struct mg_store *s, const char *scope, int64_t ratio_ppm, int64_t now_ms)
{
    sqlite3_stmt *st;
    int rc;
    char where[96];
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return MG_ERR;
    st = ratio_ppm < 0 ? sq_prep(s, "DELETE FROM price_ratios WHERE scope = ?")
                       : sq_prep(s, "INSERT OR REPLACE INTO price_ratios(scope, ratio_ppm, updated_ms) VALUES (?,?,?)");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
    if (ratio_ppm >= 0) {
        sqlite3_bind_int64(st, 2, ratio_ppm);
        sqlite3_bind_int64(st, 3, now_ms);
    }
    rc = sq_step_done(s, st, "ratio set");
    if (rc == MG_OK)
        rc = bump_prices(s);
    /* the keys whose account ratio this changes get a new key seq (the key cache carries it) */
    if (rc == MG_OK && strncmp(scope, "account:", 8) == 0)
        snprintf(where, sizeof(where), "account_id = %lld", (long long)strtoll(scope + 8, NULL, 10));
    else if (rc == MG_OK && strncmp(scope, "plan:", 5) == 0)
        snprintf(where, sizeof(where), "account_id IN (SELECT id FROM accounts WHERE plan = ?1)");
    else
        where[0] = '\0';
    if (rc == MG_OK && where[0] && (rc = sq_exec(s, "UPDATE key_seq SET seq = seq + 1")) == MG_OK) {
        char sql[256];
        snprintf(sql, sizeof(sql), "UPDATE api_keys SET seq = (SELECT seq FROM key_seq) WHERE %s", where);
        if ((st = sq_prep(s, sql)) == NULL)
            return sq_tx_end(s, MG_ERR);
        if (scope[0] == 'p')
            sqlite3_bind_text(st, 1, scope + 5, -1, SQLITE_TRANSIENT);
        rc = sq_step_done(s, st, "ratio keys");
    }
    return sq_tx_end(s, rc);
}

int sq_ratios_list(struct mg_store *s, int (*cb)(void *arg, const char *scope, int64_t ratio_ppm), void *arg)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT scope, ratio_ppm FROM price_ratios ORDER BY scope");
    if (st == NULL)
        return MG_ERR;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, sq_text(st, 0), sqlite3_column_int64(st, 1)) != MG_OK)
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_fail(s, "ratios list");
}

int sq_price_seq(struct mg_store *s, int64_t *seq)
{
    int rc;
    sqlite3_stmt *st = sq_prep(s, "SELECT seq FROM price_seq");
    if (st == NULL)
        return MG_ERR;
    rc = sqlite3_step(st);
    *seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_fail(s, "price seq");
}
