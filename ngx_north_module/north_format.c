/*
 * Amounts and dates as North writes them in English and in French, for
 * the prose of answers. Pure: no nginx header.
 */

#include <stdio.h>

#include "north_check.h"
#include "north_format.h"


size_t
north_date_text(int64_t day, int fr, char *buf, size_t size)
{
    int       y, n;
    unsigned  m, d;

    static const char *const  en[] = {
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December"
    };

    static const char *const  french[] = {
        "janvier", "f\xc3\xa9vrier", "mars", "avril", "mai", "juin",
        "juillet", "ao\xc3\xbbt", "septembre", "octobre", "novembre",
        "d\xc3\xa9" "cembre"
    };

    north_date_civil(day, &y, &m, &d);

    n = fr ? snprintf(buf, size, "%u%s %s %d", d, d == 1 ? "er" : "",
                      french[m - 1], y)
           : snprintf(buf, size, "%s %u, %d", en[m - 1], d, y);

    return n < 0 || (size_t) n >= size ? 0 : (size_t) n;
}


char *
north_date_iso(int64_t day, char *buf)
{
    int       y;
    unsigned  m, d;

    north_date_civil(day, &y, &m, &d);
    snprintf(buf, 11, "%04d-%02u-%02u", y, m, d);

    return buf;
}


size_t
north_money_text(int64_t cents, int fr, char *buf, size_t size)
{
    char      digits[24], *p, *last;
    size_t    n, i;
    uint64_t  a;

    a = cents < 0 ? (uint64_t) -(cents + 1) + 1 : (uint64_t) cents;
    n = (size_t) snprintf(digits, sizeof(digits), "%llu",
                          (unsigned long long) (a / 100));

    p = buf;
    last = buf + size - 1;

    /* the widest: "-", "$", 19 digits, 6 two-byte spaces, ",00", " $" */
    if (size < 40) {
        if (size) {
            *buf = '\0';
        }
        return 0;
    }

    if (cents < 0) {
        *p++ = '-';
    }

    if (!fr) {
        *p++ = '$';
    }

    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            if (fr) {
                *p++ = (char) 0xc2;
                *p++ = (char) 0xa0;

            } else {
                *p++ = ',';
            }
        }

        *p++ = digits[i];
    }

    p += snprintf(p, (size_t) (last - p) + 1, "%c%02u%s", fr ? ',' : '.',
                  (unsigned) (a % 100), fr ? "\xc2\xa0$" : "");

    return (size_t) (p - buf);
}
