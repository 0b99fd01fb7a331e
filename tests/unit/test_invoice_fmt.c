/* Unit tests: what an invoice prints apart from drawing it
 * (billing/invoice_fmt.c): the cents rule, money text, UTF-8 -> WinAnsi,
 * and the input check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fixture_invoice.h"

static void cents_round_half_away_from_zero(void **state)
{
    assert_int_equal(mg_invoice_round_cents(0), 0);
    assert_int_equal(mg_invoice_round_cents(4999), 0);
    assert_int_equal(mg_invoice_round_cents(5000), 1);
    assert_int_equal(mg_invoice_round_cents(14999), 1);
    assert_int_equal(mg_invoice_round_cents(15000), 2);
    assert_int_equal(mg_invoice_round_cents(1000000), 100);
    assert_int_equal(mg_invoice_round_cents(-4999), 0);
    assert_int_equal(mg_invoice_round_cents(-5000), -1);
    assert_int_equal(mg_invoice_round_cents(-15000), -2);
    assert_int_equal(mg_invoice_round_cents(INT64_MAX), INT64_MAX / 10000 + 1); /* ...5807 rounds up */
    assert_int_equal(mg_invoice_round_cents(INT64_MIN), INT64_MIN / 10000 - 1);
    char b[32];
    assert_int_equal(mg_invoice_money(0, b, sizeof(b)), 4);
    assert_string_equal(b, "0.00");
    mg_invoice_money(5, b, sizeof(b));
    assert_string_equal(b, "0.05");
    mg_invoice_money(-5, b, sizeof(b));
    assert_string_equal(b, "-0.05");
    mg_invoice_money(99999, b, sizeof(b));
    assert_string_equal(b, "999.99");
    mg_invoice_money(123456, b, sizeof(b));
    assert_string_equal(b, "1,234.56");
    mg_invoice_money(100000000, b, sizeof(b));
    assert_string_equal(b, "1,000,000.00");
    mg_invoice_money(INT64_MIN, b, sizeof(b));
    assert_string_equal(b, "-92,233,720,368,547,758.08");
    mg_invoice_money(123456, b, 5); /* truncated, terminated */
    assert_string_equal(b, "1,23");
}

/* The printed subtotal is the sum of the printed lines, even where that is
 * not the rounded sum of the micros; credits never exceed it. */
static void printed_amounts_add_up(void **state)
{
    struct mg_invoice_line three[] = {{"a", 0, 0, 5000}, {"b", 0, 0, 5000}, {"c", 0, 0, 5000}};
    struct mg_invoice inv = sample(three, 3); /* 0.015 in micros; printed 0.01 x 3 */
    struct mg_invoice_cents c;
    mg_invoice_cents_of(&inv, &c);
    assert_int_equal(c.subtotal, 3);
    assert_int_equal(c.credits, 0);
    assert_int_equal(c.total_due, 3);
    /* credits covering the whole subtotal leave nothing due */
    inv.credits_micros = inv.subtotal_micros;
    inv.total_due_micros = 0;
    mg_invoice_cents_of(&inv, &c);
    assert_int_equal(c.credits, 3);
    assert_int_equal(c.total_due, 0);
    /* partial credits round on their own */
    inv.credits_micros = 10000;
    inv.total_due_micros = inv.subtotal_micros - 10000;
    mg_invoice_cents_of(&inv, &c);
    assert_int_equal(c.credits, 1);
    assert_int_equal(c.total_due, 2);
    /* lines that each round down: credits rounding above the subtotal are capped */
    struct mg_invoice_line low[] = {{"a", 0, 0, 4000}, {"b", 0, 0, 4000}, {"c", 0, 0, 4000}};
    inv = sample(low, 3); /* 0.012; printed 0.00 x 3 */
    inv.credits_micros = 11000;
    inv.total_due_micros = 1000;
    mg_invoice_cents_of(&inv, &c);
    assert_int_equal(c.subtotal, 0);
    assert_int_equal(c.credits, 0);
    assert_int_equal(c.total_due, 0);
}

static void winansi_keeps_latin1_and_marks_the_rest(void **state)
{
    char out[64];
    assert_int_equal(mg_invoice_winansi("plain ASCII", out, sizeof(out)), 11);
    assert_string_equal(out, "plain ASCII");
    mg_invoice_winansi("Caf\xC3\xA9 M\xC3\xBCnchen", out, sizeof(out)); /* é ü: Latin-1 bytes */
    assert_string_equal(out, "Caf\xE9 M\xFCnchen");
    mg_invoice_winansi("\xE2\x82\xAC" "5 \xE2\x80\x94 \xE2\x80\x9Cq\xE2\x80\x9D", out, sizeof(out)); /* € — “ ” */
    assert_string_equal(out, "\x80" "5 \x97 \x93q\x94");
    mg_invoice_winansi("\xE6\xA0\xAA\xE5\xBC\x8F", out, sizeof(out)); /* two CJK characters: one '?' each */
    assert_string_equal(out, "??");
    mg_invoice_winansi("\xF0\x9F\x98\x80!", out, sizeof(out)); /* an emoji */
    assert_string_equal(out, "?!");
    mg_invoice_winansi("a\tb\x7F" "c\xC2\x85", out, sizeof(out)); /* controls, C1 */
    assert_string_equal(out, "a?b?c?");
    /* invalid UTF-8: a lone continuation, an overlong, a surrogate, a cut sequence: one '?' a byte */
    mg_invoice_winansi("\x80" "x\xC0\xAF" "y\xED\xA0\x80" "z\xE2\x82", out, sizeof(out));
    assert_string_equal(out, "?x??y???z??");
    assert_int_equal(mg_invoice_winansi("abcdef", out, 4), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(mg_invoice_winansi(NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

/* Text beyond WinAnsi and invalid bytes still make a valid PDF. */
static void bad_input_is_declined(void **state)
{
    struct mg_invoice inv;
    uint8_t *pdf;
    size_t len;
    char err[256], err2[256];
    char big[MG_INVOICE_TEXT_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
#define DECLINED(edit, needle)                                                                                         \
    do {                                                                                                               \
        inv = sample(sample_lines, MG_ARRAY_SIZE(sample_lines));                                                       \
        edit;                                                                                                          \
        err[0] = '\0';                                                                                                 \
        assert_int_equal(mg_invoice_check(&inv, err, sizeof(err)), MG_DECLINED);                                      \
        assert_int_equal(mg_invoice_pdf(&inv, 0, &pdf, &len, err2, sizeof(err2)), MG_DECLINED);                       \
        assert_null(pdf);                                                                                              \
        assert_string_equal(err, err2);                                                                                \
        if (!strstr(err, needle))                                                                                      \
            fail_msg("%s: %s", #edit, err);                                                                            \
    } while (0)
    DECLINED(inv.number = "", "invoice number");
    DECLINED(inv.number = "MG 1", "without spaces");
    DECLINED(inv.currency = "usd", "three-letter");
    DECLINED(inv.currency = "US", "three-letter");
    DECLINED(inv.status = (enum mg_invoice_status)7, "open, paid or void");
    DECLINED(inv.period_end_ms = inv.period_start_ms, "start must come before");
    DECLINED(inv.issued_ms = -1, "dates");
    DECLINED(inv.issuer.name = NULL, "operator's name");
    DECLINED(inv.customer.email = "", "account's email");
    DECLINED(inv.customer.address[1] = big, "address line 2");
    DECLINED(inv.issuer.tax_id = big, "longer than 512");
    DECLINED(inv.subtotal_micros += 1, "add up to");
    DECLINED((inv.credits_micros = inv.subtotal_micros + 1, inv.total_due_micros = -1), "credits");
    DECLINED(inv.total_due_micros -= 1, "total due");
    DECLINED((inv.lines = NULL), "none given");
    struct mg_invoice_line neg[] = {{"Refund", NULL, NULL, -1}};
    DECLINED((inv.lines = neg, inv.n_lines = 1, inv.subtotal_micros = -1, inv.total_due_micros = -1), "are credits");
    struct mg_invoice_line noname[] = {{"", NULL, NULL, 1}};
    DECLINED((inv.lines = noname, inv.n_lines = 1, inv.subtotal_micros = 1, inv.total_due_micros = 1), "service");
#undef DECLINED
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cents_round_half_away_from_zero),
        cmocka_unit_test(printed_amounts_add_up),
        cmocka_unit_test(winansi_keeps_latin1_and_marks_the_rest),
        cmocka_unit_test(bad_input_is_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
