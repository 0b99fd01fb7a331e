/*
 * qrsvg.c: QR code to SVG (qrsvg.h).
 *
 * Each row's runs of dark modules become one "M x y h w v1 h-w z" rectangle,
 * all in one path, so the size grows with the number of runs, not modules.
 */
#include "auth/qrsvg.h"

#include <qrencode.h>
#include <string.h>

#include "core/buf.h"
#include "core/mg.h"

/* The longest rectangle text: "M" + two coordinates + "h" + run + "v1h-" +
 * run + "z", each number at most 3 digits (a symbol is at most 177+8). */
#define RECT_MAX 24

char *mg_qr_svg(const char *text)
{
    size_t n = strnlen(text, MG_QR_TEXT_MAX + 1);
    if (n == 0 || n > MG_QR_TEXT_MAX)
        return NULL;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    int w = qr->width, size = w + 2 * MG_QR_QUIET;
    /* Ceiling: the header and at most (w+1)/2 runs in each of w rows. */
    struct mg_buf b;
    mg_buf_init(&b, 512 + (size_t)w * (size_t)((w + 1) / 2) * RECT_MAX);
    int rc = mg_buf_appendf(&b,
                            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                            "height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">"
                            "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/><path fill=\"#000000\" d=\"",
                            size, size, size * 4, size * 4, size, size);
    for (int y = 0; y < w && rc == MG_OK; y++) {
        const unsigned char *row = qr->data + (size_t)y * (size_t)w;
        for (int x = 0; x < w && rc == MG_OK;) {
            if (!(row[x] & 1)) { /* bit 0: dark module */
                x++;
                continue;
            }
            int run = 0;
            while (x + run < w && (row[x + run] & 1))
                run++;
            rc = mg_buf_appendf(&b, "M%d %dh%dv1h-%dz", x + MG_QR_QUIET, y + MG_QR_QUIET, run, run);
            x += run;
        }
    }
    if (rc == MG_OK)
        rc = mg_buf_appendf(&b, "\"/></svg>");
    QRcode_free(qr);
    if (rc != MG_OK) {
        mg_buf_free(&b);
        return NULL;
    }
    return b.data; /* the buffer's own allocation: the caller frees it */
}
