/* Unit tests: QR code as SVG (auth/qrsvg.c): the document's shape (viewBox
 * with the quiet zone, one path, fill attributes, no style), the path's
 * rectangles cover exactly libqrencode's dark modules, the length ceiling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/qrsvg.h"
#include "core/mg.h"

static const char uri[] = "otpauth://totp/maxgate:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                          "&issuer=maxgate&algorithm=SHA1&digits=6&period=30";

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void svg_shape(void **state)
{
    char *svg = mg_qr_svg(uri);
    assert_non_null(svg);
    size_t len = strlen(svg);
    assert_memory_equal(svg, "<svg ", 5);
    assert_string_equal(svg + len - 6, "</svg>");
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_int_equal(count(svg, "<path"), 1);
    assert_int_equal(count(svg, "<svg"), 1);
    assert_null(strstr(svg, "style"));   /* CSP style-src 'self' would block it */
    assert_null(strstr(svg, "<script")); /* self-contained, nothing active */
    assert_null(strstr(svg, "href"));
    assert_non_null(strstr(svg, "fill=\"#000000\""));
    /* balanced angle brackets and quotes: XML-ish */
    assert_int_equal(count(svg, "<"), count(svg, ">"));
    assert_int_equal(count(svg, "\"") % 2, 0);

    QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    int w = qr->width, size = w + 2 * MG_QR_QUIET;
    char vb[64];
    snprintf(vb, sizeof vb, "viewBox=\"0 0 %d %d\"", size, size);
    assert_non_null(strstr(svg, vb));

    /* Replay the path's rectangles onto a grid: it must equal the symbol's
     * dark modules, each inside the quiet zone, none drawn twice. */
    unsigned char *grid = calloc((size_t)size * (size_t)size, 1);
    assert_non_null(grid);
    const char *p = strstr(svg, " d=\"");
    assert_non_null(p);
    p += 4;
    while (*p == 'M') {
        int x, y, run, back, used;
        assert_int_equal(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &used), 4);
        assert_int_equal(run, back);
        assert_true(run >= 1);
        assert_true(x >= MG_QR_QUIET && y >= MG_QR_QUIET && y < MG_QR_QUIET + w && x + run <= MG_QR_QUIET + w);
        for (int i = 0; i < run; i++) {
            assert_int_equal(grid[y * size + x + i], 0);
            grid[y * size + x + i] = 1;
        }
        p += used;
    }
    assert_int_equal(*p, '"');
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            assert_int_equal(grid[(y + MG_QR_QUIET) * size + x + MG_QR_QUIET], qr->data[y * w + x] & 1);
    free(grid);
    QRcode_free(qr);
    free(svg);
}

static void svg_ceiling(void **state)
{
    assert_null(mg_qr_svg(""));
    char *big = malloc(MG_QR_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', MG_QR_TEXT_MAX + 1);
    big[MG_QR_TEXT_MAX + 1] = '\0';
    assert_null(mg_qr_svg(big)); /* one byte over */
    big[MG_QR_TEXT_MAX] = '\0';
    char *svg = mg_qr_svg(big); /* exactly at the ceiling */
    assert_non_null(svg);
    assert_memory_equal(svg, "<svg ", 5);
    free(svg);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(svg_shape),
        cmocka_unit_test(svg_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
