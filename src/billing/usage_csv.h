/*
 * usage_csv.h: an account's usage log as CSV (RFC 4180), for the console's
 * "Export CSV" and GET /platform/v1/usage/log.csv.
 *
 * One header row, then one row per event newest first, every line ending in
 * CRLF.  A field holding a comma, a quote, CR or LF is quoted with inner
 * quotes doubled; a field starting with = + - or @ gets a leading ' so a
 * spreadsheet shows it as text instead of running it as a formula (a model
 * name is what the client sent).  At most max_rows events: when more matched,
 * the last line is a comment, "# truncated: ...", saying how to get the rest.
 */
#ifndef MG_BILLING_USAGE_CSV_H
#define MG_BILLING_USAGE_CSV_H

#include <stddef.h>
#include "core/buf.h"
#include "store/store.h"

#define MG_USAGE_CSV_MAX_ROWS 100000                /* a busy month of one account; narrow from/to for more */
#define MG_USAGE_CSV_MAX_BYTES (72u * 1024 * 1024) /* 100,000 rows of the longest fields (~690 bytes) fit */

/* Appends one field (quoted as above) to b; MG_DECLINED at b's ceiling. */
int mg_csv_field(struct mg_buf *b, const char *s);

/* Writes the CSV of the events matching f (its cursor fields are ignored)
 * into b (initialised by the caller, with a ceiling of at least
 * MG_USAGE_CSV_MAX_BYTES for max_rows = MG_USAGE_CSV_MAX_ROWS).  *rows gets
 * the events written, *truncated 1 when more matched.  MG_OK, the store's
 * code, or MG_DECLINED when b's ceiling was reached. */
int mg_usage_csv(struct mg_store *s, const struct mg_usage_filter *f, size_t max_rows, struct mg_buf *b, size_t *rows,
                 int *truncated);

#endif
