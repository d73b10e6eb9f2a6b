/*
 * North input checks: UTF-8, e-mail, UUID, request id, JSON depth, consent
 * purposes, time zones, idempotency keys and calendar dates.
 * Pure C, unit-tested in t/unit/test_check.c.
 */

#include "north_check.h"

#include <string.h>


long
north_utf8_length(const unsigned char *s, size_t len)
{
    size_t    i, n, k;
    long      count;
    uint32_t  cp, min;

    count = 0;

    for (i = 0; i < len; count++) {

        if (s[i] < 0x80) {
            i++;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            n = 1; cp = s[i] & 0x1f; min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            n = 2; cp = s[i] & 0x0f; min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            n = 3; cp = s[i] & 0x07; min = 0x10000;

        } else {
            return -1;
        }

        if (len - i <= n) {
            return -1;
        }

        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return -1;
            }

            cp = (cp << 6) | (s[i + k] & 0x3f);
        }

        /* overlong forms, surrogates and code points past U+10FFFF */
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }

        i += n + 1;
    }

    return count;
}


int
north_check_email(const unsigned char *s, size_t len)
{
    size_t  i, at, dot, label;

    /* RFC 5321 limits: 64 for the local part, 254 in all */
    if (len < 6 || len > 254) {
        return 0;
    }

    at = len;

    for (i = 0; i < len; i++) {
        if (s[i] == '@') {
            if (at != len) {
                return 0;
            }
            at = i;
        }
    }

    if (at == 0 || at == len || at > 64) {
        return 0;
    }

    for (i = 0; i < at; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f
            || s[i] == '(' || s[i] == ')' || s[i] == '<' || s[i] == '>'
            || s[i] == ',' || s[i] == ';' || s[i] == ':' || s[i] == '\\'
            || s[i] == '"' || s[i] == '[' || s[i] == ']')
        {
            return 0;
        }

        if (s[i] == '.' && (i == 0 || i == at - 1 || s[i - 1] == '.')) {
            return 0;
        }
    }

    dot = 0;
    label = 0;

    for (i = at + 1; i < len; i++) {

        if (s[i] == '.') {
            if (label == 0) {
                return 0;
            }
            dot = i;
            label = 0;
            continue;
        }

        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
        {
            return 0;
        }

        if (s[i] == '-' && (label == 0 || i + 1 == len || s[i + 1] == '.')) {
            return 0;
        }

        if (++label > 63) {
            return 0;
        }
    }

    /* a dotted domain whose last label (the TLD) has two letters or more */
    return dot != 0 && label >= 2;
}


static int
north_is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}


int
north_check_uuid(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len != 36) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

        } else if (!north_is_hex(s[i])) {
            return 0;
        }
    }

    return 1;
}


int
north_check_request_id(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > 64) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_'
              || s[i] == ':' || s[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


static int
north_check_hex(const unsigned char *s, size_t len, int nonzero)
{
    size_t  i;
    int     zero;

    zero = 1;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }

        zero = zero && s[i] == '0';
    }

    return !(nonzero && zero);
}


int
north_check_traceparent(const unsigned char *s, size_t len)
{
    /* 00-<32 hex>-<16 hex>-<2 hex>: 55 bytes */
    if (len < 55 || (len > 55 && s[55] != '-')
        || s[2] != '-' || s[35] != '-' || s[52] != '-'
        || !north_check_hex(s, 2, 0)
        || (s[0] == 'f' && s[1] == 'f')
        || (s[0] == '0' && s[1] == '0' && len != 55))
    {
        return 0;
    }

    return north_check_hex(s + 3, 32, 1) && north_check_hex(s + 36, 16, 1)
           && north_check_hex(s + 53, 2, 0);
}


unsigned
north_json_depth(const unsigned char *s, size_t len, unsigned max)
{
    size_t    i;
    unsigned  depth, deepest;
    int       in_string;

    depth = 0;
    deepest = 0;
    in_string = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (s[i] == '\\') {
                i++;

            } else if (s[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (s[i]) {

        case '"':
            in_string = 1;
            break;

        case '[':
        case '{':
            if (++depth > deepest) {
                deepest = depth;

                if (deepest > max) {
                    return deepest;
                }
            }
            break;

        case ']':
        case '}':
            if (depth > 0) {
                depth--;
            }
            break;
        }
    }

    return deepest;
}


const char *const  north_provinces[] = {
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK",
    "YT", NULL
};


const char *const  north_consent_purposes[] = {
    "terms", "privacy_policy", "bank_data", "analytics",
    "notifications_marketing", "ai_assistant", "notifications", NULL
};


int
north_check_purpose(const char *s)
{
    int  i;

    for (i = 0; north_consent_purposes[i]; i++) {
        if (strcmp(s, north_consent_purposes[i]) == 0) {
            return i;
        }
    }

    return -1;
}


int
north_check_time_zone(const unsigned char *s, size_t len)
{
    size_t  i, start, area;

    static const char *const  areas[] = {
        "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
        "Australia", "Europe", "Indian", "Pacific", "Etc", NULL
    };

    if (len == 3 && memcmp(s, "UTC", 3) == 0) {
        return 1;
    }

    if (len == 0 || len > 64) {
        return 0;
    }

    /* each part starts with a letter and holds [A-Za-z0-9_+-] */
    area = 0;
    start = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            if (i == start) {
                return 0;
            }

            if (area == 0) {
                area = i;
            }

            start = i + 1;
            continue;
        }

        if (i == start
            ? !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
            : !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
              && !(s[i] >= '0' && s[i] <= '9')
              && s[i] != '_' && s[i] != '+' && s[i] != '-')
        {
            return 0;
        }
    }

    if (area == len) {
        return 0;
    }

    for (i = 0; areas[i]; i++) {
        if (strlen(areas[i]) == area && memcmp(s, areas[i], area) == 0) {
            return 1;
        }
    }

    return 0;
}


int
north_check_idempotency_key(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > 255) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return 0;
        }
    }

    return 1;
}


int
north_json_member(const unsigned char *s, size_t len, const char *key,
    const unsigned char **value, size_t *vlen)
{
    int       depth, in_string, is_key;
    size_t    i, klen, start;

    klen = strlen(key);
    depth = 0;
    in_string = 0;
    is_key = 0;
    start = 0;

    for (i = 0; i < len; i++) {

        if (in_string) {
            if (s[i] == '\\') {
                i++;
                continue;
            }

            if (s[i] != '"') {
                continue;
            }

            in_string = 0;

            /* a key of the top object, and the one wanted */
            if (is_key && depth == 1 && i - start == klen
                && memcmp(s + start, key, klen) == 0)
            {
                for (i++; i < len && (s[i] == ' ' || s[i] == '\t'
                                      || s[i] == '\n' || s[i] == '\r');
                     i++)
                {
                    /* void */
                }

                if (i == len || s[i] != ':') {
                    return -1;
                }

                for (i++; i < len && (s[i] == ' ' || s[i] == '\t'
                                      || s[i] == '\n' || s[i] == '\r');
                     i++)
                {
                    /* void */
                }

                if (i == len || s[i] == '{' || s[i] == '[') {
                    return -1;
                }

                if (s[i] == '"') {
                    for (start = ++i; i < len && s[i] != '"'; i++) {
                        if (s[i] == '\\') {
                            i++;
                        }
                    }

                } else {
                    for (start = i; i < len && s[i] != ',' && s[i] != '}'
                                    && s[i] != ' ' && s[i] != '\n'
                                    && s[i] != '\r' && s[i] != '\t'; i++)
                    {
                        /* void */
                    }
                }

                /* a value runs to its closing quote, "," or "}" */
                if (i >= len) {
                    return -1;
                }

                *value = s + start;
                *vlen = i - start;
                return 0;
            }

            continue;
        }

        switch (s[i]) {

        case '"':
            in_string = 1;
            start = i + 1;
            /* a key follows "{" or "," at the top level */
            is_key = is_key == 2;
            break;

        case '{':
        case '[':
            if (depth == 0 && s[i] != '{') {
                return -1;
            }

            depth++;
            is_key = depth == 1 ? 2 : 0;
            break;

        case '}':
        case ']':
            depth--;
            is_key = 0;
            break;

        case ',':
            is_key = depth == 1 ? 2 : 0;
            break;

        default:
            break;
        }
    }

    return -1;
}


/* days from civil: eras of 400 years, March-based years */
int64_t
north_date_days(int y, unsigned m, unsigned d)
{
    int64_t   era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


void
north_date_civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
    int64_t   z, era, doe, yoe, doy, mp;

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}


int
north_date_parse(const char *s, int64_t *days)
{
    int       i, y;
    unsigned  m, d, dm;

    static const unsigned  month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (s == NULL) {
        return -1;
    }

    for (i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') {
                return -1;
            }

        } else if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
    }

    if (s[10] != '\0') {
        return -1;
    }

    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
        + (s[3] - '0');
    m = (unsigned) ((s[5] - '0') * 10 + (s[6] - '0'));
    d = (unsigned) ((s[8] - '0') * 10 + (s[9] - '0'));

    if (y < 1900 || m < 1 || m > 12 || d < 1) {
        return -1;
    }

    dm = month_days[m - 1];

    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        dm = 29;
    }

    if (d > dm) {
        return -1;
    }

    *days = north_date_days(y, m, d);

    return 0;
}
