/*
 * North's scrubber (north_scrub.h): one pass over the text; at each place
 * the longest of the forms it knows is replaced, else the byte is kept.
 */

#include "north_scrub.h"

#include <string.h>


static int
north_scrub_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
}


static int
north_scrub_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}


/* a run of base64url / hex characters, and what it mixes */
static size_t
north_scrub_run(const unsigned char *s, size_t len, int dots,
    int *letters, int *digits)
{
    size_t  i;

    *letters = 0;
    *digits = 0;

    for (i = 0; i < len; i++) {
        if (north_scrub_digit(s[i])) {
            (*digits)++;

        } else if (north_scrub_alnum(s[i])) {
            (*letters)++;

        } else if (!(s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '/'
                     || s[i] == '=' || (dots && s[i] == '.')))
        {
            break;
        }
    }

    return i;
}


/* local@domain.tld at s (s[at] is the '@'): its end, or 0 */
static size_t
north_scrub_email(const unsigned char *s, size_t len, size_t *start,
    size_t at)
{
    size_t  b, e, dot;

    for (b = at; b > 0 && (north_scrub_alnum(s[b - 1]) || s[b - 1] == '.'
                           || s[b - 1] == '_' || s[b - 1] == '%'
                           || s[b - 1] == '+' || s[b - 1] == '-'); b--)
    {
        /* void */
    }

    dot = 0;

    for (e = at + 1; e < len && (north_scrub_alnum(s[e]) || s[e] == '.'
                                 || s[e] == '-'); e++)
    {
        if (s[e] == '.') {
            dot = e;
        }
    }

    if (b == at || dot == 0 || dot + 1 >= e) {
        return 0;
    }

    *start = b;
    return e;
}


/* digits (13 to 19) with single spaces or dashes between: its length */
static size_t
north_scrub_number(const unsigned char *s, size_t len)
{
    size_t  i, n, end;

    n = 0;
    end = 0;

    for (i = 0; i < len; i++) {
        if (north_scrub_digit(s[i])) {
            n++;
            end = i + 1;

        } else if ((s[i] == ' ' || s[i] == '-') && i + 1 < len
                   && north_scrub_digit(s[i + 1]) && n > 0)
        {
            continue;

        } else {
            break;
        }
    }

    return (n >= 13 && n <= 19) ? end : 0;
}


/*
 * An amount: "$" then digits with , . or space groups, or digits with
 * groups and ",dd $" / ".dd" cents. Its length, or 0.
 */
static size_t
north_scrub_amount(const unsigned char *s, size_t len)
{
    size_t  i, last_sep, digits;
    int     dollar;

    i = 0;
    dollar = 0;

    if (i < len && s[i] == '$') {
        dollar = 1;
        i++;

        if (i < len && s[i] == ' ') {
            i++;
        }

        if (i < len && s[i] == '-') {
            i++;
        }
    }

    digits = 0;
    last_sep = 0;

    for ( /* void */ ; i < len; i++) {
        if (north_scrub_digit(s[i])) {
            digits++;
            continue;
        }

        if ((s[i] == ',' || s[i] == '.' || s[i] == ' ')
            && i + 1 < len && north_scrub_digit(s[i + 1]) && digits)
        {
            last_sep = i;
            continue;
        }

        break;
    }

    if (digits == 0) {
        return 0;
    }

    /* "1 234,56 $" */
    if (!dollar && i + 1 < len && s[i] == ' ' && s[i + 1] == '$') {
        return i + 2;
    }

    if (dollar) {
        return i;
    }

    /* cents: a separator then exactly two digits at the end */
    if (last_sep && i - last_sep == 3
        && (s[last_sep] == '.' || s[last_sep] == ','))
    {
        return i;
    }

    return 0;
}


size_t
north_scrub(const char *text, size_t len, char *out, size_t size)
{
    const unsigned char  *s = (const unsigned char *) text;
    const char           *rep;
    size_t                i, o, n, start, end, k;
    int                   letters, digits, word;

    o = 0;
    i = 0;

    while (i < len && o + 1 < size) {
        rep = NULL;
        n = 0;
        word = (i == 0 || !north_scrub_alnum(s[i - 1]));

        if (word && len - i > 7 && strncmp((const char *) s + i, "Bearer ", 7)
                                   == 0)
        {
            n = 7 + north_scrub_run(s + i + 7, len - i - 7, 1, &letters,
                                    &digits);
            rep = "[token]";

        } else if (word && north_scrub_alnum(s[i])) {
            /* an e-mail: its '@' within the word ahead */
            for (k = i; k < len && (north_scrub_alnum(s[k]) || s[k] == '.'
                                    || s[k] == '_' || s[k] == '%'
                                    || s[k] == '+' || s[k] == '-'); k++)
            {
                /* void */
            }

            if (k < len && s[k] == '@'
                && (end = north_scrub_email(s, len, &start, k)) != 0
                && start == i)
            {
                n = end - i;
                rep = "[email]";
            }

            if (rep == NULL) {
                k = north_scrub_run(s + i, len - i, 1, &letters, &digits);

                if (k >= 20 && letters && digits) {
                    n = k;
                    rep = "[token]";
                }
            }

            if (rep == NULL && (k = north_scrub_number(s + i, len - i))) {
                n = k;
                rep = "[number]";
            }

            if (rep == NULL && (k = north_scrub_amount(s + i, len - i))) {
                n = k;
                rep = "[amount]";
            }

        } else if (s[i] == '$' && (k = north_scrub_amount(s + i, len - i))) {
            n = k;
            rep = "[amount]";
        }

        if (rep == NULL) {
            out[o++] = (char) s[i++];
            continue;
        }

        for (k = 0; rep[k] && o + 1 < size; k++) {
            out[o++] = rep[k];
        }

        i += n;
    }

    out[o] = '\0';

    return o;
}
