/* The sample invoice the invoice tests share (tests/unit/test_invoice_*.c). */
#ifndef MG_TEST_FIXTURE_INVOICE_H
#define MG_TEST_FIXTURE_INVOICE_H

#include "billing/invoice_pdf.h"
#include "billing/spendword.h"
#include "core/mg.h"

static int64_t day(int64_t y, int m, int d)
{
    return mg_days_from_civil(y, m, d) * 86400000;
}

static struct mg_invoice sample(const struct mg_invoice_line *lines, size_t n)
{
    struct mg_invoice inv = {
        .number = "MG-2026-12-000042",
        .issued_ms = day(2027, 1, 1) + 3600000,
        .period_start_ms = day(2026, 12, 1),
        .period_end_ms = day(2027, 1, 1),
        .due_ms = day(2027, 1, 15),
        .status = MG_INVOICE_OPEN,
        .issuer = {.name = "Example Gateway Ltd",
                   .address = {"12 Harbour Street", "Dublin D02 XY45", "Ireland"},
                   .email = "billing@gateway.example",
                   .tax_id = "IE1234567X"},
        .customer = {.name = "Ada Lovelace",
                     .company = "Analytical Engines plc",
                     .email = "ada@engines.example",
                     .address = {"1 Difference Row", "London"}},
        .currency = "USD",
        .lines = lines,
        .n_lines = n,
    };
    for (size_t i = 0; i < n; i++)
        inv.subtotal_micros += lines[i].amount_micros;
    inv.total_due_micros = inv.subtotal_micros;
    return inv;
}

static const struct mg_invoice_line sample_lines[] = {
    {"Chat completions", "MiniMax-M2.7", "1,234,567 input tokens", 370370100},      /* 370.3701 -> 370.37 */
    {"Chat completions", "MiniMax-M2.7", "98,765 output tokens", 118518000},        /* 118.518 -> 118.52 */
    {"Speech", "speech-2.6-hd", "12,345 characters", 1234500},                      /* 1.2345 -> 1.23 */
    {"Image generation", "image-01", "3 images", 10500},                            /* 0.0105 -> 0.01 */
    {"Video", "MiniMax-Hailuo-02", "1 video", 5000},                                /* 0.005 -> 0.01 */
    {"Music", "music-1.5", "2 tracks", 4999},                                       /* 0.004999 -> 0.00 */
    {"Large spend", "MiniMax-M2.7-highspeed", "9,999,999 tokens", 1234567895000}, /* 1,234,567.895 -> .90 */
};

#endif
