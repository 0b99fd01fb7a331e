/*
 * money.h: money is integer micro-units (1 currency unit = 1,000,000), read
 * from and written as plain decimals; shared by the server and the CLI.
 */
#ifndef MG_CORE_MONEY_H
#define MG_CORE_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* A non-negative decimal with at most `scale` decimals ("12.5", "3") into an
 * integer scaled by 10^scale.  MG_OK, or MG_DECLINED (sign, exponent, too
 * many decimals, too large, trailing text). */
int mg_fixed_parse(const char *s, int scale, int64_t *out);
/* Parses a decimal money amount "12.345678" (at most 6 decimals) into micro-units. */
int mg_money_parse(const char *s, int64_t *micros);
/* Formats micro-units as "12.345678" (trailing zeros kept to 2 decimals: "12.30"). */
void mg_money_format(int64_t micros, char *out, size_t cap);

#endif
