/*
 * invoice_pdf.h: an invoice rendered as PDF bytes in memory (libharu).
 *
 * Plain data in, bytes out: no store, no clock, no file.  Rendering is pure
 * CPU work and may take tens of milliseconds for a long invoice, so it runs
 * on a worker thread, never on an event loop.  Renders on different threads
 * share nothing.
 *
 * Text.  Every string is UTF-8.  The PDF uses the base-14 fonts Helvetica
 * and Helvetica-Bold with WinAnsiEncoding (Windows-1252), which cannot show
 * most of Unicode; each character is converted by mg_invoice_winansi()
 * (below): Latin-1 and the Windows-1252 punctuation (euro sign, dashes,
 * curly quotes, ...) are kept, every other character, control character
 * and invalid UTF-8 byte becomes '?'.  The PDF stays valid whatever the
 * input.  A string too wide for its place is cut and ends with "...".
 *
 * Money.  Amounts are integer micro-units (1 unit = 1,000,000 micros) and
 * are printed in cents with two decimals (whatever the currency), each
 * rounded once by mg_invoice_round_cents(): half away from zero
 * (0.005 -> 0.01, 0.0049999 -> 0.00).  The printed amounts add up by
 * construction (mg_invoice_cents_of):
 *     printed subtotal = the sum of the printed (rounded) line amounts
 *     printed credits  = the rounded credits, at most the printed subtotal;
 *                        credits covering the whole subtotal (credits ==
 *                        subtotal in micros) print as the printed subtotal
 *     printed total    = printed subtotal - printed credits  (>= 0)
 * so the printed total can differ from the micro total by up to half a cent
 * per line.  The printed total is the amount due: whatever charges or
 * marks the invoice paid must use mg_invoice_cents_of(), not its own
 * rounding.  Discounts and refunds are credits, not negative lines.
 *
 * Layout.  A4 portrait.  Every page has the header (issuer, "INVOICE", the
 * number, "Page i of n"); the first page has the issuer's address and tax
 * id, the invoice's dates and status and the customer ("Bill to"); the
 * line items follow in a table (Service, Model, Quantity, Amount) whose
 * column header is repeated on every page the table continues on; the
 * totals close the last page.
 */
#ifndef MG_BILLING_INVOICE_PDF_H
#define MG_BILLING_INVOICE_PDF_H

#include <stddef.h>
#include <stdint.h>

#define MG_INVOICE_LINES_MAX 10000                         /* line items an invoice may hold */
#define MG_INVOICE_AMOUNT_MAX INT64_C(100000000000000)     /* micros: 1e8 units a line, and a subtotal */
#define MG_INVOICE_TEXT_MAX 512                            /* bytes of one text field */
#define MG_INVOICE_NUMBER_MAX 64                           /* bytes of the invoice number */
#define MG_INVOICE_ADDRESS_LINES 6                         /* address lines of a party */
#define MG_INVOICE_PDF_MEM_MAX ((size_t)256 * 1024 * 1024) /* libharu's live memory for one render */

enum mg_invoice_status {
    MG_INVOICE_OPEN = 0,
    MG_INVOICE_PAID,
    MG_INVOICE_VOID,
};

/* The issuer (the operator, from config) or the customer.  NULL or "" is
 * absent.  address[] is read up to its first NULL or "". */
struct mg_invoice_party {
    const char *name;    /* issuer: required (the operator's name); customer: optional */
    const char *company; /* optional */
    const char *email;   /* customer: required (the account's email); issuer: optional */
    const char *address[MG_INVOICE_ADDRESS_LINES];
    const char *tax_id; /* optional, printed as "Tax ID: ..." */
};

struct mg_invoice_line {
    const char *service;   /* required, e.g. "Chat completions" */
    const char *model;     /* optional, e.g. "MiniMax-M2.7" */
    const char *quantity;  /* optional, e.g. "1,234,567 input tokens" */
    int64_t amount_micros; /* 0 .. MG_INVOICE_AMOUNT_MAX */
};

struct mg_invoice {
    const char *number;      /* required, printable ASCII, e.g. "MG-2026-12-000042" */
    int64_t issued_ms;       /* Unix ms; printed as the UTC date */
    int64_t period_start_ms; /* the billed period [start, end) (billing/period.h) */
    int64_t period_end_ms;   /* exclusive: printed as the date of end - 1 ms */
    int64_t due_ms;          /* 0 = due on receipt */
    enum mg_invoice_status status;
    struct mg_invoice_party issuer;
    struct mg_invoice_party customer;
    const char *currency; /* three ASCII capitals, e.g. "USD" */
    const struct mg_invoice_line *lines;
    size_t n_lines; /* 0 .. MG_INVOICE_LINES_MAX */
    /* Checked against the lines, in micros: subtotal = the sum of the line
     * amounts; 0 <= credits <= subtotal; total_due = subtotal - credits. */
    int64_t subtotal_micros;
    int64_t credits_micros; /* credits and payments applied */
    int64_t total_due_micros;
};

/* What the invoice prints, in cents (see the rule above). */
struct mg_invoice_cents {
    int64_t subtotal;
    int64_t credits;
    int64_t total_due;
};

/* micros -> cents, half away from zero. */
int64_t mg_invoice_round_cents(int64_t micros);

/* The printed amounts of an invoice that mg_invoice_check() accepts. */
void mg_invoice_cents_of(const struct mg_invoice *inv, struct mg_invoice_cents *out);

/* Cents as text with thousands separators: 123456 -> "1,234.56",
 * -5 -> "-0.05".  Returns the length written (cap >= 32 always suffices). */
size_t mg_invoice_money(int64_t cents, char *buf, size_t cap);

/* UTF-8 -> WinAnsi (Windows-1252) bytes, NUL-terminated, as described
 * above: out gets at most strlen(in) + 1 bytes; truncated to cap - 1.
 * Returns the length written. */
size_t mg_invoice_winansi(const char *in, char *out, size_t cap);

/* MG_OK if inv can be rendered, else MG_DECLINED with err saying which
 * field is wrong and what is allowed. */
int mg_invoice_check(const struct mg_invoice *inv, char *err, size_t errcap);

/*
 * Renders inv as a PDF.  mem_max bounds libharu's live memory (0 =
 * MG_INVOICE_PDF_MEM_MAX).
 *   MG_OK        *pdf (free() it) holds *pdf_len bytes of PDF
 *   MG_DECLINED  inv is not renderable (mg_invoice_check); err says why
 *   MG_ERR       libharu failed (out of its memory ceiling, or any other
 *                error); err holds the libharu error code, also logged.
 * Never aborts on a libharu error; *pdf is NULL unless MG_OK.
 */
int mg_invoice_pdf(const struct mg_invoice *inv, size_t mem_max, uint8_t **pdf, size_t *pdf_len, char *err,
                   size_t errcap);

#endif
