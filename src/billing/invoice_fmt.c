/*
 * invoice_fmt.c: what an invoice prints, apart from drawing it: the cents
 * rule, money text, UTF-8 -> WinAnsi, and the input check.  See
 * invoice_pdf.h for the rules.
 */
#include "billing/invoice_pdf.h"
#include "billing/period.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

int64_t mg_invoice_round_cents(int64_t micros)
{
    int64_t q = micros / 10000, r = micros % 10000; /* r has the sign of micros */
    if (r >= 5000)
        q++;
    else if (r <= -5000)
        q--;
    return q;
}

void mg_invoice_cents_of(const struct mg_invoice *inv, struct mg_invoice_cents *out)
{
    int64_t sub = 0;
    for (size_t i = 0; i < inv->n_lines; i++)
        sub += mg_invoice_round_cents(inv->lines[i].amount_micros);
    int64_t cr = mg_invoice_round_cents(inv->credits_micros);
    if (cr > sub || (inv->credits_micros > 0 && inv->credits_micros == inv->subtotal_micros))
        cr = sub;
    if (cr < 0)
        cr = 0;
    out->subtotal = sub;
    out->credits = cr;
    out->total_due = sub - cr;
}

size_t mg_invoice_money(int64_t cents, char *buf, size_t cap)
{
    uint64_t mag = cents < 0 ? (uint64_t)(-(cents + 1)) + 1 : (uint64_t)cents;
    char rev[40];
    size_t n = 0;
    uint64_t whole = mag / 100, frac = mag % 100;
    rev[n++] = (char)('0' + frac % 10);
    rev[n++] = (char)('0' + frac / 10);
    rev[n++] = '.';
    int digits = 0;
    do {
        if (digits > 0 && digits % 3 == 0)
            rev[n++] = ',';
        rev[n++] = (char)('0' + whole % 10);
        whole /= 10;
        digits++;
    } while (whole > 0);
    if (cents < 0)
        rev[n++] = '-';
    size_t len = 0;
    while (n > 0 && len + 1 < cap)
        buf[len++] = rev[--n];
    if (cap > 0)
        buf[len] = '\0';
    return len;
}

/* Windows-1252 0x80..0x9F: the Unicode character of each byte (0 = none). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* One UTF-8 character at s (n bytes left): its code point and length, or
 * -1 for an invalid sequence (overlong, surrogate, beyond U+10FFFF, cut). */
static int32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    int32_t cp, min;
    size_t need;
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        need = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4, cp = c & 0x07, min = 0x10000;
    else
        return -1;
    if (n < need)
        return -1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = need;
    return cp;
}

static char winansi_of(int32_t cp)
{
    if (cp >= 0x20 && cp <= 0x7E)
        return (char)cp;
    if (cp >= 0xA0 && cp <= 0xFF)
        return (char)cp;
    for (int i = 0; i < 32; i++)
        if (cp > 0 && cp1252_hi[i] == cp)
            return (char)(0x80 + i);
    return '?'; /* controls, C1, and everything WinAnsi does not have */
}

size_t mg_invoice_winansi(const char *in, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = in ? strlen(in) : 0, i = 0, o = 0;
    if (cap == 0)
        return 0;
    while (i < n && o + 1 < cap) {
        size_t len = 1;
        int32_t cp = utf8_next(s + i, n - i, &len);
        out[o++] = cp < 0 ? '?' : winansi_of(cp);
        i += cp < 0 ? 1 : len;
    }
    out[o] = '\0';
    return o;
}

/* --- the input check --- */

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        snprintf(err, errcap, __VA_ARGS__);                                                                            \
        return MG_DECLINED;                                                                                            \
    } while (0)

static int present(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static int text_ok(const char *s)
{
    return s == NULL || strnlen(s, MG_INVOICE_TEXT_MAX + 1) <= MG_INVOICE_TEXT_MAX;
}

static int party_ok(const struct mg_invoice_party *p, const char *who, char *err, size_t errcap)
{
    if (!text_ok(p->name) || !text_ok(p->company) || !text_ok(p->email) || !text_ok(p->tax_id))
        FAIL("invoice %s: a name, company, email or tax id is longer than %d bytes; shorten it", who,
             MG_INVOICE_TEXT_MAX);
    for (int i = 0; i < MG_INVOICE_ADDRESS_LINES; i++)
        if (!text_ok(p->address[i]))
            FAIL("invoice %s: address line %d is longer than %d bytes; shorten it", who, i + 1, MG_INVOICE_TEXT_MAX);
    return MG_OK;
}

static int time_ok(int64_t ms)
{
    return ms >= 0 && ms <= MG_PERIOD_MS_MAX;
}

int mg_invoice_check(const struct mg_invoice *inv, char *err, size_t errcap)
{
    size_t nlen = inv->number ? strnlen(inv->number, MG_INVOICE_NUMBER_MAX + 1) : 0;
    if (nlen == 0 || nlen > MG_INVOICE_NUMBER_MAX)
        FAIL("invoice number: give 1 to %d printable ASCII characters", MG_INVOICE_NUMBER_MAX);
    for (size_t i = 0; i < nlen; i++)
        if (inv->number[i] <= 0x20 || inv->number[i] >= 0x7F)
            FAIL("invoice number: only printable ASCII without spaces (character %zu is not)", i + 1);
    if (!inv->currency || strlen(inv->currency) != 3)
        FAIL("invoice currency: give a three-letter code such as USD");
    for (int i = 0; i < 3; i++)
        if (inv->currency[i] < 'A' || inv->currency[i] > 'Z')
            FAIL("invoice currency: give a three-letter code in capitals such as USD");
    if (inv->status != MG_INVOICE_OPEN && inv->status != MG_INVOICE_PAID && inv->status != MG_INVOICE_VOID)
        FAIL("invoice status: open, paid or void");
    if (!time_ok(inv->issued_ms) || !time_ok(inv->period_start_ms) || !time_ok(inv->period_end_ms) ||
        (inv->due_ms != 0 && !time_ok(inv->due_ms)))
        FAIL("invoice dates: give Unix milliseconds between 1970 and 9999");
    if (inv->period_start_ms >= inv->period_end_ms)
        FAIL("invoice period: the start must come before the end");
    if (!present(inv->issuer.name))
        FAIL("invoice issuer: the operator's name is required");
    if (!present(inv->customer.email))
        FAIL("invoice customer: the account's email is required");
    if (party_ok(&inv->issuer, "issuer", err, errcap) != MG_OK ||
        party_ok(&inv->customer, "customer", err, errcap) != MG_OK)
        return MG_DECLINED;
    if (inv->n_lines > MG_INVOICE_LINES_MAX)
        FAIL("invoice has %zu line items; at most %d fit one invoice: group them by service and model", inv->n_lines,
             MG_INVOICE_LINES_MAX);
    if (inv->n_lines > 0 && inv->lines == NULL)
        FAIL("invoice line items: %zu announced, none given", inv->n_lines);
    int64_t sum = 0; /* at most 1e4 x 1e14 = 1e18: no overflow */
    for (size_t i = 0; i < inv->n_lines; i++) {
        const struct mg_invoice_line *l = &inv->lines[i];
        if (!present(l->service))
            FAIL("invoice line %zu: the service is required", i + 1);
        if (!text_ok(l->service) || !text_ok(l->model) || !text_ok(l->quantity))
            FAIL("invoice line %zu: a text is longer than %d bytes; shorten it", i + 1, MG_INVOICE_TEXT_MAX);
        if (l->amount_micros < 0 || l->amount_micros > MG_INVOICE_AMOUNT_MAX)
            FAIL("invoice line %zu: the amount must be 0 to %lld micros (discounts and refunds are credits)", i + 1,
                 (long long)MG_INVOICE_AMOUNT_MAX);
        sum += l->amount_micros;
    }
    if (sum > MG_INVOICE_AMOUNT_MAX)
        FAIL("invoice subtotal: above %lld micros; split the invoice", (long long)MG_INVOICE_AMOUNT_MAX);
    if (inv->subtotal_micros != sum)
        FAIL("invoice subtotal: %lld micros, but the line items add up to %lld", (long long)inv->subtotal_micros,
             (long long)sum);
    if (inv->credits_micros < 0 || inv->credits_micros > inv->subtotal_micros)
        FAIL("invoice credits: must be 0 to the subtotal (%lld micros)", (long long)inv->subtotal_micros);
    if (inv->total_due_micros != inv->subtotal_micros - inv->credits_micros)
        FAIL("invoice total due: must be the subtotal minus the credits (%lld micros)",
             (long long)(inv->subtotal_micros - inv->credits_micros));
    return MG_OK;
}
