/*
 * North AI's parser (north_ai.c) against the labelled evaluation set,
 * t/ai/eval.tsv: intent accuracy and exact-slot accuracy must stay at or
 * above the goals (95% and 90%). Also the slots' JSON both ways, and a
 * model's hostile slots refused.
 *
 * With --eval FILE, prints the accuracies and every miss (bench/ai-eval).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "north_check.h"
#include "north_category.h"
#include "north_ai.h"
#include "north_afford.h"


#define EVAL_MAX_MERCHANTS  256
#define EVAL_MAX_ACCOUNTS   32
#define EVAL_MAX_GOALS      32


typedef struct {
    north_ai_context_t   ctx;
    char                *merchants[EVAL_MAX_MERCHANTS];
    north_ai_account_t   accounts[EVAL_MAX_ACCOUNTS];
    north_ai_goal_t      goals[EVAL_MAX_GOALS];
    size_t               questions, french, intents, slots, languages;
} eval_t;


static char *
eval_dup(const char *s, size_t len)
{
    char  *d = malloc(len + 1);

    memcpy(d, s, len);
    d[len] = '\0';

    return d;
}


/* "word rest": the first word, and the rest */
static char *
eval_split(char *s)
{
    char  *sp = strchr(s, ' ');

    if (sp == NULL) {
        return s + strlen(s);
    }

    *sp = '\0';

    return sp + 1;
}


static int
eval_run(const char *path, int verbose, eval_t *ev)
{
    FILE              *f;
    char               line[2048], got[512], *field[5], *s, *rest;
    char               key[NORTH_CATEGORY_KEY_MAX + 3];
    size_t             n, k;
    north_ai_query_t   q, previous;
    int                have_previous;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }

    memset(ev, 0, sizeof(eval_t));
    ev->ctx.merchants = (const char *const *) ev->merchants;
    ev->ctx.accounts = ev->accounts;
    ev->ctx.goals = ev->goals;
    have_previous = 0;

    while (fgets(line, sizeof(line), f)) {
        n = strlen(line);

        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }

        if (n == 0 || line[0] == '#') {
            continue;
        }

        if (strncmp(line, "today ", 6) == 0) {
            north_date_parse(line + 6, &ev->ctx.today);
            continue;
        }

        if (strncmp(line, "locale ", 7) == 0) {
            ev->ctx.fr = strcmp(line + 7, "fr") == 0;
            continue;
        }

        if (strncmp(line, "merchant ", 9) == 0) {
            n = north_category_key(line + 9, key);
            ev->merchants[ev->ctx.nmerchants++] = eval_dup(key, n);
            continue;
        }

        if (strncmp(line, "account ", 8) == 0) {
            s = line + 8;
            rest = eval_split(s);
            ev->accounts[ev->ctx.naccounts].id = eval_dup(s, strlen(s));
            s = rest;
            rest = eval_split(s);
            ev->accounts[ev->ctx.naccounts].kind = eval_dup(s, strlen(s));
            ev->accounts[ev->ctx.naccounts++].name = eval_dup(rest,
                                                              strlen(rest));
            continue;
        }

        if (strncmp(line, "goal ", 5) == 0) {
            s = line + 5;
            rest = eval_split(s);
            ev->goals[ev->ctx.ngoals].id = eval_dup(s, strlen(s));
            ev->goals[ev->ctx.ngoals++].name = eval_dup(rest, strlen(rest));
            continue;
        }

        /* q|+ TAB lang TAB question TAB intent TAB slots */
        s = line;

        for (k = 0; k < 5; k++) {
            field[k] = s;
            s = strchr(s, '\t');

            if (s == NULL) {
                break;
            }

            *s++ = '\0';
        }

        if (k < 3) {
            fprintf(stderr, "%s: bad line: %s\n", path, line);
            fclose(f);
            return -1;
        }

        if (k == 3) {
            field[4] = "";
        }

        north_ai_parse(field[2], &ev->ctx,
                       field[0][0] == '+' && have_previous ? &previous : NULL,
                       &q);
        previous = q;
        have_previous = 1;

        north_ai_slots_text(&q, &ev->ctx, got, sizeof(got));

        ev->questions++;
        ev->french += strcmp(field[1], "fr") == 0;

        if (north_ai_french(field[2], ev->ctx.fr) == (strcmp(field[1], "fr")
                                                      == 0))
        {
            ev->languages++;
        }

        if (strcmp(north_ai_intents[q.intent], field[3]) == 0) {
            ev->intents++;

            if (strcmp(got, field[4]) == 0) {
                ev->slots++;
                continue;
            }
        }

        if (verbose) {
            printf("MISS %s [%s]\n  want %s | %s\n  got  %s | %s\n",
                   field[0][0] == '+' ? "(follow-up)" : "", field[2],
                   field[3], field[4], north_ai_intents[q.intent], got);
        }
    }

    fclose(f);

    return 0;
}


static void
eval_report(eval_t *ev)
{
    printf("questions: %zu (%zu French, %.1f%%)\n", ev->questions, ev->french,
           100.0 * ev->french / ev->questions);
    printf("intent accuracy: %.1f%% (%zu of %zu)\n",
           100.0 * ev->intents / ev->questions, ev->intents, ev->questions);
    printf("exact-slot accuracy: %.1f%% (%zu of %zu)\n",
           100.0 * ev->slots / ev->questions, ev->slots, ev->questions);
    printf("language accuracy: %.1f%%\n",
           100.0 * ev->languages / ev->questions);
}


static void
test_eval_set(void **state)
{
    static eval_t  ev;

    assert_int_equal(eval_run(NORTH_TEST_DIR "/../ai/eval.tsv", 0, &ev), 0);

    assert_true(ev.questions >= 400);
    assert_true(ev.french * 100 >= ev.questions * 40);
    assert_true(ev.intents * 100 >= ev.questions * 95);
    assert_true(ev.slots * 100 >= ev.questions * 90);
}


static const north_ai_account_t  accounts[] = {
    { "a-chq", "Everyday Chequing", "chequing" },
    { "a-visa", "Visa Infinite", "credit_card" }
};

static const north_ai_goal_t  goals[] = {
    { "g-vac", "Vacances au Japon" }
};

static const char *const  merchants[] = { " costco ", " tim hortons " };

static const north_ai_context_t  ctx = {
    20775,      /* 2026-11-18 */
    0, merchants, 2, accounts, 2, goals, 1
};


static void
test_amounts(void **state)
{
    north_ai_query_t   q;
    size_t             i;

    static const struct {
        const char  *question;
        int64_t      cents;
    } cases[] = {
        { "Can I afford $1,500?", 150000 },
        { "can i afford 1.5k", 150000 },
        { "Puis-je me permettre 1 500 $ ?", 150000 },
        { "Can I afford 1500 dollars", 150000 },
        { "Puis-je me permettre mille cinq cents dollars", 150000 },
        { "Est-ce que j'ai les moyens de payer 12,50 $", 1250 },
        { "can I afford two thousand bucks", 200000 },
        { "can I afford a $2,499.99 TV", 249999 },
        { "Ai-je les moyens pour quatre-vingt dollars", 8000 },
        { "can I afford 900", 90000 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        north_ai_parse(cases[i].question, &ctx, NULL, &q);
        assert_int_equal(q.intent, NORTH_AI_AFFORD);
        assert_int_equal(q.amount_cents, cases[i].cents);
    }
}


static void
test_json_round_trip(void **state)
{
    json_t            *j;
    const char        *error;
    north_ai_query_t   q, back;

    north_ai_parse("How much did I spend at Costco on my Visa in March?",
                   &ctx, NULL, &q);
    assert_int_equal(q.intent, NORTH_AI_SPENDING);

    j = north_ai_slots_json(&q, &ctx);
    assert_non_null(j);

    north_ai_query_init(&back);
    back.intent = q.intent;
    assert_int_equal(north_ai_slots_read(j, &ctx, &back, &error), 0);
    assert_int_equal(back.start, q.start);
    assert_int_equal(back.end, q.end);
    assert_string_equal(back.merchant, "costco");
    assert_int_equal(back.account, 1);

    json_decref(j);
}


/* what a hostile model might send is refused, naming the slot */
static void
test_hostile_slots(void **state)
{
    size_t             i;
    json_t            *j;
    const char        *error;
    north_ai_query_t   q;

    static const struct {
        const char  *slots;
        const char  *slot;
    } cases[] = {
        { "{\"account_id\": \"someone-else\"}", "account_id" },
        { "{\"goal_id\": 7}", "goal_id" },
        { "{\"categories\": [\"caviar\"]}", "categories" },
        { "{\"amount_cents\": \"1500\"}", "amount_cents" },
        { "{\"amount_cents\": -5}", "amount_cents" },
        { "{\"period\": {\"start\": \"2026-02-30\", \"end\": \"2026-03-01\"}}",
          "period" },
        { "{\"period\": {\"start\": \"2026-03-01\", \"end\": \"2026-02-01\"}}",
          "period" },
        { "{\"merchant\": \"Amazon\"}", "merchant" },
        { "{\"user_id\": \"x\"}", "user_id" },
        { "{\"limit\": 1000}", "limit" },
        { "{\"recurring\": \"weekly\"}", "recurring" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        j = json_loads(cases[i].slots, 0, NULL);
        assert_non_null(j);

        north_ai_query_init(&q);
        assert_int_equal(north_ai_slots_read(j, &ctx, &q, &error), -1);
        assert_string_equal(error, cases[i].slot);

        json_decref(j);
    }
}


/*
 * Today Wednesday 2026-11-18 (day 20775), $3,000 liquid, a $1,000 buffer.
 * Pay of $2,500 every two weeks from Friday 2026-11-20 (20777:
 * then 12-04, 12-18), rent of $1,500 on each 1st (12-01, 20788). A one-off
 * on 2026-11-25 (20782) is projected to 30 days after it, 2026-12-25.
 * Without it: 3,000 -> 5,500 (11-20) -> 4,000 (12-01) -> 6,500 -> 9,000;
 * the lowest is today's $3,000, the end $9,000.
 */
static const north_insights_flow_t  afford_flows[] = {
    { NORTH_INSIGHTS_BIWEEKLY, 20777, 20, 250000 },
    { NORTH_INSIGHTS_MONTHLY, 20788, 1, -150000 },
};

static void
test_afford(void **state)
{
    north_afford_in_t   in;
    north_afford_out_t  out;

    memset(&in, 0, sizeof(in));
    in.today = 20775;
    in.balance_cents = 300000;
    in.buffer_cents = 100000;
    in.flows = afford_flows;
    in.nflows = 2;
    in.date = 20782;

    /* $1,500: 5,500 - 1,500 = 4,000, then 2,500 after rent: yes */
    in.amount_cents = 150000;
    assert_int_equal(north_afford(&in, &out), 0);
    assert_int_equal(out.horizon, 20812);
    assert_int_equal(out.lowest_cents, 300000);
    assert_int_equal(out.lowest_day, 20775);
    assert_int_equal(out.end_cents, 900000);
    assert_int_equal(out.lowest_with_cents, 250000);
    assert_int_equal(out.lowest_with_day, 20788);
    assert_int_equal(out.end_with_cents, 750000);
    assert_int_equal(out.verdict, NORTH_AFFORD_YES);
    assert_int_equal(out.shortfall_cents, 0);
    assert_int_equal(out.income_cents, 750000);
    assert_int_equal(out.bills_cents, 150000);

    /* $4,000: 1,500, then $0 after rent: the buffer is gone, tight */
    in.amount_cents = 400000;
    assert_int_equal(north_afford(&in, &out), 0);
    assert_int_equal(out.lowest_with_cents, 0);
    assert_int_equal(out.verdict, NORTH_AFFORD_TIGHT);
    assert_int_equal(out.shortfall_cents, 100000);

    /* $5,000: 500, then -$1,000 after rent: no */
    in.amount_cents = 500000;
    assert_int_equal(north_afford(&in, &out), 0);
    assert_int_equal(out.lowest_with_cents, -100000);
    assert_int_equal(out.lowest_with_day, 20788);
    assert_int_equal(out.verdict, NORTH_AFFORD_NO);
    assert_int_equal(out.shortfall_cents, 200000);

    /* $300 a month from 2026-12-05 (20792) for a year: 13 payments to
     * 2027-12-05; the goals' $500 leave on each 1st from 12-01 too */
    in.amount_cents = 30000;
    in.date = 20792;
    in.monthly = 1;
    in.goals_cents = 50000;
    assert_int_equal(north_afford(&in, &out), 0);
    assert_int_equal(out.horizon, 20775 + 17 + 365);
    assert_int_equal(out.end_cents - out.end_with_cents, 13 * 30000);
    /* the first 1st: 5,500 - 1,500 - 500 = 3,500; with the first $300
     * on 12-05 after the 12-04 pay the low stays at 12-01 */
    assert_int_equal(out.lowest_cents, 300000);
    assert_int_equal(out.verdict, NORTH_AFFORD_YES);

    /* dates outside today .. a year ahead are not questions */
    in.date = 20774;
    assert_int_equal(north_afford(&in, &out), -1);
    in.date = 20775 + 366;
    assert_int_equal(north_afford(&in, &out), -1);

    /* $2,000 covered from a goal saving $90,000 over 90 days ($1,000 a
     * day): 200 days of its saving. $100 a month out of its $30,000 a month
     * with $3,000 left: 300 days at the old pace, 450 at $200 a month */
    assert_int_equal(north_afford_delay(200000, 0, 90000, 90, 500000), 200);
    assert_int_equal(north_afford_delay(10000, 1, 90000, 90, 300000), 150);
    assert_int_equal(north_afford_delay(10000, 0, 0, 90, 300000), -1);
    assert_int_equal(north_afford_delay(0, 0, 0, 90, 300000), 0);
}


int
main(int argc, char **argv)
{
    static eval_t  ev;

    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_hostile_slots),
        cmocka_unit_test(test_afford),
        cmocka_unit_test(test_eval_set),
    };

    if (argc == 3 && strcmp(argv[1], "--eval") == 0) {
        if (eval_run(argv[2], 1, &ev) != 0) {
            return 1;
        }

        eval_report(&ev);
        return 0;
    }

    return cmocka_run_group_tests(tests, NULL, NULL);
}
