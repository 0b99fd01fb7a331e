/*
 * prices.c: official prices (MINIMAX-API.md section 4.2, global, USD) in
 * micro-units, and the cost of a usage event.  Where the reference marks a
 * price as unconfirmed the row says so; operators override rows in config.
 */
#include "billing/prices.h"
#include "core/log.h"
#include "core/mg.h"

#include <stddef.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

/* All prices are integer micro-units of USD: 300000 = $0.30. */

/* Rows without video entries leave nvideo and video[] zero. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct mg_price defaults[] = {
    /* model                      in/M        out/M      cached/M   10k chars  image       video       track      voice  max out */
    {"MiniMax-M3", 300000, 1200000, 60000, 0, 0, 0, 0, 0, 524288},
    {"MiniMax-M2.7-highspeed", 600000, 2400000, 60000, 0, 0, 0, 0, 0, 0},
    {"MiniMax-M2.7", 300000, 1200000, 60000, 0, 0, 0, 0, 0, 0},
    {"MiniMax-M2.5-highspeed", 600000, 2400000, 30000, 0, 0, 0, 0, 0, 0},
    {"MiniMax-M2.5", 300000, 1200000, 30000, 0, 0, 0, 0, 0, 0},
    /* older text models, priced as M2.5; exact names, so "MiniMax-M2.7-evil" is unpriced, not cheap */
    {"MiniMax-M2.1", 300000, 1200000, 30000, 0, 0, 0, 0, 0, 0},
    {"MiniMax-M2.1-lightning", 300000, 1200000, 30000, 0, 0, 0, 0, 0, 0},
    {"MiniMax-M2", 300000, 1200000, 30000, 0, 0, 0, 0, 0, 0},
    {"image-01", 0, 0, 0, 0, 3500, 0, 0, 0, 0},
    {"image-01-live", 0, 0, 0, 0, 3500, 0, 0, 0, 0},
    /* speech: resellers' USD figures ($0.10 / 1k chars hd, $0.06 turbo), unconfirmed by MiniMax */
    {"speech-*-hd", 0, 0, 0, 1000000, 0, 0, 0, 0, 0},
    {"speech-*", 0, 0, 0, 600000, 0, 0, 0, 0, 0},
    /* Hailuo video: $0.25 per 6 s and $0.52 per 10 s video at 768P (third-party figures, unconfirmed);
     * an operator adds a 1080P entry (video = 1080P/6s=...) when they know MiniMax's price */
    {"MiniMax-Hailuo-*", 0, 0, 0, 0, 0, 250000, 0, 0, 0, 2, {{"*", 6, 250000, 0}, {"*", 10, 520000, 0}}},
    /* MiniMax-H3 (the v2 video API): $0.08 a second at 768P, $0.13 at 2K */
    {"MiniMax-H3*", 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, {{"768P", 0, 80000, 1}, {"2K", 0, 130000, 1}}},
    {"T2V-01*", 0, 0, 0, 0, 0, 250000, 0, 0, 0},
    {"I2V-01*", 0, 0, 0, 0, 0, 250000, 0, 0, 0},
    {"S2V-01*", 0, 0, 0, 0, 0, 250000, 0, 0, 0},
    /* music: CNY 1.0 per track converted at about 0.14 USD/CNY */
    {"music-*", 0, 0, 0, 0, 0, 0, 140000, 0, 0},
    /* voice clone / design: CNY 9.9 per voice, converted at 0.14 USD/CNY as music.  These
     * requests name no model of their own: they are priced under the route's name
     * (gateway/admit.c rl_price_model). */
    {"voice_clone", 0, 0, 0, 0, 0, 0, 0, 1386000, 0},
    {"voice_design", 0, 0, 0, 0, 0, 0, 0, 1386000, 0},
};
#pragma GCC diagnostic pop

struct mg_price_table {
    struct mg_price *rows;
    size_t n;
    uint64_t gen;     /* unique per table and per change: keys the lookup cache below */
    int64_t ratio_ppm; /* the operator's ratio for accounts without their own (or their plan's) */
};

static _Atomic uint64_t table_gens;

struct mg_price_table *mg_prices_default(void)
{
    struct mg_price_table *t = mg_calloc(1, sizeof(*t));
    t->gen = atomic_fetch_add(&table_gens, 1) + 1;
    t->n = MG_ARRAY_SIZE(defaults);
    t->rows = mg_malloc(sizeof(defaults));
    memcpy(t->rows, defaults, sizeof(defaults));
    t->ratio_ppm = MG_RATIO_ONE;
    return t;
}

int64_t mg_prices_ratio(const struct mg_price_table *t) { return t->ratio_ppm; }
void mg_prices_set_ratio(struct mg_price_table *t, int64_t ratio_ppm) { t->ratio_ppm = ratio_ppm; }
size_t mg_prices_count(const struct mg_price_table *t) { return t->n; }
const struct mg_price *mg_prices_row(const struct mg_price_table *t, size_t i) { return i < t->n ? &t->rows[i] : NULL; }

void mg_prices_free(struct mg_price_table *t)
{
    if (t == NULL)
        return;
    free(t->rows);
    free(t);
}

void mg_prices_set(struct mg_price_table *t, const struct mg_price *p)
{
    t->gen = atomic_fetch_add(&table_gens, 1) + 1; /* a changed table: cached lookups are stale */
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->rows[i].model, p->model) == 0) {
            t->rows[i] = *p;
            return;
        }
    }
    t->rows = mg_realloc(t->rows, (t->n + 1) * sizeof(*t->rows));
    t->rows[t->n++] = *p;
}

/* A pattern is an exact name, or has one '*' matching any run of characters. */
static size_t match(const char *pat, const char *model)
{
    const char *star = strchr(pat, '*');
    if (star == NULL)
        return strcmp(pat, model) == 0 ? SIZE_MAX : 0;
    size_t pre = (size_t)(star - pat), suf = strlen(star + 1), ml = strlen(model);
    if (ml < pre + suf || strncmp(pat, model, pre) != 0 || strcmp(model + ml - suf, star + 1) != 0)
        return 0;
    return pre + suf + 1; /* longer literal parts win */
}

const struct mg_price *mg_prices_find(const struct mg_price_table *t, const char *model)
{
    /* A request looks its model up several times (price check, worst case, bill): the last answer
     * per thread is kept, keyed by the table's generation and the name. */
    static __thread struct {
        uint64_t gen;
        char model[MG_MODEL_NAME_MAX + 1];
        const struct mg_price *row;
    } last;
    size_t ml = strlen(model);
    if (last.gen == t->gen && ml <= MG_MODEL_NAME_MAX && memcmp(last.model, model, ml + 1) == 0)
        return last.row;
    const struct mg_price *best = NULL;
    size_t best_score = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t sc = match(t->rows[i].model, model);
        if (sc > best_score) {
            best_score = sc;
            best = &t->rows[i];
        }
    }
    if (ml <= MG_MODEL_NAME_MAX) {
        last.gen = t->gen;
        memcpy(last.model, model, ml + 1);
        last.row = best;
    }
    return best;
}

int mg_model_name_valid(const char *name, size_t len, int allow_star)
{
    int stars = 0;
    if (len == 0 || len > MG_MODEL_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
            c == ':' || c == '/' || c == '-')
            continue;
        if (c == '*' && allow_star && ++stars == 1)
            continue;
        return 0;
    }
    return 1;
}

int64_t mg_price_max_output(const struct mg_price *p)
{
    return p != NULL && p->max_output_tokens > 0 ? p->max_output_tokens : MG_DEFAULT_MAX_OUTPUT;
}

/* ---- video prices by resolution and length ------------------------------ */

const struct mg_video_price *mg_video_price_find(const struct mg_price *p, const char *res, int64_t seconds)
{
    const struct mg_video_price *best = NULL;
    int best_score = -1;
    for (int i = 0; i < p->nvideo; i++) {
        const struct mg_video_price *v = &p->video[i];
        int res_exact = strcmp(v->res, "*") != 0;
        if ((res_exact && strcasecmp(v->res, res) != 0) || (v->seconds != 0 && v->seconds != seconds))
            continue;
        int score = (res_exact ? 2 : 0) + (v->seconds != 0);
        if (score > best_score) {
            best_score = score;
            best = v;
        }
    }
    return best;
}

int64_t mg_video_unit_price(const struct mg_price *p, const char *res, int64_t seconds)
{
    if (seconds <= 0)
        seconds = MG_VIDEO_DEFAULT_SECONDS;
    const struct mg_video_price *v = mg_video_price_find(p, res, seconds);
    if (v == NULL)
        return p->per_video;
    if (!v->per_second)
        return v->micros;
    __int128 total = (__int128)v->micros * seconds; /* both bounded: at most 10^12 x 600 */
    return total > INT64_MAX ? INT64_MAX : (int64_t)total;
}

/* The columns an operator sets in a [price.MODEL] section: the config name
 * is the field's name, money in the currency's decimal notation. */
static const struct column {
    const char *name;
    size_t off;
    int money; /* 1: a decimal amount; 0: a whole number */
} columns[] = {
    {"input_per_mtok", offsetof(struct mg_price, input_per_mtok), 1},
    {"output_per_mtok", offsetof(struct mg_price, output_per_mtok), 1},
    {"cached_per_mtok", offsetof(struct mg_price, cached_per_mtok), 1},
    {"per_10k_chars", offsetof(struct mg_price, per_10k_chars), 1},
    {"per_image", offsetof(struct mg_price, per_image), 1},
    {"per_video", offsetof(struct mg_price, per_video), 1},
    {"per_track", offsetof(struct mg_price, per_track), 1},
    {"per_voice", offsetof(struct mg_price, per_voice), 1},
    {"max_output_tokens", offsetof(struct mg_price, max_output_tokens), 0},
};

/* A model's output limit beyond this is a typo, not a model (M3's is 524,288). */
#define MAX_OUTPUT_LIMIT 100000000

int mg_price_set_column(struct mg_price *p, const char *name, const char *value)
{
    char err[160];
    if (strcmp(name, "video") == 0)
        return mg_video_prices_parse(value, p, err, sizeof(err));
    for (size_t i = 0; i < MG_ARRAY_SIZE(columns); i++) {
        if (strcmp(columns[i].name, name) != 0)
            continue;
        int64_t v;
        if (columns[i].money ? mg_money_parse(value, &v) != MG_OK
                             : mg_parse_i64(value, strlen(value), &v) != MG_OK || v < 1 || v > MAX_OUTPUT_LIMIT)
            return MG_DECLINED;
        memcpy((char *)p + columns[i].off, &v, sizeof(v));
        return MG_OK;
    }
    return MG_ERR;
}

const char *mg_price_columns(void)
{
    return "input_per_mtok, output_per_mtok, cached_per_mtok, per_10k_chars, per_image, per_video, per_track, "
           "per_voice, max_output_tokens, video";
}

/* One row per billing key: where the event counts it, where the price
 * row prices it, and the factor that brings every product to micro-units x
 * 1,000,000 (prices per million tokens, per 10k characters, per item). */
static const struct bill_row {
    enum mg_bill_unit unit;
    size_t qty;   /* offsetof(struct mg_usage_event, ...) */
    size_t price; /* offsetof(struct mg_price, ...) */
    int64_t scale;
} bill_rows[] = {
    {MG_BILL_INPUT_TOKENS, offsetof(struct mg_usage_event, input_tokens), offsetof(struct mg_price, input_per_mtok), 1},
    {MG_BILL_OUTPUT_TOKENS, offsetof(struct mg_usage_event, output_tokens), offsetof(struct mg_price, output_per_mtok), 1},
    {MG_BILL_CACHED_TOKENS, offsetof(struct mg_usage_event, cached_tokens), offsetof(struct mg_price, cached_per_mtok), 1},
    {MG_BILL_CHARACTERS, offsetof(struct mg_usage_event, characters), offsetof(struct mg_price, per_10k_chars), 100},
    {MG_BILL_IMAGES, offsetof(struct mg_usage_event, images), offsetof(struct mg_price, per_image), 1000000},
    {MG_BILL_VIDEOS, offsetof(struct mg_usage_event, videos), offsetof(struct mg_price, per_video), 1000000},
    {MG_BILL_TRACKS, offsetof(struct mg_usage_event, tracks), offsetof(struct mg_price, per_track), 1000000},
    {MG_BILL_VOICES, offsetof(struct mg_usage_event, voices), offsetof(struct mg_price, per_voice), 1000000},
};

static int64_t field_at(const void *base, size_t off)
{
    int64_t v;
    memcpy(&v, (const char *)base + off, sizeof(v));
    return v;
}

/* The quantity billed for a row: input is billed net of cache reads. */
static int64_t quantity(const struct mg_usage_event *ev, const struct bill_row *r)
{
    int64_t q = field_at(ev, r->qty);
    if (r->unit == MG_BILL_INPUT_TOKENS) {
        q -= ev->cached_tokens;
        if (q < 0)
            q = 0;
    }
    return q;
}

int mg_price_covers(const struct mg_price *p, unsigned units)
{
    if ((units & MG_BILL_VIDEOS) && p->nvideo > 0)
        return 1;
    for (size_t i = 0; i < MG_ARRAY_SIZE(bill_rows); i++)
        if ((units & bill_rows[i].unit) && field_at(p, bill_rows[i].price) > 0)
            return 1;
    return 0;
}

unsigned mg_bill_units_of(const struct mg_usage_event *ev)
{
    unsigned m = 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(bill_rows); i++)
        if (field_at(ev, bill_rows[i].qty) != 0)
            m |= bill_rows[i].unit;
    return m;
}

int64_t mg_prices_cost(const struct mg_price_table *t, const struct mg_usage_event *ev, int64_t ratio_ppm)
{
    const struct mg_price *p = mg_prices_find(t, ev->model);
    __int128 sum = 0; /* micro-units x 1,000,000 (per-million-token prices) */
    if (p == NULL) {
        mg_log(MG_LOG_WARN, "no price for model '%s'; the request is recorded at cost 0", ev->model);
        return 0;
    }
    for (size_t i = 0; i < MG_ARRAY_SIZE(bill_rows); i++) {
        const struct bill_row *r = &bill_rows[i];
        int64_t unit = r->unit == MG_BILL_VIDEOS ? mg_video_unit_price(p, ev->video_res, ev->video_seconds)
                                                 : field_at(p, r->price);
        sum += (__int128)quantity(ev, r) * unit * r->scale;
    }
    sum *= ratio_ppm;
    const __int128 div = (__int128)1000000 * MG_RATIO_ONE;
    __int128 q = (sum + div / 2) / div; /* half up; costs are never negative */
    return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

int mg_ratio_parse(const char *s, int64_t *ppm)
{
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '%') {
        char tmp[32];
        int64_t pct;
        if (n >= sizeof(tmp))
            return MG_DECLINED;
        memcpy(tmp, s, n - 1);
        tmp[n - 1] = '\0';
        if (mg_fixed_parse(tmp, 4, &pct) != MG_OK) /* percent with 4 decimals = ppm */
            return MG_DECLINED;
        *ppm = pct;
        return MG_OK;
    }
    return mg_fixed_parse(s, 6, ppm);
}
