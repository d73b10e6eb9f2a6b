/*
 * Categorisation: the key, matching, each level of precedence, the tables'
 * integrity, and sql/catalog.sql being this file's output.
 * Run with --sql to print the catalog (./build.sh catalog), with --rule
 * MERCHANT to print North's rule for it (t/analytics.t).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "north_category.h"


static const char *
key(const char *text)
{
    static char  out[512];

    (void) north_category_key(text, out);
    return out;
}


static void
test_key(void **state)
{
    (void) state;

    assert_string_equal(key("TIM HORTONS #1234"), " tim hortons 1234 ");
    assert_string_equal(key("Hydro-Québec"), " hydro quebec ");
    assert_string_equal(key("McDonald's"), " mcdonalds ");
    assert_string_equal(key("McDonald\xe2\x80\x99s"), " mcdonalds ");
    assert_string_equal(key("ÉPICERIE  Œuvre—Ça"), " epicerie oeuvre ca ");
    assert_string_equal(key("  PETRO-CANADA  "), " petro canada ");
    assert_string_equal(key("*** ---"), "");
    assert_int_equal(north_category_key("", (char[8]) { 0 }), 0);
}


static void
test_match(void **state)
{
    const north_category_rule_t  *m;

    static const north_category_rule_t  rules[] = {
        { "metro", "groceries" }, { "canadian tire", "general_merchandise" },
        { "canadian tire gas", "gas" }, { "bell", "phone_internet" },
        { "taco bell", "dining" }
    };

    (void) state;

    m = north_category_match(rules, 5, " metro 452 montreal qc ");
    assert_non_null(m);
    assert_string_equal(m->category, "groceries");

    /* a word, not a part of one */
    assert_null(north_category_match(rules, 5, " metrolinx go "));
    assert_null(north_category_match(rules, 5, " bellevue cafe "));

    /* the longest pattern wins */
    m = north_category_match(rules, 5, " canadian tire gas 123 ");
    assert_string_equal(m->category, "gas");
    m = north_category_match(rules, 5, " taco bell 88 ");
    assert_string_equal(m->category, "dining");
    m = north_category_match(rules, 5, " bell canada ");
    assert_string_equal(m->category, "phone_internet");

    /* a later occurrence at word boundaries still counts */
    m = north_category_match(rules, 5, " metrobus metro ");
    assert_string_equal(m->category, "groceries");

    assert_null(north_category_match(rules, 0, " metro "));
    assert_null(north_category_match(rules, 5, ""));
}


static void
test_north_rules(void **state)
{
    size_t  i;

    static const char *const  cases[][2] = {
        { "TIM HORTONS #2231", "coffee" },
        { "LOBLAWS 1012", "groceries" },
        { "METRO 452", "groceries" },
        { "SOBEYS #712", "groceries" },
        { "IGA EXTRA", "groceries" },
        { "PROVIGO LE MARCHE", "groceries" },
        { "SHOPPERS DRUG MART #1021", "pharmacy" },
        { "CANADIAN TIRE #455", "general_merchandise" },
        { "CANADIAN TIRE GAS+ #455", "gas" },
        { "PETRO-CANADA 8890", "gas" },
        { "ESSO CIRCLE K", "gas" },
        { "PRESTO FARE/TRANSIT", "transit" },
        { "STM-METRO BERRI", "transit" },
        { "OC TRANSPO", "transit" },
        { "TTC SUBWAY", "transit" },
        { "HYDRO ONE NETWORKS", "electricity" },
        { "Hydro-Québec", "electricity" },
        { "BC HYDRO", "electricity" },
        { "ROGERS WIRELESS", "phone_internet" },
        { "BELL CANADA", "phone_internet" },
        { "TELUS MOBILITY", "phone_internet" },
        { "VIDEOTRON LTEE", "phone_internet" },
        { "SAQ 23045", "alcohol" },
        { "LCBO/RAO #217", "alcohol" },
        { "CRA TAX PAYMENT", "government_taxes" },
        { "UBER EATS", "dining" },
        { "UBER TRIP", "rideshare" },
        { "WS RRSP CONTRIBUTION", "rrsp" },
        { "Cotisation CELI", "tfsa" }
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const north_category_rule_t  *m;

        m = north_category_match(north_category_rules, -1, key(cases[i][0]));
        if (m == NULL || strcmp(m->category, cases[i][1]) != 0) {
            fail_msg("%s: %s, not %s", cases[i][0],
                     m ? m->category : "no rule", cases[i][1]);
        }
    }
}


static void
test_plaid(void **state)
{
    (void) state;

    assert_string_equal(north_category_plaid("FOOD_AND_DRINK",
                                             "FOOD_AND_DRINK_COFFEE"),
                        "coffee");
    /* an unknown detailed name falls back to its primary */
    assert_string_equal(north_category_plaid("FOOD_AND_DRINK",
                                             "FOOD_AND_DRINK_NEW_THING"),
                        "dining");
    assert_string_equal(north_category_plaid("TRANSFER_OUT", NULL),
                        "transfers");
    assert_string_equal(north_category_plaid(NULL,
                            "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
                        "credit_card_payment");
    assert_null(north_category_plaid("SOMETHING_ELSE", NULL));
    assert_null(north_category_plaid(NULL, NULL));
}


/* each level wins over every level below it, and only when present */
static void
test_precedence(void **state)
{
    const char                *c;
    north_category_tx_t        tx;
    north_category_source_e    src;

    static const north_category_rule_t  user[] = {
        { "tim hortons", "dining" }
    };

    (void) state;

    tx.user_category = "gifts_donations";
    tx.merchant = "TIM HORTONS #12";
    tx.pfc_primary = "FOOD_AND_DRINK";
    tx.pfc_detailed = "FOOD_AND_DRINK_COFFEE";
    tx.transfer_twin = 1;

    c = north_category_pick(&tx, user, 1, &src);
    assert_string_equal(c, "gifts_donations");
    assert_int_equal(src, NORTH_CATEGORY_FROM_USER);

    tx.user_category = NULL;
    c = north_category_pick(&tx, user, 1, &src);
    assert_string_equal(c, "dining");
    assert_string_equal(north_category_source_name(src), "user_rule");

    c = north_category_pick(&tx, user, 0, &src);
    assert_string_equal(c, "transfers");
    assert_int_equal(src, NORTH_CATEGORY_FROM_TRANSFER);

    tx.transfer_twin = 0;
    c = north_category_pick(&tx, user, 0, &src);
    assert_string_equal(c, "coffee");
    assert_int_equal(src, NORTH_CATEGORY_FROM_NORTH);

    tx.merchant = "CAFE DU COIN";
    tx.pfc_detailed = "FOOD_AND_DRINK_RESTAURANT";
    c = north_category_pick(&tx, user, 1, &src);
    assert_string_equal(c, "dining");
    assert_int_equal(src, NORTH_CATEGORY_FROM_PLAID);

    tx.pfc_primary = NULL;
    tx.pfc_detailed = NULL;
    c = north_category_pick(&tx, user, 1, &src);
    assert_string_equal(c, NORTH_CATEGORY_UNCATEGORISED);
    assert_string_equal(north_category_source_name(src), "none");

    tx.merchant = NULL;
    c = north_category_pick(&tx, user, 1, &src);
    assert_string_equal(c, NORTH_CATEGORY_UNCATEGORISED);
}


/* every id once, parents first and known, every rule's category known */
static void
test_tables(void **state)
{
    char                          k[512];
    const north_category_t       *c, *d;
    const north_category_rule_t  *m;

    (void) state;

    for (c = north_categories; c->id; c++) {
        for (d = north_categories; d < c; d++) {
            assert_string_not_equal(c->id, d->id);
        }

        if (c->parent != NULL) {
            d = north_category_find(c->parent);
            assert_non_null(d);
            assert_true(d < c);
            assert_null(d->parent);
            assert_int_equal(d->kind, c->kind);
        }

        assert_true(strlen(c->name_en) > 0 && strlen(c->name_fr) > 0);
    }

    for (m = north_category_rules; m->pattern; m++) {
        if (north_category_find(m->category) == NULL) {
            fail_msg("rule %s: no category %s", m->pattern, m->category);
        }

        /* a pattern is written as a key is, or it never matches */
        (void) north_category_key(m->pattern, k);
        k[strlen(k) - 1] = '\0';
        assert_string_equal(k + 1, m->pattern);
    }

    for (m = north_category_pfc; m->pattern; m++) {
        assert_non_null(north_category_find(m->category));
    }

    assert_non_null(north_category_find(NORTH_CATEGORY_UNCATEGORISED));
    assert_int_equal(north_category_find(NORTH_CATEGORY_TRANSFERS)->kind,
                     NORTH_CATEGORY_TRANSFER);
    assert_null(north_category_find("no_such_thing"));
}


/* sql/catalog.sql is what this file writes: edit the C, then catalog */
static void
test_catalog_sql(void **state)
{
    FILE    *f, *mem;
    char    *want, *have;
    size_t   want_len, have_len;
    char     path[4096];

    (void) state;

    snprintf(path, sizeof(path), "%s/../../sql/catalog.sql",
             NORTH_TEST_DIR);

    f = fopen(path, "r");
    assert_non_null(f);
    have = malloc(1 << 20);
    have_len = fread(have, 1, 1 << 20, f);
    fclose(f);

    mem = open_memstream(&want, &want_len);
    assert_int_equal(north_category_sql(mem), 0);
    fclose(mem);

    if (have_len != want_len || memcmp(have, want, want_len) != 0) {
        fail_msg("sql/catalog.sql is stale: run ./build.sh catalog");
    }

    free(have);
    free(want);
}


int
main(int argc, char **argv)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_north_rules),
        cmocka_unit_test(test_plaid),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_catalog_sql),
    };

    if (argc == 2 && strcmp(argv[1], "--sql") == 0) {
        return north_category_sql(stdout) == 0 ? 0 : 1;
    }

    /* North's rule for a merchant, for t/analytics.t to compare with SQL */
    if (argc == 3 && strcmp(argv[1], "--rule") == 0) {
        const north_category_rule_t  *m;

        m = north_category_match(north_category_rules, -1, key(argv[2]));
        printf("%s\n", m ? m->category : "-");
        return 0;
    }

    return cmocka_run_group_tests(tests, NULL, NULL);
}
