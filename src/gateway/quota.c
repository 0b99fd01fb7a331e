/*
 * quota.c: the quota paths mmx asks (GW-1), answered by maxgate itself from
 * the account's cap and its month-to-date spend, in MiniMax's shapes, plus
 * a "maxgate" object that says plainly whether there is a cap, what is left
 * and whether it is reached.
 */
#include "gateway/relay.h"
#include "core/buf.h"
#include "core/clock.h"
#include "net/http.h"

#include <time.h>

static int64_t month_bounds(int64_t now_ms, int64_t *end_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    int64_t start = (int64_t)timegm(&tm) * 1000;
    tm.tm_mon += 1;
    *end_ms = (int64_t)timegm(&tm) * 1000;
    return start;
}

/* The "maxgate" object both answers carry: whether there is a cap, what is
 * left and whether it is reached, in plain fields and one plain sentence.
 * Without a cap there is no "remaining" (null), never a misleading "0.00". */
static void budget_object(struct mg_buf *b, int64_t cap, int64_t spent, int64_t end_ms)
{
    char caps[32], spents[32], lefts[32], resets[32];
    int64_t left = cap > spent ? cap - spent : 0;
    int reached = cap > 0 && spent >= cap;
    time_t e = (time_t)(end_ms / 1000);
    struct tm tm;
    gmtime_r(&e, &tm);
    strftime(resets, sizeof(resets), "%Y-%m-%dT%H:%M:%SZ", &tm);
    mg_money_format(cap, caps, sizeof(caps));
    mg_money_format(spent, spents, sizeof(spents));
    mg_money_format(left, lefts, sizeof(lefts));
    if (cap <= 0) {
        mg_buf_appendf(b,
                       "\"maxgate\":{\"has_cap\":false,\"cap\":null,\"spent\":\"%s\",\"remaining\":null,"
                       "\"cap_reached\":false,\"period_end\":\"%s\","
                       "\"summary\":\"No spending cap: usage is not limited. Spent %s this period.\"}",
                       spents, resets, spents);
        return;
    }
    mg_buf_appendf(b,
                   "\"maxgate\":{\"has_cap\":true,\"cap\":\"%s\",\"spent\":\"%s\",\"remaining\":\"%s\","
                   "\"cap_reached\":%s,\"period_end\":\"%s\",",
                   caps, spents, lefts, reached ? "true" : "false", resets);
    if (reached)
        mg_buf_appendf(b, "\"summary\":\"Spending cap %s reached (%s spent): requests are refused until the period "
                          "resets at %s or the operator raises the cap.\"}",
                       caps, spents, resets);
    else
        mg_buf_appendf(b, "\"summary\":\"Spending cap %s this period: %s spent, %s left.\"}", caps, spents, lefts);
}

void rl_answer_quota(struct relay *rl)
{
    struct mg_buf b;
    int64_t cap = rl->in.key.account_cap_micros, spent = mg_meter_spend(rl->gw->meter, rl->in.key.account_id);
    int64_t left = cap > spent ? cap - spent : 0, now = mg_now_ms(), end, start = month_bounds(now, &end);
    char lefts[32];
    mg_money_format(left, lefts, sizeof(lefts));
    mg_buf_init(&b, 8192);
    if (rl->route->local == MG_LOCAL_TOKEN_PLAN) {
        /* One "model" for the account's monthly budget, counted in cents.
         * As MiniMax does, current_interval_usage_count holds what is LEFT.
         * Without a cap: total 0 and 100 % left, so mmx shows a full bar and
         * no "0 / 0" (status 3 there is MiniMax's "no limit"). */
        int64_t total_c = cap > 0 ? cap / 10000 : 0, left_c = cap > 0 ? left / 10000 : 0;
        mg_buf_appendf(&b,
                       "{\"model_remains\":[{\"model_name\":\"maxgate-budget\",\"start_time\":%lld,\"end_time\":%lld,"
                       "\"remains_time\":%lld,\"current_interval_total_count\":%lld,"
                       "\"current_interval_usage_count\":%lld,\"current_interval_remaining_percent\":%lld,"
                       "\"current_interval_status\":%d}],",
                       (long long)start, (long long)end, (long long)(end - now), (long long)total_c,
                       (long long)left_c, (long long)(cap > 0 ? left * 100 / cap : 100), cap > 0 ? 1 : 3);
    } else {
        /* mmx prints these strings as they are: "unlimited" says what an
         * uncapped account has, where "0.00" would say it has nothing. */
        const char *avail = cap > 0 ? lefts : "unlimited";
        mg_buf_appendf(&b,
                       "{\"available_amount\":\"%s\",\"cash_balance\":\"%s\",\"voucher_balance\":\"0.00\","
                       "\"credit_balance\":\"0.00\",\"owed_amount\":\"0.00\",\"balance_alert_switch\":false,"
                       "\"balance_alert_threshold\":\"0.00\",",
                       avail, avail);
    }
    budget_object(&b, cap, spent, end);
    mg_buf_appendf(&b, ",\"base_resp\":{\"status_code\":0,\"status_msg\":\"success\"}}");
    rl_finish(rl, 200);
    rl->phase = RL_DONE;
    mg_http_respond(rl->req, 200, "application/json", b.data, b.len);
    mg_buf_free(&b);
}
