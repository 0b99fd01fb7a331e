/* money.c: decimal amounts to and from integer micro-units (see money.h). */
#include "core/money.h"
#include "core/mg.h"

#include <stdio.h>

int mg_fixed_parse(const char *s, int scale, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int digits = 0, fd = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > (INT64_MAX / 10 - 9) / 1000000)
            return MG_DECLINED;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, fd++) {
            if (fd == scale)
                return MG_DECLINED;
            frac = frac * 10 + (*p - '0');
        }
        if (fd == 0)
            return MG_DECLINED;
    }
    if (*p != '\0' || digits == 0)
        return MG_DECLINED;
    for (int i = fd; i < scale; i++)
        frac *= 10;
    int64_t m = 1;
    for (int i = 0; i < scale; i++)
        m *= 10;
    *out = whole * m + frac;
    return MG_OK;
}

int mg_money_parse(const char *s, int64_t *micros) { return mg_fixed_parse(s, 6, micros); }

void mg_money_format(int64_t micros, char *out, size_t cap)
{
    int neg = micros < 0;
    uint64_t v = neg ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    char frac[8];
    snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(v % 1000000));
    for (int i = 5; i >= 2 && frac[i] == '0'; i--)
        frac[i] = '\0';
    snprintf(out, cap, "%s%llu.%s", neg ? "-" : "", (unsigned long long)(v / 1000000), frac);
}
