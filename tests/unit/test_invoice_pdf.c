/* Unit tests: invoices as PDF (billing/invoice_pdf.c).  The
 * rendered bytes are read back with poppler's pdftotext and pdfinfo
 * (poppler-utils, installed by scripts/deps.sh): the test fails if they are
 * missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture_invoice.h"

extern char **environ;

static char dir[64];
static int seq;

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/mginv.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char path[128];
    for (int i = 1; i <= seq; i++) {
        snprintf(path, sizeof(path), "%s/invoice-%d.pdf", dir, i);
        unlink(path);
    }
    return rmdir(dir);
}

#define OUT_MAX (8u << 20) /* ceiling on a tool's captured output */

/* Runs argv (found in PATH) and returns its stdout, NUL-terminated (free
 * it); fails the test if the tool is missing or exits non-zero. */
static char *run_capture(char *const argv[])
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        fail_msg("%s could not be run (%s): install poppler-utils (scripts/deps.sh installs it)", argv[0],
                 strerror(rc));
    }
    size_t len = 0, cap = 65536;
    char *buf = mg_malloc(cap);
    for (;;) {
        if (len + 1 == cap) {
            assert_true(cap < OUT_MAX);
            cap *= 2;
            buf = mg_realloc(buf, cap);
        }
        ssize_t n = read(fds[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    buf[len] = '\0';
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("%s failed (status %d); is poppler-utils installed? (scripts/deps.sh)", argv[0], st);
    return buf;
}

/* Writes the PDF to a temp file; its path in path. */
static void write_pdf(const uint8_t *pdf, size_t len, char *path, size_t cap)
{
    snprintf(path, cap, "%s/invoice-%d.pdf", dir, ++seq);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pdf, len), (ssize_t)len);
    close(fd);
}

/* Renders inv and returns pdftotext -layout's text; *pages from pdfinfo. */
static char *render_text(const struct mg_invoice *inv, int *pages)
{
    uint8_t *pdf = NULL;
    size_t len = 0;
    char err[256] = "";
    int rc = mg_invoice_pdf(inv, 0, &pdf, &len, err, sizeof(err));
    if (rc != MG_OK)
        fail_msg("render: %d %s", rc, err);
    assert_true(len > 100);
    assert_memory_equal(pdf, "%PDF-", 5);
    char path[128];
    write_pdf(pdf, len, path, sizeof(path));
    free(pdf);
    char *info = run_capture((char *const[]){"pdfinfo", path, NULL});
    const char *p = strstr(info, "\nPages:");
    assert_non_null(p);
    *pages = (int)strtol(p + 7, NULL, 10);
    free(info);
    return run_capture((char *const[]){"pdftotext", "-layout", "-enc", "UTF-8", path, "-", NULL});
}

/* The line of text holding a (and b, if given), or NULL; the line is
 * copied into buf. */
static const char *line_with(const char *text, const char *a, const char *b, char *buf, size_t cap)
{
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n < cap) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            if (strstr(buf, a) && (b == NULL || strstr(buf, b)))
                return buf;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return NULL;
}

/* "1,234.57" at the end of a line -> cents. */
static int64_t last_amount(const char *line)
{
    const char *p = line + strlen(line);
    while (p > line && p[-1] == ' ')
        p--;
    const char *end = p;
    while (p > line && (p[-1] == ',' || p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')))
        p--;
    int64_t v = 0;
    int dot = 0;
    for (; p < end; p++) {
        if (*p == '.')
            dot = 1;
        else if (*p != ',')
            v = v * 10 + (*p - '0');
    }
    assert_true(dot);
    return v;
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void sample_invoice_reads_back(void **state)
{
    struct mg_invoice inv = sample(sample_lines, MG_ARRAY_SIZE(sample_lines));
    inv.credits_micros = 20000000; /* 20.00 */
    inv.total_due_micros = inv.subtotal_micros - inv.credits_micros;
    int pages = 0;
    char *t = render_text(&inv, &pages);
    char l[1024];
    assert_int_equal(pages, 1);
    assert_non_null(strstr(t, "MG-2026-12-000042"));
    assert_non_null(strstr(t, "INVOICE"));
    assert_non_null(strstr(t, "Page 1 of 1"));
    /* the issuer */
    assert_non_null(strstr(t, "Example Gateway Ltd"));
    assert_non_null(strstr(t, "12 Harbour Street"));
    assert_non_null(strstr(t, "Dublin D02 XY45"));
    assert_non_null(strstr(t, "Tax ID: IE1234567X"));
    assert_non_null(strstr(t, "billing@gateway.example"));
    /* the customer */
    assert_non_null(line_with(t, "Bill to", NULL, l, sizeof(l)));
    assert_non_null(strstr(t, "Ada Lovelace"));
    assert_non_null(strstr(t, "Analytical Engines plc"));
    assert_non_null(strstr(t, "ada@engines.example"));
    assert_non_null(strstr(t, "1 Difference Row"));
    /* the dates: the period's end is exclusive, so December ends on the 31st */
    assert_non_null(line_with(t, "Issue date", "2027-01-01", l, sizeof(l)));
    assert_non_null(line_with(t, "Billing period", "2026-12-01 to 2026-12-31", l, sizeof(l)));
    assert_non_null(line_with(t, "Due date", "2027-01-15", l, sizeof(l)));
    assert_non_null(line_with(t, "Status", "Open", l, sizeof(l)));
    /* each line item with its amount, rounded half away from zero */
    static const char *const want[] = {"370.37", "118.52", "1.23", "0.01", "0.01", "0.00", "1,234,567.90"};
    int64_t sum = 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(sample_lines); i++) {
        const char *row = line_with(t, sample_lines[i].quantity, NULL, l, sizeof(l));
        if (row == NULL)
            fail_msg("line %zu (%s) not in the text:\n%s", i, sample_lines[i].quantity, t);
        assert_non_null(strstr(row, sample_lines[i].service));
        assert_non_null(strstr(row, sample_lines[i].model));
        assert_non_null(strstr(row, want[i]));
        sum += last_amount(row);
    }
    assert_non_null(line_with(t, "Amount (USD)", "Service", l, sizeof(l)));
    /* the printed lines add up to the printed subtotal; total = subtotal - credits */
    assert_int_equal(sum, 123505804);
    assert_non_null(line_with(t, "Subtotal", "USD 1,235,058.04", l, sizeof(l)));
    assert_int_equal(last_amount(l), sum);
    assert_non_null(line_with(t, "Credits applied", "USD -20.00", l, sizeof(l)));
    assert_non_null(line_with(t, "Total due", "USD 1,235,038.04", l, sizeof(l)));
    free(t);
}

static void foreign_text_renders(void **state)
{
    struct mg_invoice_line lines[] = {{"Chat \xE2\x80\x94 \xE4\xB8\xAD\xE6\x96\x87", "M\xC3\xBCller-1", "5 \xE2\x82\xAC", 1000000}};
    struct mg_invoice inv = sample(lines, 1);
    inv.customer.name = "Zo\xC3\xAB \xE6\xA0\xAA\xE5\xBC\x8F\xE4\xBC\x9A\xE7\xA4\xBE \xFF\xFE";
    inv.customer.address[0] = "\xF0\x9F\x98\x80 Emoji Street";
    int pages = 0;
    char *t = render_text(&inv, &pages);
    assert_int_equal(pages, 1);
    assert_non_null(strstr(t, "Zo\xC3\xAB ???? ??"));
    assert_non_null(strstr(t, "? Emoji Street"));
    char l[1024];
    assert_non_null(line_with(t, "Chat \xE2\x80\x94 ??", "M\xC3\xBCller-1", l, sizeof(l)));
    assert_non_null(strstr(l, "\xE2\x82\xAC")); /* pdftotext may drop the space before it */
    assert_non_null(strstr(l, "1.00"));
    free(t);
}

static struct mg_invoice_line *many_lines(size_t n, char (**names)[48])
{
    struct mg_invoice_line *lines = mg_calloc(n, sizeof(*lines));
    *names = mg_calloc(n, sizeof(**names));
    for (size_t i = 0; i < n; i++) {
        snprintf((*names)[i], sizeof((*names)[i]), "%05zu,%03zu tokens", i, i % 1000);
        lines[i].service = i % 2 ? "Chat completions" : "Speech";
        lines[i].model = i % 2 ? "MiniMax-M2.7" : "speech-2.6-hd";
        lines[i].quantity = (*names)[i];
        lines[i].amount_micros = (int64_t)(i * 1234567 % 100000000) / 10000 * 10000 + 5000; /* each x.xx5: rounds up */
    }
    return lines;
}

/* 300 lines: several pages, the header and the table's column header on
 * each, every line once, and the printed lines add up to the total. */
static void many_lines_span_pages(void **state)
{
    char(*names)[48];
    size_t n = 300;
    struct mg_invoice_line *lines = many_lines(n, &names);
    struct mg_invoice inv = sample(lines, n);
    inv.status = MG_INVOICE_PAID;
    inv.credits_micros = inv.subtotal_micros;
    inv.total_due_micros = 0;
    int pages = 0;
    char *t = render_text(&inv, &pages);
    assert_true(pages >= 5);
    assert_int_equal(count_char(t, '\f'), pages); /* pdftotext ends each page with a form feed */
    char want[64], l[1024];
    /* every page repeats the header and the column header */
    const char *page = t;
    for (int i = 1; i <= pages; i++) {
        const char *ff = strchr(page, '\f');
        assert_non_null(ff);
        size_t plen = (size_t)(ff - page);
        char *pt = mg_strndup(page, plen);
        snprintf(want, sizeof(want), "Page %d of %d", i, pages);
        assert_non_null(line_with(pt, "MG-2026-12-000042", want, l, sizeof(l)));
        assert_non_null(strstr(pt, "Example Gateway Ltd"));
        assert_non_null(strstr(pt, "INVOICE"));
        if (i == 1)
            assert_non_null(strstr(pt, "Bill to"));
        else
            assert_null(strstr(pt, "Bill to"));
        if (i < pages || strstr(pt, "tokens")) /* the last page may hold only the totals */
            assert_non_null(line_with(pt, "Service", "Amount (USD)", l, sizeof(l)));
        free(pt);
        page = ff + 1;
    }
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        const char *row = line_with(t, names[i], NULL, l, sizeof(l));
        if (row == NULL)
            fail_msg("line %zu (%s) missing", i, names[i]);
        int64_t cents = last_amount(row);
        assert_int_equal(cents, mg_invoice_round_cents(lines[i].amount_micros));
        sum += cents;
    }
    assert_non_null(line_with(t, "Subtotal", "USD", l, sizeof(l)));
    assert_int_equal(last_amount(l), sum);
    /* the rule matters here: 300 half cents rounded up are 150 cents above the rounded micros */
    assert_int_equal(sum, mg_invoice_round_cents(inv.subtotal_micros) + 150);
    struct mg_invoice_cents c;
    mg_invoice_cents_of(&inv, &c);
    assert_int_equal(c.subtotal, sum);
    assert_non_null(line_with(t, "Credits applied", "USD -", l, sizeof(l)));
    assert_int_equal(last_amount(l), sum);
    assert_non_null(line_with(t, "Total due", "USD 0.00", l, sizeof(l)));
    assert_non_null(strstr(t, "Paid. Thank you."));
    free(t);
    free(lines);
    free(names);
}

/* MG_INVOICE_LINES_MAX renders; one more is refused. */
static void line_ceiling(void **state)
{
    char(*names)[48];
    size_t n = MG_INVOICE_LINES_MAX + 1;
    struct mg_invoice_line *lines = many_lines(n, &names);
    struct mg_invoice inv = sample(lines, n);
    uint8_t *pdf = (uint8_t *)"x";
    size_t len = 7;
    char err[256] = "";
    assert_int_equal(mg_invoice_pdf(&inv, 0, &pdf, &len, err, sizeof(err)), MG_DECLINED);
    assert_null(pdf);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "at most 10000"));
    /* the most there may be: every line at the ceiling, with the longest
     * service text, cut to its column with "..." */
    static char longest[MG_INVOICE_TEXT_MAX + 1];
    memset(longest, 'w', MG_INVOICE_TEXT_MAX);
    for (size_t i = 0; i < n; i++)
        lines[i].service = longest;
    inv = sample(lines, n - 1);
    int pages = 0;
    char *t = render_text(&inv, &pages);
    assert_true(pages > 100);
    char l[1024];
    assert_non_null(line_with(t, names[n - 2], "www...", l, sizeof(l)));
    assert_null(strstr(l, "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww")); /* cut well before 512 */
    free(t);
    free(lines);
    free(names);
}

/* An invoice without lines renders, and a void one says so. */
static void empty_and_void_render(void **state)
{
    struct mg_invoice inv;
    inv = sample(NULL, 0);
    inv.status = MG_INVOICE_VOID;
    inv.due_ms = 0;
    int pages = 0;
    char *t = render_text(&inv, &pages);
    assert_int_equal(pages, 1);
    assert_non_null(strstr(t, "INVOICE (VOID)"));
    assert_non_null(strstr(t, "nothing is due"));
    assert_non_null(strstr(t, "Due on receipt"));
    char l[256];
    assert_non_null(line_with(t, "Total due", "USD 0.00", l, sizeof(l)));
    free(t);
}

/* A libharu failure (here: its memory ceiling, at every point of a render)
 * is MG_ERR with the libharu code, never an abort or a leak. */

static void libharu_errors_are_mg_err(void **state)
{
    struct mg_invoice inv = sample(sample_lines, MG_ARRAY_SIZE(sample_lines));
    uint8_t *pdf;
    size_t len, full = 0;
    char err[256];
    /* how much a whole render needs: the smallest ceiling that works */
    size_t lo = 1, hi = 64u << 20;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int rc = mg_invoice_pdf(&inv, mid, &pdf, &len, err, sizeof(err));
        if (rc == MG_OK) {
            free(pdf);
            hi = mid;
        } else {
            assert_int_equal(rc, MG_ERR);
            assert_null(pdf);
            assert_non_null(strstr(err, "libharu error 0x"));
            lo = mid + 1;
        }
    }
    full = lo;
    assert_true(full > 1024);
    /* every ceiling below it fails cleanly, wherever libharu runs out */
    for (size_t m = 1; m < full; m += full / 97 + 1) {
        err[0] = '\0';
        assert_int_equal(mg_invoice_pdf(&inv, m, &pdf, &len, err, sizeof(err)), MG_ERR);
        assert_null(pdf);
        assert_int_equal(len, 0);
        assert_non_null(strstr(err, "libharu error 0x"));
    }
    assert_int_equal(mg_invoice_pdf(&inv, 1, &pdf, &len, err, sizeof(err)), MG_ERR);
    assert_non_null(strstr(err, "out of its memory ceiling"));
    assert_int_equal(mg_invoice_pdf(&inv, full, &pdf, &len, err, sizeof(err)), MG_OK);
    free(pdf);
}

/* Renders on worker threads share nothing: four threads at once, each with
 * its own memory ceiling, give the bytes of a render alone (the output has
 * no date or random id, so it is the same for the same input). */
struct job {
    const struct mg_invoice *inv;
    size_t mem_max;
    int rounds, rc;
    uint8_t *pdf;
    size_t len;
};

static void *render_job(void *arg)
{
    struct job *j = arg;
    char err[256];
    for (int i = 0; i < j->rounds; i++) {
        free(j->pdf);
        j->rc = mg_invoice_pdf(j->inv, j->mem_max, &j->pdf, &j->len, err, sizeof(err));
        if (j->rc != MG_OK)
            break;
    }
    return NULL;
}

static void renders_on_threads_share_nothing(void **state)
{
    char(*names)[48];
    struct mg_invoice_line *lines = many_lines(120, &names);
    struct mg_invoice inv = sample(lines, 120);
    uint8_t *alone;
    size_t alone_len;
    char err[256];
    assert_int_equal(mg_invoice_pdf(&inv, 0, &alone, &alone_len, err, sizeof(err)), MG_OK);
    struct job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        /* thread 3 runs out of its ceiling over and over while the others render */
        jobs[i] = (struct job){.inv = &inv, .mem_max = i == 3 ? 20000 : 0, .rounds = i == 3 ? 40 : 5};
        assert_int_equal(pthread_create(&th[i], NULL, render_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        if (i == 3) {
            assert_int_equal(jobs[i].rc, MG_ERR);
            assert_null(jobs[i].pdf);
            continue;
        }
        assert_int_equal(jobs[i].rc, MG_OK);
        assert_int_equal(jobs[i].len, alone_len);
        assert_memory_equal(jobs[i].pdf, alone, alone_len);
        free(jobs[i].pdf);
    }
    free(alone);
    free(lines);
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_invoice_reads_back),
        cmocka_unit_test(foreign_text_renders),
        cmocka_unit_test(many_lines_span_pages),
        cmocka_unit_test(line_ceiling),
        cmocka_unit_test(empty_and_void_render),
        cmocka_unit_test(libharu_errors_are_mg_err),
        cmocka_unit_test(renders_on_threads_share_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
