/*
 * North password policy (length in characters, not the e-mail, not a
 * common password) and e-mail normalisation.
 */

#include "north_password.h"
#include "north_check.h"

#include <string.h>
#include <strings.h>


/*
 * The most common passwords of 8 characters or more in public breach
 * corpora (shorter ones fail the length rule anyway), compared without
 * regard to case.
 */
static const char *const  north_common_passwords[] = {
    "12345678", "123456789", "1234567890", "12345678910", "123123123",
    "11111111", "00000000", "88888888", "87654321", "12341234", "11223344",
    "123456789a", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "qwertyuiop",
    "qwerty123", "qwerty1234", "q1w2e3r4", "q1w2e3r4t5", "zaq12wsx",
    "password", "password1", "password12", "password123", "password!",
    "passw0rd", "p@ssw0rd", "p@ssword", "pa$$word", "iloveyou", "iloveyou1",
    "sunshine", "princess", "football", "baseball", "basketball", "hockey123",
    "welcome1", "welcome123", "abc12345", "abcd1234", "abcdefgh", "asdfghjkl",
    "asdf1234", "zxcvbnm1", "zxcvbnm123", "letmein1", "trustno1", "whatever",
    "superman", "batman123", "starwars", "computer", "internet", "michelle",
    "jennifer", "jordan23", "liverpool", "chocolate", "butterfly", "samsung1",
    "mustang1", "shadow12", "master123", "monkey123", "dragon123", "killer123",
    "qazwsxedc", "1234qwer", "qwer1234", "admin123", "administrator",
    "changeme", "changeme1", "default1", "secret123", "123qweasd",
    "canada123", "canada2024", "canada2025", "canada2026", "montreal",
    "toronto1", "vancouver", "calgary1", "ottawa123", "quebec123",
    "canadiens", "mapleleafs", "motdepasse", "motdepasse1", "bonjour1",
    "soleil123", "azertyuiop", "azerty123", "north123", "northapp1",
    NULL
};


const char *
north_password_check(const char *pw, size_t len, const char *email,
    size_t email_len)
{
    long                n;
    const char *const  *c;

    n = north_utf8_length((const unsigned char *) pw, len);

    if (n < 0) {
        return "must be valid UTF-8";
    }

    if (n < NORTH_PASSWORD_MIN) {
        return "must be at least 8 characters long";
    }

    if (n > NORTH_PASSWORD_MAX) {
        return "must be at most 128 characters long";
    }

    if (email != NULL && len == email_len
        && strncasecmp(pw, email, len) == 0)
    {
        return "must not be the e-mail address";
    }

    for (c = north_common_passwords; *c; c++) {
        if (strlen(*c) == len && strncasecmp(*c, pw, len) == 0) {
            return "is too common: choose another";
        }
    }

    return NULL;
}


size_t
north_email_normalize(const char *in, size_t len, char *out)
{
    size_t  i, n;
    int     domain;

    while (len && (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')) {
        in++;
        len--;
    }

    while (len && (in[len - 1] == ' ' || in[len - 1] == '\t'
                   || in[len - 1] == '\r' || in[len - 1] == '\n'))
    {
        len--;
    }

    domain = 0;

    for (i = 0, n = 0; i < len; i++) {
        char  ch = in[i];

        if (ch == '@') {
            domain = 1;

        } else if (domain && ch >= 'A' && ch <= 'Z') {
            ch = (char) (ch - 'A' + 'a');
        }

        out[n++] = ch;
    }

    return n;
}
