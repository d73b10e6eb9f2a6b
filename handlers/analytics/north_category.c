/*
 * North's categorisation: the tables and the rules that read them (see
 * north_category.h). sql/catalog.sql is written from these tables.
 */

#include <string.h>

#include "north_category.h"


#define S  NORTH_CATEGORY_SPENDING
#define I  NORTH_CATEGORY_INCOME
#define V  NORTH_CATEGORY_SAVING
#define T  NORTH_CATEGORY_TRANSFER

const north_category_t  north_categories[] = {
    { "income", NULL, "Income", "Revenus", I },
    { "salary", "income", "Paycheque", "Paie", I },
    { "government_benefits", "income", "Government benefits",
      "Prestations gouvernementales", I },
    { "interest_dividends", "income", "Interest and dividends",
      "Intérêts et dividendes", I },
    { "other_income", "income", "Other income", "Autres revenus", I },

    { "housing", NULL, "Housing", "Logement", S },
    { "rent", "housing", "Rent", "Loyer", S },
    { "mortgage", "housing", "Mortgage", "Hypothèque", S },
    { "property_tax", "housing", "Property tax", "Impôt foncier", S },
    { "home_maintenance", "housing", "Home and garden", "Maison et jardin",
      S },

    { "utilities", NULL, "Utilities", "Services publics", S },
    { "electricity", "utilities", "Electricity", "Électricité", S },
    { "heating", "utilities", "Natural gas and heating",
      "Gaz naturel et chauffage", S },
    { "water", "utilities", "Water", "Eau", S },
    { "phone_internet", "utilities", "Phone and internet",
      "Téléphone et Internet", S },

    { "food", NULL, "Food and drink", "Alimentation", S },
    { "groceries", "food", "Groceries", "Épicerie", S },
    { "dining", "food", "Restaurants", "Restaurants", S },
    { "coffee", "food", "Coffee", "Café", S },
    { "alcohol", "food", "Beer, wine and spirits", "Bière, vin et spiritueux",
      S },

    { "transportation", NULL, "Transportation", "Transport", S },
    { "transit", "transportation", "Public transit", "Transport en commun",
      S },
    { "gas", "transportation", "Gas", "Essence", S },
    { "parking", "transportation", "Parking", "Stationnement", S },
    { "rideshare", "transportation", "Taxis and ride sharing",
      "Taxis et covoiturage", S },
    { "car", "transportation", "Car maintenance", "Entretien automobile",
      S },

    { "insurance", NULL, "Insurance", "Assurances", S },

    { "shopping", NULL, "Shopping", "Magasinage", S },
    { "general_merchandise", "shopping", "General merchandise",
      "Marchandises diverses", S },
    { "clothing", "shopping", "Clothing", "Vêtements", S },
    { "electronics", "shopping", "Electronics", "Électronique", S },

    { "entertainment", NULL, "Entertainment", "Divertissement", S },
    { "subscriptions", "entertainment", "Subscriptions and streaming",
      "Abonnements et diffusion", S },
    { "events", "entertainment", "Movies and events",
      "Cinéma et spectacles", S },

    { "travel", NULL, "Travel", "Voyages", S },

    { "health", NULL, "Health", "Santé", S },
    { "pharmacy", "health", "Pharmacy", "Pharmacie", S },
    { "medical", "health", "Medical and dental", "Soins médicaux et dentaires",
      S },
    { "fitness", "health", "Fitness", "Conditionnement physique", S },

    { "personal_care", NULL, "Personal care", "Soins personnels", S },
    { "education", NULL, "Education", "Éducation", S },
    { "childcare", NULL, "Childcare", "Garde d'enfants", S },
    { "gifts_donations", NULL, "Gifts and donations", "Cadeaux et dons", S },
    { "fees", NULL, "Bank fees and interest", "Frais bancaires et intérêts",
      S },
    { "government_taxes", NULL, "Government and taxes",
      "Gouvernement et impôts", S },
    { "loan_payments", NULL, "Loan payments", "Remboursements de prêts", S },

    { "savings", NULL, "Savings and investments", "Épargne et placements",
      V },
    { "rrsp", "savings", "RRSP contributions", "Cotisations REER", V },
    { "tfsa", "savings", "TFSA contributions", "Cotisations CELI", V },
    { "fhsa", "savings", "FHSA contributions", "Cotisations CELIAPP", V },
    { "investments", "savings", "Investments", "Placements", V },

    { "transfers", NULL, "Transfers", "Virements", T },
    { "credit_card_payment", "transfers", "Credit card payments",
      "Paiements de carte de crédit", T },

    { "uncategorised", NULL, "Uncategorised", "Non catégorisé", S },
    { NULL, NULL, NULL, NULL, S }
};

#undef S
#undef I
#undef V
#undef T


/* Canadian merchants, as north_category_key() writes them */
const north_category_rule_t  north_category_rules[] = {
    { "tim hortons", "coffee" },
    { "starbucks", "coffee" },
    { "second cup", "coffee" },
    { "mcdonalds", "dining" },
    { "a w", "dining" },
    { "harveys", "dining" },
    { "st hubert", "dining" },
    { "taco bell", "dining" },
    { "uber eats", "dining" },
    { "doordash", "dining" },
    { "skipthedishes", "dining" },
    { "loblaws", "groceries" },
    { "metro", "groceries" },
    { "sobeys", "groceries" },
    { "iga", "groceries" },
    { "provigo", "groceries" },
    { "maxi", "groceries" },
    { "super c", "groceries" },
    { "no frills", "groceries" },
    { "food basics", "groceries" },
    { "freshco", "groceries" },
    { "real canadian superstore", "groceries" },
    { "save on foods", "groceries" },
    { "safeway", "groceries" },
    { "costco", "groceries" },
    { "saq", "alcohol" },
    { "lcbo", "alcohol" },
    { "the beer store", "alcohol" },
    { "bc liquor", "alcohol" },
    { "shoppers drug mart", "pharmacy" },
    { "pharmaprix", "pharmacy" },
    { "jean coutu", "pharmacy" },
    { "rexall", "pharmacy" },
    { "london drugs", "pharmacy" },
    { "canadian tire", "general_merchandise" },
    { "canadian tire gas", "gas" },
    { "walmart", "general_merchandise" },
    { "dollarama", "general_merchandise" },
    { "amazon", "general_merchandise" },
    { "best buy", "electronics" },
    { "winners", "clothing" },
    { "hudsons bay", "clothing" },
    { "petro canada", "gas" },
    { "esso", "gas" },
    { "shell", "gas" },
    { "ultramar", "gas" },
    { "husky", "gas" },
    { "pioneer", "gas" },
    { "presto", "transit" },
    { "stm", "transit" },
    { "stm metro", "transit" },
    { "oc transpo", "transit" },
    { "ttc", "transit" },
    { "translink", "transit" },
    { "go transit", "transit" },
    { "uber", "rideshare" },
    { "lyft", "rideshare" },
    { "via rail", "travel" },
    { "air canada", "travel" },
    { "westjet", "travel" },
    { "hydro one", "electricity" },
    { "hydro quebec", "electricity" },
    { "bc hydro", "electricity" },
    { "toronto hydro", "electricity" },
    { "enbridge", "heating" },
    { "energir", "heating" },
    { "fortisbc", "heating" },
    { "rogers", "phone_internet" },
    { "bell", "phone_internet" },
    { "bell canada", "phone_internet" },
    { "telus", "phone_internet" },
    { "videotron", "phone_internet" },
    { "fido", "phone_internet" },
    { "koodo", "phone_internet" },
    { "freedom mobile", "phone_internet" },
    { "shaw", "phone_internet" },
    { "cogeco", "phone_internet" },
    { "netflix", "subscriptions" },
    { "spotify", "subscriptions" },
    { "crave", "subscriptions" },
    { "cineplex", "events" },
    { "goodlife fitness", "fitness" },
    { "intact", "insurance" },
    { "belairdirect", "insurance" },
    { "sun life", "insurance" },
    { "manulife", "insurance" },
    { "cra", "government_taxes" },
    { "canada revenue agency", "government_taxes" },
    { "receiver general", "government_taxes" },
    { "canada child benefit", "government_benefits" },
    { "gst hst credit", "government_benefits" },
    { "payroll", "salary" },
    { "rrsp", "rrsp" },
    { "reer", "rrsp" },
    { "tfsa", "tfsa" },
    { "celi", "tfsa" },
    { "fhsa", "fhsa" },
    { "celiapp", "fhsa" },
    { "wealthsimple", "investments" },
    { "questrade", "investments" },
    { "nsf fee", "fees" },
    { "monthly fee", "fees" },
    { "service charge", "fees" },
    { "interest charge", "fees" },
    { NULL, NULL }
};


/* Plaid's personal_finance_category: detailed names before primaries */
const north_category_rule_t  north_category_pfc[] = {
    { "INCOME_WAGES", "salary" },
    { "INCOME_DIVIDENDS", "interest_dividends" },
    { "INCOME_INTEREST_EARNED", "interest_dividends" },
    { "INCOME_TAX_REFUND", "government_benefits" },
    { "INCOME_UNEMPLOYMENT", "government_benefits" },
    { "INCOME", "other_income" },
    { "TRANSFER_IN", "transfers" },
    { "TRANSFER_OUT", "transfers" },
    { "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", "credit_card_payment" },
    { "LOAN_PAYMENTS_MORTGAGE_PAYMENT", "mortgage" },
    { "LOAN_PAYMENTS", "loan_payments" },
    { "BANK_FEES", "fees" },
    { "ENTERTAINMENT_TV_AND_MOVIES", "subscriptions" },
    { "ENTERTAINMENT_MUSIC_AND_AUDIO", "subscriptions" },
    { "ENTERTAINMENT", "events" },
    { "FOOD_AND_DRINK_GROCERIES", "groceries" },
    { "FOOD_AND_DRINK_COFFEE", "coffee" },
    { "FOOD_AND_DRINK_BEER_WINE_AND_LIQUOR", "alcohol" },
    { "FOOD_AND_DRINK", "dining" },
    { "GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES", "clothing" },
    { "GENERAL_MERCHANDISE_ELECTRONICS", "electronics" },
    { "GENERAL_MERCHANDISE", "general_merchandise" },
    { "HOME_IMPROVEMENT", "home_maintenance" },
    { "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", "pharmacy" },
    { "MEDICAL", "medical" },
    { "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS", "fitness" },
    { "PERSONAL_CARE", "personal_care" },
    { "GENERAL_SERVICES_INSURANCE", "insurance" },
    { "GENERAL_SERVICES_EDUCATION", "education" },
    { "GENERAL_SERVICES_CHILDCARE", "childcare" },
    { "GENERAL_SERVICES_AUTOMOTIVE", "car" },
    { "GENERAL_SERVICES", "general_merchandise" },
    { "GOVERNMENT_AND_NON_PROFIT_DONATIONS", "gifts_donations" },
    { "GOVERNMENT_AND_NON_PROFIT", "government_taxes" },
    { "TRANSPORTATION_GAS", "gas" },
    { "TRANSPORTATION_PUBLIC_TRANSIT", "transit" },
    { "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "rideshare" },
    { "TRANSPORTATION_PARKING", "parking" },
    { "TRANSPORTATION", "car" },
    { "TRAVEL", "travel" },
    { "RENT_AND_UTILITIES_RENT", "rent" },
    { "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", "electricity" },
    { "RENT_AND_UTILITIES_TELEPHONE", "phone_internet" },
    { "RENT_AND_UTILITIES_INTERNET_AND_CABLE", "phone_internet" },
    { "RENT_AND_UTILITIES_WATER", "water" },
    { "RENT_AND_UTILITIES", "electricity" },
    { NULL, NULL }
};


/* Latin-1 letters (U+00C0..U+00FF) folded: "" separates words */
static const char *const  north_category_latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",            /* À..Ç */
    "e", "e", "e", "e", "i", "i", "i", "i",             /* È..Ï */
    "d", "n", "o", "o", "o", "o", "o", "",              /* Ð..× */
    "o", "u", "u", "u", "u", "y", "", "",               /* Ø..ß */
    "a", "a", "a", "a", "a", "a", "ae", "c",            /* à..ç */
    "e", "e", "e", "e", "i", "i", "i", "i",             /* è..ï */
    "d", "n", "o", "o", "o", "o", "o", "",              /* ð..÷ */
    "o", "u", "u", "u", "u", "y", "", "y"               /* ø..ÿ */
};


const north_category_t *
north_category_find(const char *id)
{
    const north_category_t  *c;

    for (c = north_categories; c->id; c++) {
        if (strcmp(c->id, id) == 0) {
            return c;
        }
    }

    return NULL;
}


size_t
north_category_key(const char *text, char *out)
{
    size_t                n;
    const char           *fold;
    const unsigned char  *p;

    n = 0;
    out[n++] = ' ';

    for (p = (const unsigned char *) text; *p; p++) {
        fold = NULL;

        if (*p == '\'') {
            continue;
        }

        if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99) {    /* ’ */
            p += 2;
            continue;
        }

        if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
            fold = north_category_latin1[p[1] - 0x80];
            p++;

        } else if (p[0] == 0xC5 && (p[1] == 0x92 || p[1] == 0x93)) {
            fold = "oe";                                        /* Œ œ */
            p++;

        } else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
            out[n++] = (char) *p;
            continue;

        } else if (*p >= 'A' && *p <= 'Z') {
            out[n++] = (char) (*p - 'A' + 'a');
            continue;
        }

        if (fold != NULL && *fold != '\0') {
            while (*fold) {
                out[n++] = *fold++;
            }

            continue;
        }

        /* anything else separates words, once */
        if (out[n - 1] != ' ') {
            out[n++] = ' ';
        }
    }

    if (n == 1) {
        out[0] = '\0';
        return 0;
    }

    if (out[n - 1] != ' ') {
        out[n++] = ' ';
    }

    out[n] = '\0';

    return n;
}


const north_category_rule_t *
north_category_match(const north_category_rule_t *rules, long n,
    const char *key)
{
    long                          i;
    size_t                        len, best_len;
    const char                   *p;
    const north_category_rule_t  *best;

    best = NULL;
    best_len = 0;

    for (i = 0; n < 0 ? rules[i].pattern != NULL : i < n; i++) {
        len = strlen(rules[i].pattern);

        if (len == 0 || len <= best_len) {
            continue;
        }

        for (p = strstr(key, rules[i].pattern); p; p = strstr(p + 1,
                                                        rules[i].pattern))
        {
            if (p > key && p[-1] == ' ' && p[len] == ' ') {
                best = &rules[i];
                best_len = len;
                break;
            }
        }
    }

    return best;
}


const char *
north_category_plaid(const char *primary, const char *detailed)
{
    const char                   *name;
    const north_category_rule_t  *m;
    int                           pass;

    for (pass = 0; pass < 2; pass++) {
        name = pass == 0 ? detailed : primary;

        if (name == NULL) {
            continue;
        }

        for (m = north_category_pfc; m->pattern; m++) {
            if (strcmp(m->pattern, name) == 0) {
                return m->category;
            }
        }
    }

    return NULL;
}


const char *
north_category_pick(const north_category_tx_t *tx,
    const north_category_rule_t *user_rules, long n_user_rules,
    north_category_source_e *source)
{
    char                          key[1024];
    const char                   *plaid;
    const north_category_rule_t  *rule;

    if (tx->user_category != NULL) {
        *source = NORTH_CATEGORY_FROM_USER;
        return tx->user_category;
    }

    key[0] = '\0';

    if (tx->merchant != NULL && strlen(tx->merchant) < sizeof(key) / 2 - 2) {
        (void) north_category_key(tx->merchant, key);
    }

    rule = north_category_match(user_rules, n_user_rules, key);
    if (rule != NULL) {
        *source = NORTH_CATEGORY_FROM_USER_RULE;
        return rule->category;
    }

    if (tx->transfer_twin) {
        *source = NORTH_CATEGORY_FROM_TRANSFER;
        return NORTH_CATEGORY_TRANSFERS;
    }

    rule = north_category_match(north_category_rules, -1, key);
    if (rule != NULL) {
        *source = NORTH_CATEGORY_FROM_NORTH;
        return rule->category;
    }

    plaid = north_category_plaid(tx->pfc_primary, tx->pfc_detailed);
    if (plaid != NULL) {
        *source = NORTH_CATEGORY_FROM_PLAID;
        return plaid;
    }

    *source = NORTH_CATEGORY_FROM_NONE;
    return NORTH_CATEGORY_UNCATEGORISED;
}


const char *
north_category_source_name(north_category_source_e source)
{
    static const char *const  names[] = {
        "user", "user_rule", "transfer", "north", "plaid", "none"
    };

    return names[source];
}


/* a string literal in SQL: quotes doubled; NULL as null */
static void
north_category_sql_string(FILE *out, const char *s)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }

    fputc('\'', out);

    for ( /* void */ ; *s; s++) {
        if (*s == '\'') {
            fputc('\'', out);
        }

        fputc(*s, out);
    }

    fputc('\'', out);
}


static void
north_category_sql_rules(FILE *out, const char *table,
    const north_category_rule_t *rules)
{
    const north_category_rule_t  *m;

    fprintf(out, "\ninsert into %s (pattern, category, ord) values\n", table);

    for (m = rules; m->pattern; m++) {
        fputs("    (", out);
        north_category_sql_string(out, m->pattern);
        fputs(", ", out);
        north_category_sql_string(out, m->category);
        fprintf(out, ", %ld)%s\n", (long) (m - rules),
                m[1].pattern ? "," : ";");
    }
}


int
north_category_sql(FILE *out)
{
    const north_category_t  *c;

    static const char *const  kinds[] = {
        "spending", "income", "saving", "transfer"
    };

    fputs("-- Written by ./build.sh catalog from"
          " handlers/analytics/north_category.c:\n"
          "-- edit that file, not this one. Loaded after the migrations on"
          " every\n"
          "-- ./build.sh migrate; transactions are categorised again when it"
          " changes.\n\n"
          "begin;\n\n"
          "create temporary table catalog_before on commit drop as\n"
          "    select north.catalog_digest() as digest;\n\n"
          "delete from north.category_pfc;\n"
          "delete from north.category_rules;\n"
          "\ninsert into north.categories (id, parent, name_en, name_fr,"
          " kind, ord) values\n", out);

    for (c = north_categories; c->id; c++) {
        fputs("    (", out);
        north_category_sql_string(out, c->id);
        fputs(", ", out);
        north_category_sql_string(out, c->parent);
        fputs(", ", out);
        north_category_sql_string(out, c->name_en);
        fputs(", ", out);
        north_category_sql_string(out, c->name_fr);
        fprintf(out, ", '%s', %ld)%s\n", kinds[c->kind],
                (long) (c - north_categories), c[1].id ? "," : "");
    }

    fputs("on conflict (id) do update\n"
          "set parent = excluded.parent, name_en = excluded.name_en,\n"
          "    name_fr = excluded.name_fr, kind = excluded.kind,"
          " ord = excluded.ord;\n", out);

    north_category_sql_rules(out, "north.category_rules",
                             north_category_rules);
    north_category_sql_rules(out, "north.category_pfc", north_category_pfc);

    fputs("\nselect north.catalog_loaded(digest) from catalog_before;\n\n"
          "commit;\n", out);

    return ferror(out) ? -1 : 0;
}
