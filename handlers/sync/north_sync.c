/*
 * The sync engine's texts: HLCs and cursors (north_sync.h).
 */

#include <stdio.h>
#include <string.h>

#include "north_check.h"
#include "north_sync.h"


static int north_sync_digits(const char *s, size_t n, unsigned max,
    unsigned *value);
static int north_sync_hex(int ch);


int
north_sync_hlc_normalise(const char *s, size_t len, char *out)
{
    size_t    i;
    int64_t   days;
    unsigned  v;
    char      date[11];

    /* YYYY-MM-DDTHH:MM:SS.sssZ-CCCC-NNNNNNNNNNNNNNNN */
    if (len != NORTH_SYNC_HLC_LEN
        || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.'
        || s[23] != 'Z' || s[24] != '-' || s[29] != '-')
    {
        return -1;
    }

    memcpy(date, s, 10);
    date[10] = '\0';

    if (north_date_parse(date, &days) != 0
        || north_sync_digits(s + 11, 2, 23, &v) != 0
        || north_sync_digits(s + 14, 2, 59, &v) != 0
        || north_sync_digits(s + 17, 2, 59, &v) != 0
        || north_sync_digits(s + 20, 3, 999, &v) != 0)
    {
        return -1;
    }

    memcpy(out, s, len);
    out[len] = '\0';

    for (i = 25; i < len; i++) {
        if (i == 29) {
            continue;
        }

        if (north_sync_hex(s[i]) < 0) {
            return -1;
        }

        /* the counter upper case, the node lower case */
        if (s[i] >= 'a' && s[i] <= 'f' && i < 29) {
            out[i] = (char) (s[i] - 'a' + 'A');

        } else if (s[i] >= 'A' && s[i] <= 'F' && i > 29) {
            out[i] = (char) (s[i] - 'A' + 'a');
        }
    }

    return 0;
}


size_t
north_sync_cursor_format(const north_sync_cursor_t *c, char *out)
{
    int  n;

    if (c->full) {
        n = snprintf(out, NORTH_SYNC_CURSOR_LEN + 1, "f.%llu.%s.%s",
                     (unsigned long long) c->xid, c->entity, c->id);
    } else {
        n = snprintf(out, NORTH_SYNC_CURSOR_LEN + 1, "d.%llu.%lld",
                     (unsigned long long) c->xid, (long long) c->seq);
    }

    return n < 0 ? 0 : (size_t) n;
}


int
north_sync_cursor_parse(const char *s, size_t len, north_sync_cursor_t *c)
{
    size_t              i, n;
    const char         *p, *end, *dot;
    unsigned long long  x;

    memset(c, 0, sizeof(*c));

    if (len < 4 || len > NORTH_SYNC_CURSOR_LEN || s[1] != '.'
        || (s[0] != 'd' && s[0] != 'f'))
    {
        return -1;
    }

    c->full = (s[0] == 'f');
    end = s + len;

    /* the transaction id: 1 to 20 digits, no leading zero */
    p = s + 2;
    dot = memchr(p, '.', end - p);
    if (dot == NULL || dot == p || dot - p > 20
        || (*p == '0' && dot - p > 1))
    {
        return -1;
    }

    for (x = 0; p < dot; p++) {
        if (*p < '0' || *p > '9'
            || x > (UINT64_MAX - (unsigned) (*p - '0')) / 10)
        {
            return -1;
        }

        x = x * 10 + (unsigned) (*p - '0');
    }

    c->xid = x;
    p = dot + 1;

    if (!c->full) {
        /* the sequence number: 1 to 18 digits */
        n = end - p;
        if (n == 0 || n > 18 || (*p == '0' && n > 1)) {
            return -1;
        }

        for (i = 0; i < n; i++) {
            if (p[i] < '0' || p[i] > '9') {
                return -1;
            }

            c->seq = c->seq * 10 + (p[i] - '0');
        }

        return 0;
    }

    /* a snapshot: after ENTITY.ID */
    dot = memchr(p, '.', end - p);
    if (dot == NULL || dot == p || dot - p > 32
        || !north_check_uuid((const unsigned char *) dot + 1,
                             end - dot - 1))
    {
        return -1;
    }

    for (i = 0; p + i < dot; i++) {
        if ((p[i] < 'a' || p[i] > 'z') && p[i] != '_') {
            return -1;
        }

        c->entity[i] = p[i];
    }

    memcpy(c->id, dot + 1, end - dot - 1);

    return 0;
}


/* n decimal digits of at most max */
static int
north_sync_digits(const char *s, size_t n, unsigned max, unsigned *value)
{
    size_t  i;

    *value = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        *value = *value * 10 + (unsigned) (s[i] - '0');
    }

    return *value <= max ? 0 : -1;
}


static int
north_sync_hex(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
        return (ch | 0x20) - 'a' + 10;
    }

    return -1;
}
