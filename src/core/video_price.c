/*
 * video_price.c: the text form of a price row's video entries (BL-1), one
 * reader and writer for the config file, the store, the CLI and the API:
 * "768P/6s=0.25, 768P/10s=0.52, 2K=0.13/s" (core/video_price.h).
 */
#include "core/video_price.h"
#include "core/mg.h"
#include "core/money.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int mg_video_res_valid(const char *res, size_t len)
{
    if (len == 0 || len >= MG_VIDEO_RES_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((res[i] >= '0' && res[i] <= '9') || (res[i] >= 'A' && res[i] <= 'Z') || (res[i] >= 'a' && res[i] <= 'z')))
            return 0;
    return 1;
}

/* One entry: RES[/Ns]=AMOUNT[/s].  MG_OK or MG_DECLINED with err set. */
static int video_entry(const char *s, size_t len, struct mg_video_price *v, char *err, size_t errlen)
{
    char buf[64], *eq, *slash, *amount;
    memset(v, 0, sizeof(*v));
    if (len == 0 || len >= sizeof(buf)) {
        snprintf(err, errlen, "A video price entry is empty or longer than 63 characters.");
        return MG_DECLINED;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if ((eq = strchr(buf, '=')) == NULL) {
        snprintf(err, errlen, "'%s' has no '=': write RESOLUTION[/SECONDSs]=PRICE[/s], such as 768P/6s=0.25.", buf);
        return MG_DECLINED;
    }
    *eq = '\0';
    amount = eq + 1;
    if ((slash = strchr(buf, '/')) != NULL) {
        int64_t secs;
        size_t n = strlen(slash + 1);
        *slash = '\0';
        if (n < 2 || slash[n] != 's' || mg_parse_i64(slash + 1, n - 1, &secs) != MG_OK || secs < 1 ||
            secs > MG_VIDEO_SECONDS_MAX) {
            snprintf(err, errlen, "The length of '%s' must be whole seconds from 1 to %d, written like 6s.", buf,
                     MG_VIDEO_SECONDS_MAX);
            return MG_DECLINED;
        }
        v->seconds = secs;
    }
    if (strcmp(buf, "*") != 0 && !mg_video_res_valid(buf, strlen(buf))) {
        snprintf(err, errlen, "'%s' is not a resolution: letters and digits such as 768P or 2K, or * for any.", buf);
        return MG_DECLINED;
    }
    mg_strlcpy(v->res, buf, sizeof(v->res));
    size_t an = strlen(amount);
    if (an > 2 && strcmp(amount + an - 2, "/s") == 0) {
        amount[an - 2] = '\0';
        v->per_second = 1;
    }
    if (mg_money_parse(amount, &v->micros) != MG_OK || v->micros <= 0 || v->micros > MG_PRICE_MAX_MICROS) {
        snprintf(err, errlen, "The price of %s must be an amount above 0 such as 0.25 (per video) or 0.08/s "
                 "(per second).", v->res);
        return MG_DECLINED;
    }
    return MG_OK;
}

int mg_video_prices_parse(const char *s, struct mg_price *p, char *err, size_t errlen)
{
    struct mg_price tmp = *p;
    tmp.nvideo = 0;
    while (*s != '\0') {
        while (*s == ' ' || *s == ',')
            s++;
        size_t len = strcspn(s, ",");
        while (len > 0 && s[len - 1] == ' ')
            len--;
        if (len == 0)
            break;
        if (tmp.nvideo == MG_VIDEO_PRICES_MAX) {
            snprintf(err, errlen, "A row has at most %d video prices.", MG_VIDEO_PRICES_MAX);
            return MG_DECLINED;
        }
        struct mg_video_price *v = &tmp.video[tmp.nvideo];
        if (video_entry(s, len, v, err, errlen) != MG_OK)
            return MG_DECLINED;
        for (int i = 0; i < tmp.nvideo; i++)
            if (strcasecmp(tmp.video[i].res, v->res) == 0 && tmp.video[i].seconds == v->seconds) {
                snprintf(err, errlen, "%s%s%.0lld%s is priced twice; keep one entry.", v->res, v->seconds ? "/" : "",
                         (long long)v->seconds, v->seconds ? "s" : "");
                return MG_DECLINED;
            }
        tmp.nvideo++;
        s += strcspn(s, ",");
    }
    memcpy(p->video, tmp.video, sizeof(p->video));
    p->nvideo = tmp.nvideo;
    return MG_OK;
}

void mg_video_prices_format(const struct mg_price *p, int64_t ratio_ppm, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->nvideo && used < cap; i++) {
        const struct mg_video_price *v = &p->video[i];
        char money[32], secs[16] = "";
        mg_money_format(mg_price_apply_ratio(v->micros, ratio_ppm), money, sizeof(money));
        if (v->seconds)
            snprintf(secs, sizeof(secs), "/%llds", (long long)v->seconds);
        int n = snprintf(buf + used, cap - used, "%s%s%s=%s%s", i ? ", " : "", v->res, secs, money,
                         v->per_second ? "/s" : "");
        used += n > 0 ? (size_t)n : 0;
    }
}

int64_t mg_price_apply_ratio(int64_t official, int64_t ratio_ppm)
{
    __int128 v = (__int128)official * ratio_ppm + MG_RATIO_ONE / 2;
    return (int64_t)(v / MG_RATIO_ONE);
}

