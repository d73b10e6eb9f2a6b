/* Unit tests of north_password.c: the password policy, e-mail form. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "north_password.h"


#define P(s)  (s), strlen(s)


static void
test_length_counts_characters(void **state)
{
    assert_non_null(north_password_check(P("Short7!"), NULL, 0));
    assert_null(north_password_check(P("Tr\xc3\xa8s-long"), NULL, 0));
    /* 7 characters in 14 bytes: too short */
    assert_non_null(north_password_check(
        P("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), NULL, 0));

    char  long_pw[200];
    memset(long_pw, 'x', 128);
    long_pw[0] = 'Q';
    assert_null(north_password_check(long_pw, 128, NULL, 0));
    memset(long_pw, 'x', 129);
    assert_non_null(north_password_check(long_pw, 129, NULL, 0));
}


static void
test_not_email_not_common(void **state)
{
    assert_string_equal(north_password_check(P("Me@North.ca"), P("me@north.ca")),
                        "must not be the e-mail address");
    assert_string_equal(north_password_check(P("Password1"), NULL, 0),
                        "is too common: choose another");
    assert_non_null(north_password_check(P("12345678"), NULL, 0));
    assert_non_null(north_password_check(P("MotDePasse"), NULL, 0));
    assert_null(north_password_check(P("correct horse battery"), NULL, 0));
    assert_non_null(north_password_check("ab\xff" "cdefgh", 9, NULL, 0));
}


static void
test_email_normalize(void **state)
{
    char    out[64];
    size_t  n;

    n = north_email_normalize(P("  Jean.Tremblay@Example.QC.CA \n"), out);
    assert_int_equal(n, strlen("Jean.Tremblay@example.qc.ca"));
    assert_memory_equal(out, "Jean.Tremblay@example.qc.ca", n);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_counts_characters),
        cmocka_unit_test(test_not_email_not_common),
        cmocka_unit_test(test_email_normalize),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
