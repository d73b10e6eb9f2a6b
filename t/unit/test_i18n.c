/* Unit tests of north_i18n.c: French messages and Accept-Language. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "north_i18n.h"
#include "north_password.h"


#define S(s)  (const unsigned char *) (s), strlen(s)


static void
test_translates_known_messages(void **state)
{
    assert_string_equal(north_i18n_fr("Not found"), "Introuvable");
    assert_string_equal(north_i18n_fr("is required"), "est requis");
    assert_string_equal(north_i18n_fr("no such text"), "no such text");
    assert_null(north_i18n_fr(NULL));
}


static void
test_analytics_and_goals_messages_have_french(void **state)
{
    size_t  i;

    static const char *const  en[] = {
        "must be a date (YYYY-MM-DD)", "must be week, month or year",
        "is not a category (GET /v1/categories lists them)",
        "no such goal", "no such manual item", "Wrong kind of account",
        "Contribution in the future",
        "at most 100 assets and liabilities are kept by hand"
    };

    for (i = 0; i < sizeof(en) / sizeof(en[0]); i++) {
        assert_string_not_equal(north_i18n_fr(en[i]), en[i]);
    }
}


static void
test_every_password_message_has_french(void **state)
{
    const char  *why[] = {
        north_password_check("short", 5, NULL, 0),
        north_password_check("password123", 11, NULL, 0),
        north_password_check("a@b.ca.long", 11, "a@b.ca.long", 11),
        north_password_check("\xff\xff\xff\xff\xff\xff\xff\xff", 8, NULL, 0)
    };
    size_t  i;

    for (i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
        assert_non_null(why[i]);
        assert_string_not_equal(north_i18n_fr(why[i]), why[i]);
    }
}


static void
test_accept_language(void **state)
{
    assert_true(north_i18n_prefers_fr(S("fr-CA")));
    assert_true(north_i18n_prefers_fr(S("fr")));
    assert_true(north_i18n_prefers_fr(S("FR-ca, en;q=0.8")));
    assert_true(north_i18n_prefers_fr(S(" fr;q=1")));
    assert_false(north_i18n_prefers_fr(S("en-CA, fr;q=0.9")));
    assert_false(north_i18n_prefers_fr(S("fri")));
    assert_false(north_i18n_prefers_fr(S("")));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translates_known_messages),
        cmocka_unit_test(test_every_password_message_has_french),
        cmocka_unit_test(test_analytics_and_goals_messages_have_french),
        cmocka_unit_test(test_accept_language),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
