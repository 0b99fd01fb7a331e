/*
 * invoice_pdf.c: draws an invoice with libharu into a memory stream.
 *
 * One layout routine runs twice: first without drawing, to count the pages
 * (every row is one line high, so the page breaks depend only on the number
 * of lines and of first-page text lines), then drawing, with "Page i of n".
 *
 * libharu errors: the error handler records the first error and nothing
 * else (no longjmp); after an error libharu refuses every further call on
 * the document, so the routine just runs on and the result is checked at
 * the end.  libharu allocates through alloc_fn/free_fn, which count the
 * live bytes of the render in progress (a thread-local pointer: the
 * allocator has no user data) and fail past the ceiling.
 */
#include "billing/invoice_pdf.h"
#include "billing/period.h"
#include "core/log.h"
#include "core/mg.h"

#include <hpdf.h>
#include <stdio.h>
#include <string.h>

/* A4 portrait, in points. */
#define PAGE_W 595.276f
#define PAGE_H 841.89f
#define MARGIN 50.0f
#define RIGHT (PAGE_W - MARGIN)
#define BOTTOM 56.0f
#define HEADER_H 58.0f
#define LEAD 12.0f  /* small text lines */
#define ROW_H 14.0f /* table rows */
#define TOTALS_H (12.0f + 3 * 16.0f + 2 * LEAD)
#define TEXT_BUF (MG_INVOICE_TEXT_MAX + 64)

/* Table columns: x and width; Amount is right-aligned at RIGHT. */
#define COL_SERVICE MARGIN
#define COL_MODEL (MARGIN + 140.0f)
#define COL_QTY (MARGIN + 270.0f)
#define COL_AMOUNT_W 95.0f
#define COL_GAP 8.0f

struct mem {
    size_t live, max;
};
static _Thread_local struct mem *tl_mem;

struct render {
    const struct mg_invoice *inv;
    HPDF_Doc pdf;
    HPDF_Page page;
    HPDF_Font font, bold;
    int draw;        /* 0: count pages only */
    int pages;       /* pages so far */
    int pages_total; /* known in the drawing pass */
    float y;         /* the next baseline */
    HPDF_STATUS error_no, detail_no;
};

static void *HPDF_STDCALL mem_alloc(HPDF_UINT size)
{
    struct mem *m = tl_mem;
    if (m == NULL || (size_t)size + 16 > m->max - m->live) /* live <= max always */
        return NULL;
    size_t *p = malloc((size_t)size + 16);
    if (p == NULL)
        return NULL;
    p[0] = size;
    m->live += size + 16;
    return (char *)p + 16;
}

static void HPDF_STDCALL mem_free(void *ptr)
{
    if (ptr == NULL)
        return;
    size_t *p = (size_t *)((char *)ptr - 16);
    if (tl_mem)
        tl_mem->live -= p[0] + 16;
    free(p);
}

static void HPDF_STDCALL on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
    struct render *r = user;
    if (r->error_no == 0) {
        r->error_no = error_no;
        r->detail_no = detail_no;
    }
}

static float width_of(HPDF_Font f, float size, const char *s, size_t n)
{
    HPDF_TextWidth w = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)n);
    return (float)w.width * size / 1000.0f;
}

/* Draws UTF-8 text at (x, y): align 0 left, 1 right (x is the right edge);
 * cut to max_w points with "..." (max_w <= 0: no limit). */
static void text(struct render *r, HPDF_Font f, float size, float x, float y, int align, float max_w, const char *s)
{
    if (!r->draw || s == NULL || s[0] == '\0')
        return;
    char buf[TEXT_BUF];
    size_t n = mg_invoice_winansi(s, buf, sizeof(buf));
    if (max_w > 0 && width_of(f, size, buf, n) > max_w) {
        /* the longest prefix that fits with the dots: a binary search, so a
         * long text costs O(n log n), not O(n^2) */
        float dots = width_of(f, size, "...", 3);
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (width_of(f, size, buf, mid) + dots <= max_w)
                lo = mid;
            else
                hi = mid - 1;
        }
        n = lo;
        memcpy(buf + n, "...", 4);
        n += 3;
    }
    if (align == 1)
        x -= width_of(f, size, buf, n);
    HPDF_Page_BeginText(r->page);
    HPDF_Page_SetFontAndSize(r->page, f, size);
    HPDF_Page_TextOut(r->page, x, y, buf);
    HPDF_Page_EndText(r->page);
}

static void rule(struct render *r, float y, float width)
{
    if (!r->draw)
        return;
    HPDF_Page_SetLineWidth(r->page, width);
    HPDF_Page_MoveTo(r->page, MARGIN, y);
    HPDF_Page_LineTo(r->page, RIGHT, y);
    HPDF_Page_Stroke(r->page);
}

static void date_text(int64_t ms, char *buf, size_t cap)
{
    struct mg_civil c = mg_civil_of(ms);
    snprintf(buf, cap, "%04lld-%02d-%02d", (long long)c.year, c.month, c.day);
}

/* A new page with the header repeated; r->y below it. */
static void new_page(struct render *r)
{
    r->pages++;
    r->y = PAGE_H - MARGIN - HEADER_H;
    if (!r->draw)
        return;
    r->page = HPDF_AddPage(r->pdf);
    HPDF_Page_SetSize(r->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    const struct mg_invoice *inv = r->inv;
    float top = PAGE_H - MARGIN;
    text(r, r->bold, 14, MARGIN, top - 16, 0, 300, inv->issuer.name);
    text(r, r->bold, 20, RIGHT, top - 18, 1, 0, inv->status == MG_INVOICE_VOID ? "INVOICE (VOID)" : "INVOICE");
    char line[160];
    snprintf(line, sizeof(line), "%s    Page %d of %d", inv->number, r->pages, r->pages_total);
    text(r, r->font, 9, RIGHT, top - 34, 1, 0, line);
    rule(r, top - 44, 0.8f);
}

/* The first page's blocks: issuer and invoice details side by side, then
 * the customer. */
static void first_page_blocks(struct render *r)
{
    const struct mg_invoice *inv = r->inv;
    const struct mg_invoice_party *is = &inv->issuer, *cu = &inv->customer;
    float y0 = r->y, y = y0;
    /* left: the issuer */
    text(r, r->font, 9, MARGIN, y, 0, 260, is->company);
    y -= (is->company && is->company[0]) ? LEAD : 0;
    for (int i = 0; i < MG_INVOICE_ADDRESS_LINES && is->address[i] && is->address[i][0]; i++, y -= LEAD)
        text(r, r->font, 9, MARGIN, y, 0, 260, is->address[i]);
    if (is->email && is->email[0]) {
        text(r, r->font, 9, MARGIN, y, 0, 260, is->email);
        y -= LEAD;
    }
    if (is->tax_id && is->tax_id[0]) {
        char t[TEXT_BUF];
        snprintf(t, sizeof(t), "Tax ID: %s", is->tax_id);
        text(r, r->font, 9, MARGIN, y, 0, 260, t);
        y -= LEAD;
    }
    /* right: the details */
    char d[5][64];
    date_text(inv->issued_ms, d[0], sizeof(d[0]));
    char a[16], b[16];
    date_text(inv->period_start_ms, a, sizeof(a));
    date_text(inv->period_end_ms - 1, b, sizeof(b));
    snprintf(d[1], sizeof(d[1]), "%s to %s", a, b);
    if (inv->due_ms == 0)
        mg_strlcpy(d[2], "Due on receipt", sizeof(d[2]));
    else
        date_text(inv->due_ms, d[2], sizeof(d[2]));
    static const char *const status[] = {"Open", "Paid", "Void"};
    mg_strlcpy(d[3], status[inv->status], sizeof(d[3]));
    static const char *const label[] = {"Issue date", "Billing period", "Due date", "Status"};
    float yr = y0;
    text(r, r->font, 9, 340, yr, 0, 0, "Invoice number");
    text(r, r->bold, 9, RIGHT, yr, 1, 120, inv->number);
    yr -= LEAD;
    for (int i = 0; i < 4; i++, yr -= LEAD) {
        text(r, r->font, 9, 340, yr, 0, 0, label[i]);
        text(r, i == 3 ? r->bold : r->font, 9, RIGHT, yr, 1, 140, d[i]);
    }
    y = MG_MIN(y, yr) - 14;
    /* the customer */
    text(r, r->bold, 10, MARGIN, y, 0, 0, "Bill to");
    y -= LEAD + 2;
    const char *lines[4 + MG_INVOICE_ADDRESS_LINES];
    int n = 0;
    lines[n++] = cu->name;
    lines[n++] = cu->company;
    lines[n++] = cu->email;
    for (int i = 0; i < MG_INVOICE_ADDRESS_LINES && cu->address[i] && cu->address[i][0]; i++)
        lines[n++] = cu->address[i];
    for (int i = 0; i < n; i++) {
        if (lines[i] == NULL || lines[i][0] == '\0')
            continue;
        text(r, r->font, 9, MARGIN, y, 0, RIGHT - MARGIN, lines[i]);
        y -= LEAD;
    }
    if (cu->tax_id && cu->tax_id[0]) {
        char t[TEXT_BUF];
        snprintf(t, sizeof(t), "Tax ID: %s", cu->tax_id);
        text(r, r->font, 9, MARGIN, y, 0, RIGHT - MARGIN, t);
        y -= LEAD;
    }
    r->y = y - 10;
}

static void table_header(struct render *r)
{
    char amount[32];
    snprintf(amount, sizeof(amount), "Amount (%s)", r->inv->currency);
    text(r, r->bold, 9, COL_SERVICE, r->y, 0, 0, "Service");
    text(r, r->bold, 9, COL_MODEL, r->y, 0, 0, "Model");
    text(r, r->bold, 9, COL_QTY, r->y, 0, 0, "Quantity");
    text(r, r->bold, 9, RIGHT, r->y, 1, 0, amount);
    rule(r, r->y - 4, 0.5f);
    r->y -= ROW_H + 2;
}

static void table_row(struct render *r, const struct mg_invoice_line *l)
{
    char amount[32];
    mg_invoice_money(mg_invoice_round_cents(l->amount_micros), amount, sizeof(amount));
    text(r, r->font, 9, COL_SERVICE, r->y, 0, COL_MODEL - COL_SERVICE - COL_GAP, l->service);
    text(r, r->font, 9, COL_MODEL, r->y, 0, COL_QTY - COL_MODEL - COL_GAP, l->model);
    text(r, r->font, 9, COL_QTY, r->y, 0, RIGHT - COL_AMOUNT_W - COL_QTY - COL_GAP, l->quantity);
    text(r, r->font, 9, RIGHT, r->y, 1, 0, amount);
    r->y -= ROW_H;
}

static void totals(struct render *r)
{
    const struct mg_invoice *inv = r->inv;
    struct mg_invoice_cents c;
    mg_invoice_cents_of(inv, &c);
    char m[48], line[64];
    r->y -= 4;
    rule(r, r->y + ROW_H - 4, 0.5f);
    r->y -= 8;
    static const char *const label[] = {"Subtotal", "Credits applied", "Total due"};
    int64_t v[3] = {c.subtotal, -c.credits, c.total_due};
    for (int i = 0; i < 3; i++) {
        mg_invoice_money(v[i], m, sizeof(m));
        snprintf(line, sizeof(line), "%s %s", inv->currency, m);
        HPDF_Font f = i == 2 ? r->bold : r->font;
        float size = i == 2 ? 11 : 9;
        text(r, f, size, RIGHT - 200, r->y, 0, 0, label[i]);
        text(r, f, size, RIGHT, r->y, 1, 0, line);
        r->y -= 16;
    }
    const char *note = inv->status == MG_INVOICE_PAID   ? "Paid. Thank you."
                       : inv->status == MG_INVOICE_VOID ? "This invoice is void: nothing is due."
                                                        : NULL;
    r->y -= 4;
    text(r, r->bold, 9, MARGIN, r->y, 0, 0, note);
    r->y -= note ? LEAD : 0;
    text(r, r->font, 7, MARGIN, r->y, 0, 0,
         "Each amount is rounded to the cent, half away from zero; the subtotal is the sum of the amounts shown.");
    r->y -= LEAD;
}

/* The whole document; returns the number of pages. */
static int layout(struct render *r)
{
    r->pages = 0;
    new_page(r);
    first_page_blocks(r);
    table_header(r);
    for (size_t i = 0; i < r->inv->n_lines; i++) {
        if (r->y - ROW_H < BOTTOM) {
            new_page(r);
            table_header(r);
        }
        table_row(r, &r->inv->lines[i]);
    }
    if (r->y - TOTALS_H < BOTTOM)
        new_page(r);
    totals(r);
    return r->pages;
}

static int fail(const struct mg_invoice *inv, struct render *r, char *err, size_t errcap)
{
    snprintf(err, errcap, "invoice PDF: libharu error 0x%04X (detail %u)%s", (unsigned)r->error_no,
             (unsigned)r->detail_no, r->error_no == HPDF_FAILD_TO_ALLOC_MEM ? ": out of its memory ceiling" : "");
    mg_log(MG_LOG_ERROR, "invoice %s: %s", inv->number, err);
    return MG_ERR;
}

int mg_invoice_pdf(const struct mg_invoice *inv, size_t mem_max, uint8_t **pdf, size_t *pdf_len, char *err,
                   size_t errcap)
{
    *pdf = NULL;
    *pdf_len = 0;
    if (mg_invoice_check(inv, err, errcap) != MG_OK)
        return MG_DECLINED;
    struct mem mem = {0, mem_max ? mem_max : MG_INVOICE_PDF_MEM_MAX};
    struct mem *saved = tl_mem;
    tl_mem = &mem;
    struct render r = {.inv = inv};
    int rc = MG_ERR;
    r.pages_total = layout(&r); /* counting pass: no libharu */
    r.draw = 1;
    r.pdf = HPDF_NewEx(on_error, mem_alloc, mem_free, 0, &r);
    if (r.pdf == NULL) {
        if (r.error_no == 0)
            r.error_no = HPDF_FAILD_TO_ALLOC_MEM;
        rc = fail(inv, &r, err, errcap);
        goto out;
    }
    HPDF_SetCompressionMode(r.pdf, HPDF_COMP_ALL);
    HPDF_SetInfoAttr(r.pdf, HPDF_INFO_CREATOR, "maxgate");
    char title[MG_INVOICE_NUMBER_MAX + 16];
    snprintf(title, sizeof(title), "Invoice %s", inv->number);
    HPDF_SetInfoAttr(r.pdf, HPDF_INFO_TITLE, title);
    r.font = HPDF_GetFont(r.pdf, "Helvetica", "WinAnsiEncoding");
    r.bold = HPDF_GetFont(r.pdf, "Helvetica-Bold", "WinAnsiEncoding");
    if (r.font && r.bold && r.error_no == 0)
        layout(&r);
    if (r.error_no == 0 && r.pages != r.pages_total)
        r.error_no = HPDF_INVALID_PAGE; /* the passes disagree: a bug here, not in the input */
    if (r.error_no == 0)
        HPDF_SaveToStream(r.pdf);
    HPDF_UINT32 size = r.error_no == 0 ? HPDF_GetStreamSize(r.pdf) : 0;
    if (r.error_no == 0 && size > 0) {
        uint8_t *buf = mg_malloc(size);
        HPDF_UINT32 got = size;
        if (HPDF_GetContents(r.pdf, buf, &got) == HPDF_OK && got == size && r.error_no == 0) {
            *pdf = buf;
            *pdf_len = size;
            rc = MG_OK;
        } else {
            free(buf);
        }
    }
    if (rc != MG_OK) {
        if (r.error_no == 0)
            r.error_no = HPDF_INVALID_STREAM;
        rc = fail(inv, &r, err, errcap);
    }
    HPDF_Free(r.pdf);
out:
    tl_mem = saved;
    return rc;
}
