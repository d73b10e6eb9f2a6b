/*
 * Tax API: the user's tax profile, a year's TFSA, RRSP and FHSA room with
 * what went into each account, and the refund an RRSP contribution would
 * bring. PostgreSQL holds the figures and the accounts' movements
 * (north.tax_facts, one statement); the arithmetic is north_tax.c's.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"
#include "north_format.h"
#include "north_tax.h"
#include "tax.h"


#define NORTH_TAX_CENTS_MAX    10000000000LL      /* $100 million */
#define NORTH_TAX_INCOME_MAX   100000000000LL     /* $1 billion */
#define NORTH_TAX_RRSP_BUFFER  200000             /* CRA's $2,000 */
#define NORTH_TAX_TFSA_START   2009
#define NORTH_TAX_TFSA_AGE     18
#define NORTH_TAX_FHSA_START   2023
#define NORTH_TAX_FHSA_YEARS   15                 /* open at most this long */
#define NORTH_TAX_FHSA_AGE     71                 /* or to this age */


/* POST /v1/tax/rrsp-estimate's body, for its continuation */
typedef struct {
    int64_t                      amount;
    int64_t                      income;      /* -1: the profile's */
} north_tax_estimate_t;


static ngx_int_t north_tax_profile(ngx_http_request_t *r);
static ngx_int_t north_tax_profile_put(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_tax_summary(ngx_http_request_t *r);
static ngx_int_t north_tax_summary_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static int north_tax_rrsp_of(north_tax_facts_t *tf, north_tax_rrsp_in_t *in,
    north_tax_rrsp_out_t *out);
static json_t *north_tax_rrsp_section(north_tax_facts_t *tf,
    north_tax_rrsp_out_t *out);
static json_t *north_tax_fhsa(north_tax_facts_t *tf);
static void north_tax_excess(north_tax_facts_t *tf, const char *code,
    const char *en, const char *fr, const north_tax_room_out_t *out);
static ngx_int_t north_tax_estimate(ngx_http_request_t *r);
static ngx_int_t north_tax_estimate_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_tax_estimate_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static json_t *north_tax_lines(const north_tax_out_t *o);
static ngx_int_t north_tax_query(ngx_http_request_t *r, const char *year,
    ngx_http_north_pg_done_pt done, void *data);
static ngx_int_t north_tax_problem(ngx_http_request_t *r, const char *type,
    const char *title, const char *detail);
static int north_tax_this_year(void);


static ngx_http_north_pg_stmt_t  north_tax_profile_stmt =
    ngx_http_north_pg_stmt("north_tax_profile",
        "select north.tax_profile_json($1)::text", 1, 1);

static ngx_http_north_pg_stmt_t  north_tax_profile_put_stmt =
    ngx_http_north_pg_stmt("north_tax_profile_put",
        "select north.tax_profile_put($1, $2::jsonb)::text", 2, 1);

static ngx_http_north_pg_stmt_t  north_tax_facts_stmt =
    ngx_http_north_pg_stmt("north_tax_facts",
        "select north.tax_facts($1, $2::int)::text", 2, 1);


/* GET, PUT /v1/tax/profile */

static ngx_int_t
north_tax_profile(ngx_http_request_t *r)
{
    const char  *values[1];

    if (r->method == NGX_HTTP_PUT) {
        return ngx_http_north_json_read(r, north_tax_profile_put);
    }

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_tax_profile_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/*
 * The whole profile: each member may be left out or null (not known).
 * The two figures CRA states for a year come with their year.
 */

static ngx_int_t
north_tax_profile_put(ngx_http_request_t *r, json_t *body)
{
    int                       year;
    ngx_int_t                 rc, rc2;
    json_int_t                v, born, since;
    const char               *values[2];
    ngx_uint_t                i;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "birth_year", "province", "resident_since_year",
        "rrsp_deduction_limit_cents", "rrsp_deduction_limit_year",
        "prior_year_earned_income_cents", "pension_adjustment_cents",
        "fhsa_opened_year", "tfsa_room_cents", "tfsa_room_year", NULL
    };

    /* each figure of a year, and the year it is for */
    static const char *const  pairs[][2] = {
        { "rrsp_deduction_limit_cents", "rrsp_deduction_limit_year" },
        { "tfsa_room_cents", "tfsa_room_year" }
    };

    values[0] = ngx_http_north_caller(r);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    year = north_tax_this_year();

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_enum(&f, "province", 0, north_provinces);

    rc = ngx_http_north_field_integer(&f, "birth_year", 0, 1900, year, &born);
    rc2 = ngx_http_north_field_integer(&f, "resident_since_year", 0, 1900,
                                       year, &since);

    if (rc == NGX_OK && rc2 == NGX_OK && since < born) {
        ngx_http_north_fields_error(&f, "resident_since_year",
                                    "must not be before birth_year");
    }

    (void) ngx_http_north_field_integer(&f, "rrsp_deduction_limit_cents", 0,
                                        0, NORTH_TAX_CENTS_MAX, &v);
    (void) ngx_http_north_field_integer(&f, "rrsp_deduction_limit_year", 0,
                                        1991, year + 1, &v);
    (void) ngx_http_north_field_integer(&f, "prior_year_earned_income_cents",
                                        0, 0, NORTH_TAX_INCOME_MAX, &v);
    (void) ngx_http_north_field_integer(&f, "pension_adjustment_cents", 0,
                                        0, NORTH_TAX_CENTS_MAX, &v);
    (void) ngx_http_north_field_integer(&f, "fhsa_opened_year", 0,
                                        NORTH_TAX_FHSA_START, year, &v);
    (void) ngx_http_north_field_integer(&f, "tfsa_room_cents", 0, 0,
                                        NORTH_TAX_CENTS_MAX, &v);
    (void) ngx_http_north_field_integer(&f, "tfsa_room_year", 0,
                                        NORTH_TAX_TFSA_START, year + 1, &v);

    for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        rc = json_is_null(json_object_get(body, pairs[i][0]))
             || json_object_get(body, pairs[i][0]) == NULL;
        rc2 = json_is_null(json_object_get(body, pairs[i][1]))
              || json_object_get(body, pairs[i][1]) == NULL;

        if (rc != rc2) {
            ngx_http_north_fields_error(&f, pairs[i][rc ? 0 : 1],
                                        "is required with the other figure "
                                        "of its year");
        }
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[1] = ngx_http_north_json_text(r->pool, body);
    if (values[1] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_tax_profile_put_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/* GET /v1/tax/summary?year= */

static ngx_int_t
north_tax_summary(ngx_http_request_t *r)
{
    ngx_int_t   rc;
    ngx_str_t   year;
    ngx_int_t   n;
    json_t     *errors;

    rc = ngx_http_north_arg(r, "year", &year);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return north_tax_query(r, NULL, north_tax_summary_done, NULL);
    }

    n = ngx_atoi(year.data, year.len);

    if (n < 2000 || n > 2100 || year.len != 4) {
        errors = json_pack("[{s:s, s:s}]", "field", "year", "message",
                           ngx_http_north_french(r)
                           ? "doit être une année de 2000 à 2100"
                           : "must be a year from 2000 to 2100");

        rc = ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                    "validation-failed", "Invalid request",
                                    NULL, errors);
        json_decref(errors);
        return rc;
    }

    return north_tax_query(r, (char *) year.data, north_tax_summary_done,
                           NULL);
}


static ngx_int_t
north_tax_summary_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_int_t             rc;
    json_t               *answer, *province;
    json_int_t            income;
    north_tax_facts_t     tf;

    rc = north_tax_facts(r, res, &tf);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    answer = north_tax_rooms(r, &tf);
    if (answer == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    province = json_object_get(json_object_get(tf.profile, "in_effect"),
                               "province");

    if (json_object_set_new(answer, "year", json_integer(tf.year)) != 0
        || json_object_set_new(answer, "as_of",
                               json_copy(json_object_get(tf.facts, "today")))
           != 0
        || json_object_set(answer, "province",
                           province ? province : json_null()) != 0)
    {
        json_decref(answer);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    income = north_tax_int(json_object_get(tf.profile, "in_effect"),
                           "annual_income_cents");

    if (tf.rules && income >= 0) {
        json_object_set_new(answer, "marginal_rate_bp",
                            json_integer(north_tax_marginal_bp(&tf.fed,
                                                               &tf.prov,
                                                               income)));

    } else {
        json_object_set_new(answer, "marginal_rate_bp", json_null());
        north_tax_warn(&tf, "income-needed", NULL,
                       "Add your province and annual income to your "
                       "profile to see your marginal tax rate.",
                       "Ajoutez votre province et votre revenu annuel à "
                       "votre profil pour voir votre taux marginal "
                       "d'imposition.");
    }

    json_object_set(answer, "warnings", tf.warnings);

    return ngx_http_north_json_send(r, NGX_HTTP_OK, answer);
}


/* the year's TFSA, RRSP and FHSA sections, in this order (so are the
 * warnings); NULL, with an alert, when the limits do not add up */

json_t *
north_tax_rooms(ngx_http_request_t *r, north_tax_facts_t *tf)
{
    json_t                *tfsa, *rrsp, *fhsa;
    north_tax_rrsp_out_t   rr;

    tfsa = north_tax_tfsa(tf);
    rrsp = north_tax_rrsp_section(tf, &rr);
    fhsa = north_tax_fhsa(tf);

    if (tfsa == NULL || rrsp == NULL || fhsa == NULL) {
        json_decref(tfsa);
        json_decref(rrsp);
        json_decref(fhsa);

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north tax: the account limits of %d do not add up",
                      tf->year);
        return NULL;
    }

    return json_pack("{s:o, s:o, s:o}", "tfsa", tfsa, "rrsp", rrsp,
                     "fhsa", fhsa);
}


/*
 * TFSA room from the year the user turned 18 or became a resident (2009
 * at the earliest), or from CRA's figure for a January 1.
 */

json_t *
north_tax_tfsa(north_tax_facts_t *tf)
{
    int                    first;
    json_int_t             born, since;
    north_tax_room_in_t    in;
    north_tax_room_out_t   out;

    born = north_tax_int(json_object_get(tf->profile, "in_effect"),
                         "birth_year");
    since = north_tax_int(tf->profile, "resident_since_year");

    if (north_tax_room_of(tf, "tfsa", &in) != 0) {
        return NULL;
    }

    in.readd_withdrawals = 1;
    in.known_year = (int) north_tax_int(tf->profile, "tfsa_room_year");
    in.known_room_cents = north_tax_int(tf->profile, "tfsa_room_cents");

    if (in.known_year < 0 || in.known_year > tf->year) {
        in.known_year = 0;
    }

    first = NORTH_TAX_TFSA_START;

    if (born >= 0 && born + NORTH_TAX_TFSA_AGE > first) {
        first = (int) born + NORTH_TAX_TFSA_AGE;
    }

    if (since > first) {
        first = (int) since;
    }

    if (born < 0 && in.known_year == 0) {
        north_tax_warn(tf, "birth-year-needed", NULL,
                       "Add your birth year to your tax profile, or the "
                       "TFSA room on your latest CRA statement, to see your "
                       "TFSA room.",
                       "Ajoutez votre année de naissance à votre profil "
                       "fiscal, ou les droits de cotisation CELI de votre "
                       "dernier relevé de l'ARC, pour voir vos droits au "
                       "CELI.");

        return json_pack("{s:s, s:I}", "basis", "unknown",
                         "accounts", north_tax_accounts(tf, "tfsa"));
    }

    if (in.known_year) {
        first = in.known_year < first ? in.known_year : first;
    }

    if (first > tf->year) {
        return json_pack("{s:s, s:i, s:i, s:i, s:I}",
                         "basis", "computed", "eligible_since", first,
                         "room_jan1_cents", 0, "remaining_cents", 0,
                         "accounts", north_tax_accounts(tf, "tfsa"));
    }

    in.first_year = first;

    if (north_tax_room(&in, &out) != 0) {
        return NULL;
    }

    north_tax_excess(tf, "tfsa-over-contribution", "TFSA", "CELI", &out);

    return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                     " s:I}",
                     "basis", in.known_year ? "cra" : "computed",
                     "eligible_since", first,
                     "room_jan1_cents", out.room_jan1_cents,
                     "new_room_cents", out.new_room_cents,
                     "contributed_cents", out.contributed_cents,
                     "withdrawn_cents", out.withdrawn_cents,
                     "remaining_cents", out.remaining_cents,
                     "excess_cents", out.excess_cents,
                     "excess_cost_cents", out.cost_cents,
                     "room_back_next_year_cents", out.readd_next_cents,
                     "accounts", north_tax_accounts(tf, "tfsa"));
}


/*
 * The year's RRSP room and what counts against it, into in and out; -1
 * when the movements cannot be read.
 */

static int
north_tax_rrsp_of(north_tax_facts_t *tf, north_tax_rrsp_in_t *in,
    north_tax_rrsp_out_t *out)
{
    json_t      *limits;
    json_int_t   limit_year;

    ngx_memzero(in, sizeof(north_tax_rrsp_in_t));

    in->year = tf->year;
    in->today = tf->today;
    in->buffer_cents = NORTH_TAX_RRSP_BUFFER;
    in->pension_adjustment_cents = north_tax_int(tf->profile,
                                                 "pension_adjustment_cents");
    if (in->pension_adjustment_cents < 0) {
        in->pension_adjustment_cents = 0;
    }

    limit_year = north_tax_int(tf->profile, "rrsp_deduction_limit_year");
    in->noa_limit_cents = limit_year == tf->year
                          ? north_tax_int(tf->profile,
                                          "rrsp_deduction_limit_cents")
                          : -1;

    limits = json_object_get(json_object_get(tf->facts, "limits"), "rrsp");
    in->dollar_limit_cents = json_integer_value(
        json_array_get(json_object_get(limits, "annual"),
                       tf->year - north_tax_int(limits, "from")));

    in->earned_income_cents = in->dollar_limit_cents > 0
                              ? north_tax_int(tf->profile,
                                              "prior_year_earned_income_cents")
                              : -1;

    in->moves = north_tax_moves(tf, "rrsp", &in->nmoves);
    if (in->moves == NULL && in->nmoves) {
        return -1;
    }

    return north_tax_rrsp(in, out);
}


/* the summary's RRSP section, its explanation and warnings */

static json_t *
north_tax_rrsp_section(north_tax_facts_t *tf, north_tax_rrsp_out_t *out)
{
    char                  from[64], to[64], text[NORTH_TAX_TEXT_LEN];
    char                  a[NORTH_TAX_MONEY_LEN], b[NORTH_TAX_MONEY_LEN];
    char                  c[NORTH_TAX_MONEY_LEN];
    json_t               *section;
    north_tax_rrsp_in_t   in;

    if (north_tax_rrsp_of(tf, &in, out) != 0) {
        return NULL;
    }

    north_date_text(north_date_days(tf->year, 1, 1) + 60, (int) tf->fr,
                        from, sizeof(from));
    north_date_text(north_date_days(tf->year + 1, 1, 1) + 59, (int) tf->fr,
                        to, sizeof(to));

    ngx_snprintf((u_char *) text, sizeof(text) - 1,
                 tf->fr ? "Les cotisations du %s au %s comptent pour %d : "
                          "celles des 60 premiers jours d'une année sont "
                          "habituellement déduites pour l'année "
                          "précédente.%s%Z"
                        : "Contributions from %s to %s count for %d: those "
                          "of the first 60 days of a year are usually "
                          "deducted for the year before.%s%Z",
                 from, to, tf->year,
                 out->basis != NORTH_TAX_RRSP_ESTIMATE ? ""
                 : tf->fr ? " Vos droits sont estimés à partir du revenu "
                            "gagné de l'an dernier, sans les droits "
                            "inutilisés des années passées : votre avis de "
                            "cotisation donne le chiffre exact."
                          : " Your room is estimated from last year's "
                            "earned income, without unused room from "
                            "earlier years: your Notice of Assessment has "
                            "the exact figure.");
    text[sizeof(text) - 1] = '\0';

    if (out->basis == NORTH_TAX_RRSP_UNKNOWN) {
        north_tax_warn(tf, "rrsp-room-unknown", NULL,
                       "Add the RRSP deduction limit from your latest "
                       "Notice of Assessment, or last year's earned income, "
                       "to your tax profile to see your RRSP room.",
                       "Ajoutez à votre profil fiscal le maximum déductible "
                       "au titre des REER de votre dernier avis de "
                       "cotisation, ou votre revenu gagné de l'an dernier, "
                       "pour voir vos droits au REER.");
    }

    if (out->penalized_cents > 0) {
        north_tax_warn(tf, "rrsp-over-contribution",
                       json_pack("{s:I, s:I, s:I}",
                                 "excess_cents", out->excess_cents,
                                 "penalized_cents", out->penalized_cents,
                                 "monthly_cost_cents",
                                 out->monthly_cost_cents),
                       "Your RRSP contributions are %s over your deduction "
                       "limit, %s more than the $2,000 CRA allows. That "
                       "costs %s a month until you withdraw it or new room "
                       "absorbs it.",
                       "Vos cotisations au REER dépassent de %s votre "
                       "maximum déductible, soit %s de plus que les "
                       "2 000 $ permis par l'ARC. Cela coûte %s par mois "
                       "jusqu'au retrait de l'excédent ou jusqu'à ce que de "
                       "nouveaux droits l'absorbent.",
                       north_tax_money_text(tf, out->excess_cents, a),
                       north_tax_money_text(tf, out->penalized_cents, b),
                       north_tax_money_text(tf, out->monthly_cost_cents, c));
    }

    section = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s,"
                        " s:I}",
                        "basis", north_tax_rrsp_basis_name(out->basis),
                        "dollar_limit_cents", in.dollar_limit_cents,
                        "contributed_cents", out->contributed_cents,
                        "first_60_days_cents", out->first_60_days_cents,
                        "excess_cents", out->excess_cents,
                        "penalized_cents", out->penalized_cents,
                        "monthly_cost_cents", out->monthly_cost_cents,
                        "pension_adjustment_cents",
                        in.pension_adjustment_cents,
                        "explanation", text,
                        "accounts", north_tax_accounts(tf, "rrsp"));
    if (section == NULL) {
        return NULL;
    }

    json_object_set_new(section, "room_cents", out->room_cents < 0
                        ? json_null() : json_integer(out->room_cents));
    json_object_set_new(section, "remaining_cents", out->remaining_cents < 0
                        ? json_null() : json_integer(out->remaining_cents));

    return section;
}


/*
 * FHSA: from the year the account was opened (the profile's, else the
 * year of its first movement); JSON null when the user has none, NULL on
 * failure.
 */

static json_t *
north_tax_fhsa(north_tax_facts_t *tf)
{
    int                    y;
    char                   close[16];
    unsigned               m, d;
    json_int_t             opened, born, last;
    north_tax_room_in_t    in;
    north_tax_room_out_t   out;

    if (north_tax_room_of(tf, "fhsa", &in) != 0) {
        return NULL;
    }

    opened = north_tax_int(tf->profile, "fhsa_opened_year");

    if (opened < 0 && in.nmoves) {
        north_date_civil(in.moves[0].day, &y, &m, &d);
        opened = y;
    }

    if (opened < 0) {
        return json_null();
    }

    born = north_tax_int(json_object_get(tf->profile, "in_effect"),
                         "birth_year");
    last = opened + NORTH_TAX_FHSA_YEARS;

    if (born >= 0 && born + NORTH_TAX_FHSA_AGE < last) {
        last = born + NORTH_TAX_FHSA_AGE;
    }

    ngx_snprintf((u_char *) close, sizeof(close), "%L-12-31%Z", (int64_t) last);

    if (opened > tf->year) {
        return json_pack("{s:I, s:i, s:i, s:s, s:I}",
                         "opened_year", opened, "room_jan1_cents", 0,
                         "remaining_cents", 0, "must_close_by", close,
                         "accounts", north_tax_accounts(tf, "fhsa"));
    }

    in.first_year = (int) opened;

    if (north_tax_room(&in, &out) != 0) {
        return NULL;
    }

    north_tax_excess(tf, "fhsa-over-contribution", "FHSA", "CELIAPP", &out);

    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s,"
                     " s:I}",
                     "opened_year", opened,
                     "room_jan1_cents", out.room_jan1_cents,
                     "new_room_cents", out.new_room_cents,
                     "contributed_cents", out.contributed_cents,
                     "remaining_cents", out.remaining_cents,
                     "lifetime_contributed_cents",
                     out.lifetime_contributed_cents,
                     "lifetime_left_cents",
                     in.lifetime_cents > out.lifetime_contributed_cents
                     ? in.lifetime_cents - out.lifetime_contributed_cents : 0,
                     "excess_cents", out.excess_cents,
                     "excess_cost_cents", out.cost_cents,
                     "must_close_by", close,
                     "accounts", north_tax_accounts(tf, "fhsa"));
}


/* a TFSA's or an FHSA's excess this year, and what CRA charges for it */

static void
north_tax_excess(north_tax_facts_t *tf, const char *code, const char *en,
    const char *fr, const north_tax_room_out_t *out)
{
    char  a[NORTH_TAX_MONEY_LEN], b[NORTH_TAX_MONEY_LEN];

    if (out->excess_cents == 0 && out->cost_cents == 0) {
        return;
    }

    north_tax_warn(tf, code,
                   json_pack("{s:I, s:I, s:I}",
                             "excess_cents", out->excess_cents,
                             "excess_max_cents", out->excess_max_cents,
                             "cost_cents", out->cost_cents),
                   "Your %s contributions went over your room by up to %s "
                   "this year. CRA charges 1%% a month on the highest "
                   "excess in each month: %s so far. Withdraw the excess to "
                   "stop the charge.",
                   "Vos cotisations au %s ont dépassé vos droits d'au plus "
                   "%s cette année. L'ARC impose 1 %% par mois sur "
                   "l'excédent le plus élevé du mois : %s jusqu'ici. Retirez "
                   "l'excédent pour arrêter les frais.",
                   tf->fr ? fr : en,
                   north_tax_money_text(tf, out->excess_max_cents, a),
                   north_tax_money_text(tf, out->cost_cents, b));
}


/* POST /v1/tax/rrsp-estimate {amount_cents, year?, income_cents?} */

static ngx_int_t
north_tax_estimate(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_tax_estimate_body);
}


static ngx_int_t
north_tax_estimate_body(ngx_http_request_t *r, json_t *body)
{
    char                     *year;
    json_int_t                v;
    north_tax_estimate_t     *est;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "amount_cents", "year", "income_cents", NULL
    };

    est = ngx_palloc(r->pool, sizeof(north_tax_estimate_t));
    year = ngx_pnalloc(r->pool, NGX_INT64_LEN + 1);

    if (est == NULL || year == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    (void) ngx_http_north_field_integer(&f, "amount_cents", 1, 1,
                                        NORTH_TAX_CENTS_MAX, &v);
    est->amount = v;

    est->income = -1;
    if (ngx_http_north_field_integer(&f, "income_cents", 0, 0,
                                     NORTH_TAX_INCOME_MAX, &v) == NGX_OK)
    {
        est->income = v;
    }

    if (ngx_http_north_field_integer(&f, "year", 0, 2000, 2100, &v)
        == NGX_OK)
    {
        ngx_sprintf((u_char *) year, "%L%Z", (int64_t) v);

    } else {
        year = NULL;
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return north_tax_query(r, year, north_tax_estimate_done, est);
}


static ngx_int_t
north_tax_estimate_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    char                   text[NORTH_TAX_TEXT_LEN];
    char                   a[NORTH_TAX_MONEY_LEN], b[NORTH_TAX_MONEY_LEN];
    char                   c[NORTH_TAX_MONEY_LEN], d[NORTH_TAX_MONEY_LEN];
    char                   e[NORTH_TAX_MONEY_LEN];
    int64_t                income, deduction;
    ngx_int_t              rc;
    json_t                *answer;
    north_tax_out_t        before, after;
    north_tax_facts_t      tf;
    north_tax_estimate_t  *est = data;
    north_tax_rrsp_in_t    rin;
    north_tax_rrsp_out_t   rr;

    rc = north_tax_facts(r, res, &tf);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    income = est->income >= 0
             ? est->income
             : north_tax_int(json_object_get(tf.profile, "in_effect"),
                             "annual_income_cents");

    if (income < 0) {
        return north_tax_problem(r, "income-needed", "Income needed",
                                 "give income_cents, or add your annual "
                                 "income to your profile");
    }

    if (!tf.rules) {
        return north_tax_problem(r, "province-needed", "Province needed",
                                 "add your province of residence to your "
                                 "profile or tax profile");
    }

    deduction = est->amount < income ? est->amount : income;

    if (north_tax_compute(&tf.fed, &tf.prov, income, &before) != 0
        || north_tax_compute(&tf.fed, &tf.prov, income - deduction, &after)
           != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the year's RRSP room, to say when the amount would not all count */
    if (north_tax_rrsp_of(&tf, &rin, &rr) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rr.remaining_cents >= 0 && est->amount > rr.remaining_cents) {
        north_tax_warn(&tf, "over-rrsp-room",
                       json_pack("{s:I, s:I}",
                                 "remaining_cents", rr.remaining_cents,
                                 "amount_cents", est->amount),
                       "%s is more than the %s of RRSP room North counts "
                       "for %d: only contributions within your deduction "
                       "limit can be deducted.",
                       "%s dépasse les %s de droits au REER que North "
                       "compte pour %d : seules les cotisations dans votre "
                       "maximum déductible peuvent être déduites.",
                       north_tax_money_text(&tf, est->amount, a),
                       north_tax_money_text(&tf, rr.remaining_cents, b),
                       tf.year);
    }

    ngx_snprintf((u_char *) text, sizeof(text) - 1,
                 tf.fr ? "Une déduction REER de %s sur un revenu de %s en "
                         "%d fait passer votre impôt fédéral et provincial "
                         "de %s à %s : un remboursement d'environ %s. "
                         "L'estimation ne compte que les montants "
                         "personnels de base, sans les autres crédits ni "
                         "les retenues à la source.%Z"
                       : "An RRSP deduction of %s on %s of income in %d "
                         "lowers your federal and provincial tax from %s to "
                         "%s: a refund of about %s. The estimate counts the "
                         "basic personal amounts only, not other credits or "
                         "payroll deductions.%Z",
                 north_tax_money_text(&tf, deduction, a),
                 north_tax_money_text(&tf, income, b), tf.year,
                 north_tax_money_text(&tf, before.total_cents, c),
                 north_tax_money_text(&tf, after.total_cents, d),
                 north_tax_money_text(&tf, before.total_cents
                                           - after.total_cents, e));
    text[sizeof(text) - 1] = '\0';

    answer = json_pack("{s:i, s:O, s:I, s:I, s:I, s:o, s:o, s:I, s:i, s:I,"
                       " s:s, s:O}",
                       "year", tf.year,
                       "province", json_object_get(json_object_get(tf.profile,
                                                   "in_effect"), "province"),
                       "income_cents", income,
                       "amount_cents", est->amount,
                       "deduction_cents", deduction,
                       "before", north_tax_lines(&before),
                       "after", north_tax_lines(&after),
                       "refund_cents", before.total_cents - after.total_cents,
                       "marginal_rate_bp",
                       (int) north_tax_marginal_bp(&tf.fed, &tf.prov, income),
                       "average_rate_bp",
                       income ? before.total_cents * 10000 / income : 0,
                       "explanation", text,
                       "warnings", tf.warnings);
    if (answer == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK, answer);
}


static json_t *
north_tax_lines(const north_tax_out_t *o)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                     " s:I, s:I, s:I}",
                     "income_cents", o->income_cents,
                     "federal_basic_cents", o->federal_basic_cents,
                     "federal_bpa_cents", o->federal_bpa_cents,
                     "federal_credits_cents", o->federal_credits_cents,
                     "federal_abatement_cents", o->federal_abatement_cents,
                     "federal_cents", o->federal_cents,
                     "provincial_basic_cents", o->provincial_basic_cents,
                     "provincial_bpa_cents", o->provincial_bpa_cents,
                     "provincial_credits_cents", o->provincial_credits_cents,
                     "surtax_cents", o->surtax_cents,
                     "health_premium_cents", o->premium_cents,
                     "provincial_cents", o->provincial_cents,
                     "total_cents", o->total_cents);
}


/* the facts of the caller for year (NULL: this year) */

static ngx_int_t
north_tax_query(ngx_http_request_t *r, const char *year,
    ngx_http_north_pg_done_pt done, void *data)
{
    const char  *values[2];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    values[1] = year;

    return ngx_http_north_pg_query(r, &north_tax_facts_stmt, values, done,
                                   data);
}


static ngx_int_t
north_tax_problem(ngx_http_request_t *r, const char *type, const char *title,
    const char *detail)
{
    return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE, type,
                                  title, detail, NULL);
}


/* the year now in UTC: a year given may be at most this (or the next) */

static int
north_tax_this_year(void)
{
    int       y;
    unsigned  m, d;

    north_date_civil(ngx_time() / 86400, &y, &m, &d);

    return y;
}


/* what the user holds here, for the export and the erasure */
ngx_http_north_privacy_part_t  north_tax_privacy[] = {
    ngx_http_north_privacy_table("tax_profile", "north.tax_profiles",
                                 "user_id", "uuid"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_tax_routes[] = {

    { ngx_string("tax.profile"), NGX_HTTP_GET|NGX_HTTP_PUT,
      north_tax_profile },

    { ngx_string("tax.summary"), NGX_HTTP_GET,
      north_tax_summary },

    { ngx_string("tax.rrsp_estimate"), NGX_HTTP_POST,
      north_tax_estimate },

    { ngx_null_string, 0, NULL }
};
