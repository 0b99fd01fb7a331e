/*
 * qrsvg.h: a QR code as a self-contained SVG, for the TOTP enrolment page.
 *
 * libqrencode at error-correction level M; the SVG has a viewBox in module
 * units (the symbol plus a quiet zone of 4 modules each side), one white
 * <rect> background and one <path> of the dark modules, coloured with fill
 * attributes only (no style attribute or element, which a Content Security
 * Policy of style-src 'self' would block).
 */
#ifndef MG_AUTH_QRSVG_H
#define MG_AUTH_QRSVG_H

#define MG_QR_TEXT_MAX 1024 /* an otpauth URI is ~200 bytes; QR holds at most 2331 at level M */
#define MG_QR_QUIET 4       /* quiet zone in modules (ISO/IEC 18004) */

/* The SVG of text (NUL-terminated, 1..MG_QR_TEXT_MAX bytes), malloc'd and
 * NUL-terminated; the caller frees it with free().  NULL if text is empty,
 * too long, or libqrencode fails. */
char *mg_qr_svg(const char *text);

#endif
