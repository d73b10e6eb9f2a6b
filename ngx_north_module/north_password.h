/*
 * North password policy and e-mail normalisation: pure C, unit-tested in
 * t/unit/test_password.c.
 */

#ifndef NORTH_PASSWORD_H
#define NORTH_PASSWORD_H

#include <stddef.h>


#define NORTH_PASSWORD_MIN  8
#define NORTH_PASSWORD_MAX  128

/* NULL when the password may be used, else why not (a static string). */
const char *north_password_check(const char *pw, size_t len,
    const char *email, size_t email_len);

/*
 * Trims white space and lowercases the domain (the local part's case is
 * the owner's); out has room for len bytes. Returns the new length.
 */
size_t north_email_normalize(const char *in, size_t len, char *out);

#endif /* NORTH_PASSWORD_H */
