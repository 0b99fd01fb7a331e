/*
 * fuzz_invoice.c: invoice text on arbitrary bytes (billing/invoice_fmt.c,
 * billing/invoice_pdf.c).  The input is cut at '\n' into the customer's
 * name, company and address, the issuer's name and tax id, then triples of
 * service, model and quantity for line items.
 *
 * Checked for every input:
 *   - mg_invoice_winansi of each field is no longer than the field and holds
 *     only bytes WinAnsi defines (printable ASCII, 0xA0..0xFF, the
 *     Windows-1252 punctuation), never a control character;
 *   - rendering gives MG_OK with a whole PDF ("%PDF-" .. "%%EOF") or
 *     MG_DECLINED for a field over MG_INVOICE_TEXT_MAX or an empty service;
 *     never MG_ERR (the text alone must not make libharu fail).
 */
#include "billing/invoice_pdf.h"
#include "core/mg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS 5
#define LINES_MAX 60

static int winansi_byte_ok(unsigned char c)
{
    if (c >= 0x20 && c <= 0x7E)
        return 1;
    if (c >= 0xA0)
        return 1;
    return c >= 0x80 && c != 0x81 && c != 0x8D && c != 0x8F && c != 0x90 && c != 0x9D;
}

static void check_winansi(const char *s)
{
    size_t n = strlen(s);
    char *out = mg_malloc(n + 1);
    size_t m = mg_invoice_winansi(s, out, n + 1);
    if (m > n || strlen(out) != m)
        abort();
    for (size_t i = 0; i < m; i++)
        if (!winansi_byte_ok((unsigned char)out[i]))
            abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = mg_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0'; /* a NUL inside ends that field early, as a C string would */
    const char *field[FIELDS + 3 * LINES_MAX] = {0};
    size_t nf = 0;
    for (char *p = text; nf < MG_ARRAY_SIZE(field);) {
        field[nf++] = p;
        char *nl = memchr(p, '\n', size - (size_t)(p - text));
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    int empty_service = 0, too_long = 0;
    for (size_t i = 0; i < nf; i++) {
        check_winansi(field[i]);
        too_long |= strlen(field[i]) > MG_INVOICE_TEXT_MAX;
    }
    struct mg_invoice_line lines[LINES_MAX];
    size_t nl = nf > FIELDS ? (nf - FIELDS + 2) / 3 : 0;
    int64_t sum = 0;
    for (size_t i = 0; i < nl; i++) {
        lines[i].service = field[FIELDS + 3 * i];
        lines[i].model = field[FIELDS + 3 * i + 1];
        lines[i].quantity = field[FIELDS + 3 * i + 2];
        lines[i].amount_micros = (int64_t)strlen(lines[i].service) * 1234567;
        empty_service |= lines[i].service[0] == '\0';
        sum += lines[i].amount_micros;
    }
    struct mg_invoice inv = {
        .number = "MG-2026-12-000001",
        .issued_ms = INT64_C(1798761600000),
        .period_start_ms = INT64_C(1796083200000),
        .period_end_ms = INT64_C(1798761600000),
        .customer = {.name = field[0], .company = field[1], .email = "fuzz@example.test", .address = {field[2]}},
        .issuer = {.name = field[3] && field[3][0] ? field[3] : "Issuer", .tax_id = field[4]},
        .currency = "USD",
        .lines = lines,
        .n_lines = nl,
        .subtotal_micros = sum,
        .credits_micros = sum / 3,
        .total_due_micros = sum - sum / 3,
    };
    uint8_t *pdf = NULL;
    size_t len = 0;
    char err[256];
    int rc = mg_invoice_pdf(&inv, 0, &pdf, &len, err, sizeof(err));
    if (rc == MG_DECLINED) {
        if (!too_long && !empty_service)
            abort();
    } else if (rc != MG_OK || too_long || empty_service || len < 16 || memcmp(pdf, "%PDF-", 5) != 0 ||
               memmem(pdf + len - 8, 8, "%%EOF", 5) == NULL) {
        abort();
    }
    free(pdf);
    free(text);
    return 0;
}
