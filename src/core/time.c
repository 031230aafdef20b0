/* SPDX-License-Identifier: MIT */
/*
 * time.c — clocks, and the time, duration and size syntaxes shared by the
 * CLI flags, config values and (later) query literals. All times are ns
 * since the Unix epoch, UTC; civil dates use the proleptic Gregorian
 * calendar (days_from_civil, after H. Hinnant's algorithm).
 */
#include "core/core.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NS_PER_S   1000000000LL
#define NS_PER_DAY (86400LL * NS_PER_S)

int64_t ltl_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t ltl__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void ltl_time_format(char *buf, size_t len, int64_t ts)
{
    int64_t days = ts / NS_PER_DAY, rem = ts % NS_PER_DAY;
    if (rem < 0) {
        rem += NS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / NS_PER_S;
    snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ", (long long)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
             (long long)(rem % NS_PER_S));
}

/* Read exactly n digits at *p into *out. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static int unit_ns(const char *u, size_t n, int64_t *out)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {{"ns", 1},
                 {"us", 1000},
                 {"ms", 1000000},
                 {"s", NS_PER_S},
                 {"m", 60 * NS_PER_S},
                 {"min", 60 * NS_PER_S},
                 {"h", 3600 * NS_PER_S},
                 {"d", NS_PER_DAY},
                 {"w", 7 * NS_PER_DAY}};
    for (size_t i = 0; i < LTL__ARRAY_LEN(units); i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) {
            *out = units[i].ns;
            return 0;
        }
    return -1;
}

/* "<digits>[.<digits>]<unit>" → ns; -1 when malformed or out of range. */
static int64_t parse_amount(const char *s, bool unit_required)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || !isdigit((unsigned char)s[0]))
        return -1;
    int64_t unit = 1;
    if (*end) {
        if (unit_ns(end, strlen(end), &unit) < 0)
            return -1;
    } else if (unit_required) {
        return -1;
    }
    double ns = v * (double)unit;
    if (ns > 9.2e18)
        return -1;
    return (int64_t)ns;
}

int64_t ltl__duration_parse(const char *text)
{
    return parse_amount(text, false);
}

int64_t ltl__size_parse(const char *text)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)text[0]))
        return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno)
        return -1;
    unsigned long long mult = 1;
    if (*end) {
        char c = (char)toupper((unsigned char)*end);
        const char *rest = end + 1;
        switch (c) {
        case 'K':
            mult = 1ULL << 10;
            break;
        case 'M':
            mult = 1ULL << 20;
            break;
        case 'G':
            mult = 1ULL << 30;
            break;
        case 'T':
            mult = 1ULL << 40;
            break;
        case 'B':
            mult = 1;
            rest = end + 1;
            break;
        default:
            return -1;
        }
        if (c != 'B' &&
            (strcmp(rest, "") != 0 && strcasecmp(rest, "B") != 0 && strcasecmp(rest, "iB") != 0))
            return -1;
        if (c == 'B' && *rest)
            return -1;
    }
    if (v > (unsigned long long)INT64_MAX / mult)
        return -1;
    return (int64_t)(v * mult);
}

static int parse_iso(int64_t *out, const char *s)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac = 0;
    const char *p = s;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return LTL_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return LTL_EPARSE;
    int64_t offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return LTL_EPARSE;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return LTL_EPARSE;
            if (*p == '.' || *p == ',') {
                p++;
                int n = 0;
                while (isdigit((unsigned char)*p)) {
                    if (n < 9) {
                        frac = frac * 10 + (*p - '0');
                        n++;
                    }
                    p++;
                }
                if (n == 0)
                    return LTL_EPARSE;
                while (n++ < 9)
                    frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return LTL_EPARSE;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!digits(&p, 2, &oh))
                return LTL_EPARSE;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && !digits(&p, 2, &om))
                return LTL_EPARSE;
            offset = sign * ((int64_t)oh * 3600 + (int64_t)om * 60) * NS_PER_S;
        }
    }
    if (*p)
        return LTL_EPARSE;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    /* ns since the epoch fit int64 for the years 1678..2261: outside, an error */
    int64_t t;
    if (__builtin_mul_overflow(days, NS_PER_DAY, &t) ||
        __builtin_add_overflow(t, ((int64_t)h * 3600 + (int64_t)mi * 60 + sec) * NS_PER_S + frac, &t) ||
        __builtin_sub_overflow(t, offset, &t))
        return LTL_EPARSE;
    *out = t;
    return LTL_OK;
}

int ltl_time_parse(int64_t *out, const char *text, int64_t now)
{
    if (!out || !text || !*text)
        return LTL_EPARSE;
    int64_t midnight = now - ((now % NS_PER_DAY) + NS_PER_DAY) % NS_PER_DAY;
    if (strcmp(text, "now") == 0) {
        *out = now;
        return LTL_OK;
    }
    if (strcmp(text, "today") == 0) {
        *out = midnight;
        return LTL_OK;
    }
    if (strcmp(text, "yesterday") == 0) {
        *out = midnight - NS_PER_DAY;
        return LTL_OK;
    }
    if (text[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(text + 1, &end, 10);
        if (end == text + 1 || *end || errno)
            return LTL_EPARSE;
        *out = v;
        return LTL_OK;
    }
    if (text[0] == '-' || text[0] == '+') {
        int64_t amount = parse_amount(text + 1, true);
        if (amount < 0)
            return LTL_EPARSE;
        if (text[0] == '-' ? __builtin_sub_overflow(now, amount, out)
                           : __builtin_add_overflow(now, amount, out))
            return LTL_EPARSE; /* beyond the years 1678..2261 */
        return LTL_OK;
    }
    return parse_iso(out, text);
}

bool ltl__utf8_valid(const void *data, size_t len)
{
    const unsigned char *s = data, *end = s + len;
    while (s < end) {
        unsigned char c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - s) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += n + 1;
    }
    return true;
}
