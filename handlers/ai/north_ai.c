/*
 * North AI's deterministic parser (north_ai.h): the question folded to
 * ASCII words, amounts and periods read by general rules, categories by
 * an English and French lexicon, the user's merchants, accounts and goals
 * by their own names (within an edit distance), the intent by marker
 * words in a fixed order of precedence. No rule names one question.
 */

#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "north_ai.h"
#include "north_check.h"
#include "north_format.h"
#include "north_category.h"


#define NORTH_AI_WORDS_MAX   128
#define NORTH_AI_WORD_LEN    32
#define NORTH_AI_FLAT_MAX    (NORTH_AI_QUESTION_MAX * 2 + 8)

#define NORTH_AI_EXACT       0           /* how a name is matched */
#define NORTH_AI_TYPOS       1
#define NORTH_AI_PREFIX      2


typedef struct {
    char                 w[NORTH_AI_WORD_LEN];
    size_t               len;
    int64_t              num;            /* a number's value; -1 */
    unsigned             used:1;         /* taken by a slot */
} north_ai_word_t;

typedef struct {
    int64_t              cents;
    int                  marked;         /* $, dollars, k ... */
} north_ai_amount_t;

typedef struct {
    const north_ai_context_t  *ctx;
    north_ai_query_t    *q;
    north_ai_word_t      w[NORTH_AI_WORDS_MAX];
    size_t               n;
    int                  future;         /* months ahead, not behind */
    int64_t              periods[2][2];
    size_t               period_at[2];   /* the word each begins at */
    size_t               nperiods;
    size_t               versus_at;      /* "than", "que" ...; or n */
    north_ai_amount_t    amount;         /* cents -1: none */
    north_ai_amount_t    bare;           /* an unmarked number */
} north_ai_parse_t;


const char *const  north_ai_intents[] = {
    "unknown", "spending", "compare", "top", "income", "balance",
    "net_worth", "largest", "subscriptions", "goal", "room", "afford",
    "help"
};

const char *const  north_ai_account_kinds[] = {
    "chequing", "savings", "credit_card", "line_of_credit", "mortgage",
    "loan", "tfsa", "rrsp", "fhsa", "investment", NULL
};


/* phrases, each word folded, for a slot's value */
typedef struct {
    const char          *phrase;
    const char          *value;
} north_ai_lexeme_t;

/* categories by their English and French names and what people say */
static const north_ai_lexeme_t  north_ai_categories_lexicon[] = {
    { "food", "groceries,dining" },
    { "nourriture", "groceries,dining" },
    { "bouffe", "groceries,dining" },
    { "alimentation", "groceries,dining" },
    { "groceries", "groceries" }, { "grocery", "groceries" },
    { "grocery store", "groceries" }, { "supermarket", "groceries" },
    { "epicerie", "groceries" }, { "epiceries", "groceries" },
    { "food shopping", "groceries" },
    { "restaurants", "dining" }, { "restaurant", "dining" },
    { "resto", "dining" }, { "restos", "dining" },
    { "dining", "dining" }, { "dining out", "dining" },
    { "eating out", "dining" }, { "takeout", "dining" },
    { "take out", "dining" }, { "fast food", "dining" },
    { "livraison", "dining" }, { "food delivery", "dining" },
    { "coffee", "coffee" }, { "coffees", "coffee" }, { "cafe", "coffee" },
    { "cafes", "coffee" },
    { "alcohol", "alcohol" }, { "alcool", "alcohol" }, { "beer", "alcohol" },
    { "biere", "alcohol" }, { "wine", "alcohol" }, { "vin", "alcohol" },
    { "liquor", "alcohol" }, { "booze", "alcohol" },
    { "housing", "housing" }, { "logement", "housing" },
    { "rent", "rent" }, { "loyer", "rent" },
    { "mortgage", "mortgage" }, { "hypotheque", "mortgage" },
    { "property tax", "property_tax" }, { "property taxes", "property_tax" },
    { "taxes municipales", "property_tax" },
    { "impot foncier", "property_tax" },
    { "home improvement", "home_maintenance" },
    { "renovations", "home_maintenance" },
    { "renos", "home_maintenance" },
    { "utilities", "utilities" }, { "services publics", "utilities" },
    { "electricity", "electricity" }, { "hydro", "electricity" },
    { "electricite", "electricity" },
    { "heating", "heating" }, { "natural gas", "heating" },
    { "chauffage", "heating" }, { "gaz naturel", "heating" },
    { "water", "water" }, { "eau", "water" },
    { "phone", "phone_internet" }, { "cell phone", "phone_internet" },
    { "cellphone", "phone_internet" }, { "internet", "phone_internet" },
    { "telephone", "phone_internet" }, { "cellulaire", "phone_internet" },
    { "cell", "phone_internet" },
    { "transportation", "transportation" }, { "transport", "transportation" },
    { "transit", "transit" }, { "public transit", "transit" },
    { "transport en commun", "transit" }, { "bus", "transit" },
    { "subway", "transit" },
    { "gas", "gas" }, { "gasoline", "gas" }, { "fuel", "gas" },
    { "essence", "gas" }, { "gaz", "gas" },
    { "parking", "parking" }, { "stationnement", "parking" },
    { "taxi", "rideshare" }, { "taxis", "rideshare" },
    { "rideshare", "rideshare" }, { "ride sharing", "rideshare" },
    { "covoiturage", "rideshare" },
    { "car maintenance", "car" }, { "car repairs", "car" },
    { "car repair", "car" }, { "entretien auto", "car" },
    { "entretien automobile", "car" }, { "garage", "car" },
    { "insurance", "insurance" }, { "assurance", "insurance" },
    { "assurances", "insurance" },
    { "shopping", "shopping" }, { "magasinage", "shopping" },
    { "clothes", "clothing" }, { "clothing", "clothing" },
    { "vetements", "clothing" }, { "linge", "clothing" },
    { "shoes", "clothing" }, { "chaussures", "clothing" },
    { "electronics", "electronics" }, { "electronique", "electronics" },
    { "entertainment", "entertainment" }, { "divertissement", "entertainment" },
    { "divertissements", "entertainment" }, { "loisirs", "entertainment" },
    { "streaming", "subscriptions" }, { "subscriptions", "subscriptions" },
    { "abonnements", "subscriptions" },
    { "movies", "events" }, { "cinema", "events" }, { "concerts", "events" },
    { "concert", "events" }, { "spectacles", "events" },
    { "tickets", "events" }, { "billets", "events" },
    { "travel", "travel" }, { "voyages", "travel" }, { "voyage", "travel" },
    { "flights", "travel" }, { "vols", "travel" }, { "hotels", "travel" },
    { "hotel", "travel" },
    { "health", "health" }, { "sante", "health" },
    { "pharmacy", "pharmacy" }, { "pharmacie", "pharmacy" },
    { "drugstore", "pharmacy" }, { "medication", "pharmacy" },
    { "medicaments", "pharmacy" },
    { "doctor", "medical" }, { "dentist", "medical" },
    { "dental", "medical" }, { "medical", "medical" },
    { "medecin", "medical" }, { "dentiste", "medical" },
    { "gym", "fitness" }, { "fitness", "fitness" },
    { "entrainement", "fitness" }, { "salle de sport", "fitness" },
    { "personal care", "personal_care" }, { "haircut", "personal_care" },
    { "haircuts", "personal_care" }, { "coiffeur", "personal_care" },
    { "soins personnels", "personal_care" },
    { "education", "education" }, { "tuition", "education" },
    { "school", "education" }, { "ecole", "education" },
    { "frais de scolarite", "education" },
    { "childcare", "childcare" }, { "daycare", "childcare" },
    { "garderie", "childcare" }, { "garde d enfants", "childcare" },
    { "gifts", "gifts_donations" }, { "donations", "gifts_donations" },
    { "cadeaux", "gifts_donations" }, { "dons", "gifts_donations" },
    { "charity", "gifts_donations" },
    { "bank fees", "fees" }, { "fees", "fees" },
    { "frais bancaires", "fees" }, { "interest charges", "fees" },
    { "taxes", "government_taxes" }, { "impots", "government_taxes" },
    { "loan payments", "loan_payments" },
    { "remboursements de pret", "loan_payments" },
    { "salary", "salary" }, { "paycheque", "salary" },
    { "paycheck", "salary" }, { "paycheques", "salary" },
    { "paychecks", "salary" }, { "salaire", "salary" },
    { "ma paie", "salary" }, { "la paie", "salary" },
    { "mes paies", "salary" }, { "benefits", "government_benefits" },
    { "government benefits", "government_benefits" },
    { "prestations", "government_benefits" },
    { "allocations", "government_benefits" },
    { "dividends", "interest_dividends" },
    { "dividendes", "interest_dividends" },
    { NULL, NULL }
};

/* account kinds by what people call them */
static const north_ai_lexeme_t  north_ai_kinds_lexicon[] = {
    { "chequing", "chequing" }, { "checking", "chequing" },
    { "cheque", "chequing" }, { "cheques", "chequing" },
    { "compte courant", "chequing" }, { "compte cheques", "chequing" },
    { "savings", "savings" }, { "savings account", "savings" },
    { "epargne", "savings" }, { "compte epargne", "savings" },
    { "credit card", "credit_card" }, { "credit cards", "credit_card" },
    { "carte de credit", "credit_card" }, { "cartes de credit", "credit_card" },
    { "visa", "credit_card" }, { "mastercard", "credit_card" },
    { "amex", "credit_card" },
    { "line of credit", "line_of_credit" },
    { "marge de credit", "line_of_credit" },
    { "mortgage", "mortgage" }, { "hypotheque", "mortgage" },
    { "loan", "loan" }, { "loans", "loan" }, { "pret", "loan" },
    { "prets", "loan" },
    { "tfsa", "tfsa" }, { "celi", "tfsa" },
    { "rrsp", "rrsp" }, { "reer", "rrsp" },
    { "fhsa", "fhsa" }, { "celiapp", "fhsa" },
    { "investments", "investment" }, { "investment", "investment" },
    { "placements", "investment" }, { "brokerage", "investment" },
    { NULL, NULL }
};

/* goals' words that mean the same in either language */
static const char *const  north_ai_goal_synonyms[] = {
    "vacation vacances voyage trip holiday holidays travel",
    "car voiture auto vehicle vehicule",
    "house home maison condo down payment mise de fonds",
    "emergency urgence urgences",
    "wedding mariage noces",
    "retirement retraite",
    "school education etudes university universite",
    "baby bebe",
    NULL
};

/* words that name nothing of the user's */
static const char *const  north_ai_stopwords[] = {
    "a", "an", "the", "my", "of", "on", "in", "at", "for", "to", "and",
    "i", "me", "how", "much", "did", "do", "does", "what", "whats", "is",
    "was", "it", "this", "that", "last", "month", "year", "week", "spend",
    "spent", "de", "du", "des", "la", "le", "les", "l", "d", "j", "ai",
    "mon", "ma", "mes", "en", "au", "aux", "et", "chez", "pour", "sur",
    "dans", "combien", "est", "ce", "que", "qu", "qui", "quoi", "quel",
    "quelle", "card", "carte", "account", "compte", "fund", "fonds",
    "goal", "objectif", "new", "nouveau", "nouvelle", "mois", "annee",
    "semaine", "with", "avec", "un", "une", "s", "t", "y", "il", "je",
    "tu", "vous", "nous", "from", "by", "par", "or", "ou", "all", "tout",
    "store", "shop", "magasin", "inc", "ltd", "ca", "com", "canada",
    "canadian", "north", "bank", "banque", NULL
};

static const char *const  north_ai_months[] = {
    "january janvier jan janv",
    "february fevrier feb fevr fev",
    "march mars mar",
    "april avril apr avr",
    "may mai",
    "june juin jun",
    "july juillet jul juil",
    "august aout aug",
    "september septembre sep sept",
    "october octobre oct",
    "november novembre nov",
    "december decembre dec",
    NULL
};

typedef struct {
    const char          *word;
    int64_t              value;
    int                  multiplier;
} north_ai_number_word_t;

static const north_ai_number_word_t  north_ai_number_words[] = {
    { "one", 1, 0 }, { "two", 2, 0 }, { "three", 3, 0 }, { "four", 4, 0 },
    { "five", 5, 0 }, { "six", 6, 0 }, { "seven", 7, 0 }, { "eight", 8, 0 },
    { "nine", 9, 0 }, { "ten", 10, 0 }, { "eleven", 11, 0 },
    { "twelve", 12, 0 }, { "thirteen", 13, 0 }, { "fourteen", 14, 0 },
    { "fifteen", 15, 0 }, { "sixteen", 16, 0 }, { "seventeen", 17, 0 },
    { "eighteen", 18, 0 }, { "nineteen", 19, 0 }, { "twenty", 20, 0 },
    { "thirty", 30, 0 }, { "forty", 40, 0 }, { "fifty", 50, 0 },
    { "sixty", 60, 0 }, { "seventy", 70, 0 }, { "eighty", 80, 0 },
    { "ninety", 90, 0 }, { "hundred", 100, 1 }, { "thousand", 1000, 2 },
    { "un", 1, 0 }, { "une", 1, 0 }, { "deux", 2, 0 }, { "trois", 3, 0 },
    { "quatre", 4, 0 }, { "cinq", 5, 0 }, { "sept", 7, 0 },
    { "huit", 8, 0 }, { "neuf", 9, 0 }, { "dix", 10, 0 },
    { "onze", 11, 0 }, { "douze", 12, 0 }, { "treize", 13, 0 },
    { "quatorze", 14, 0 }, { "quinze", 15, 0 }, { "seize", 16, 0 },
    { "vingt", 20, 0 }, { "vingts", 20, 0 }, { "trente", 30, 0 },
    { "quarante", 40, 0 }, { "cinquante", 50, 0 }, { "soixante", 60, 0 },
    { "cent", 100, 1 }, { "cents", 100, 1 }, { "mille", 1000, 2 },
    { "million", 1000000, 3 }, { "millions", 1000000, 3 },
    { NULL, 0, 0 }
};

static const char *const  north_ai_currency_words[] = {
    "$", "dollars", "dollar", "bucks", "cad", "piasses", "piastres", NULL
};

/* words only French questions use, and only English ones */
static const char *const  north_ai_french_words[] = {
    "je", "j", "ai", "combien", "mon", "ma", "mes", "le", "la", "les",
    "dans", "chez", "depuis", "quel", "quelle", "quels", "quelles", "est",
    "ce", "qu", "pour", "depense", "depenses", "en", "du", "des", "mois",
    "semaine", "annee", "puis", "peux", "suis", "sur", "et", "avec",
    "dernier", "derniere", "derniers", "mon", "moi", "il", "y", "reste",
    "solde", "epargne", "objectif", "dois", "au", "aux", "quoi", "ou",
    "cette", "hier", "aujourd", "une", "un", "nette", "valeur", "payer",
    "permettre", "moyens", "abonnements", "revenus", "gagne", NULL
};

static const char *const  north_ai_english_words[] = {
    "how", "much", "did", "i", "my", "what", "whats", "the", "in", "on",
    "at", "is", "spend", "spent", "spending", "last", "month", "can",
    "afford", "this", "week", "year", "since", "am", "do", "does", "have",
    "was", "for", "and", "of", "about", "where", "most", "net", "worth",
    "balance", "income", "earn", "goal", "track", "many", "which", "show",
    "tell", "me", "are", "room", "left", "yesterday", "today", NULL
};


static void north_ai_words(north_ai_parse_t *p, const char *question);
static int north_ai_language(north_ai_parse_t *p, const char *question,
    int fallback);
static size_t north_ai_fold(const char *in, char *out, size_t size);
static void north_ai_amounts(north_ai_parse_t *p, char *flat);
static void north_ai_amount_words(north_ai_parse_t *p);
static north_ai_intent_e north_ai_intent(north_ai_parse_t *p);
static void north_ai_periods(north_ai_parse_t *p);
static int north_ai_period_at(north_ai_parse_t *p, size_t i, int64_t *start,
    int64_t *end, size_t *taken);
static int north_ai_month_at(north_ai_parse_t *p, size_t i);
static void north_ai_month_span(north_ai_parse_t *p, int month, int year,
    int64_t *start, int64_t *end);
static int64_t north_ai_month_start(int y, int m);
static int64_t north_ai_months_back(int64_t day, int months);
static void north_ai_limit(north_ai_parse_t *p);
static void north_ai_categories(north_ai_parse_t *p);
static void north_ai_merchant(north_ai_parse_t *p, int how);
static int north_ai_income_only(north_ai_query_t *q);
static void north_ai_account(north_ai_parse_t *p);
static void north_ai_goal(north_ai_parse_t *p);
static const char *north_ai_lexicon_at(north_ai_parse_t *p, size_t i,
    const north_ai_lexeme_t *lexicon, int fuzzy, size_t *taken);
static size_t north_ai_name_at(north_ai_parse_t *p, size_t i,
    const char *name, int how);
static int north_ai_phrase_at(north_ai_parse_t *p, size_t i,
    const char *phrase, int fuzzy);
static int north_ai_has(north_ai_parse_t *p, const char *phrase);
static int north_ai_any(north_ai_parse_t *p, const char *const *phrases);
static int north_ai_is(north_ai_parse_t *p, size_t i, const char *word);
static int north_ai_in(const char *word, const char *const *list);
static int north_ai_in_line(const char *word, size_t len, const char *line);
static int north_ai_near(const char *a, size_t alen, const char *b,
    size_t blen);
static int north_ai_near_line(const char *word, size_t len,
    const char *line);
static void north_ai_follow(north_ai_parse_t *p,
    const north_ai_query_t *previous);
static void north_ai_category_add(north_ai_query_t *q, const char *ids);
static void north_ai_before(north_ai_parse_t *p,
    const north_ai_query_t *previous, int64_t *start, int64_t *end);


void
north_ai_query_init(north_ai_query_t *q)
{
    memset(q, 0, sizeof(north_ai_query_t));

    q->start = q->end = q->start2 = q->end2 = -1;
    q->date = -1;
    q->amount_cents = -1;
    q->account = -1;
    q->goal = -1;
}


int
north_ai_intent_of(const char *name)
{
    int  i;

    for (i = 0; i < NORTH_AI_INTENTS; i++) {
        if (strcmp(name, north_ai_intents[i]) == 0) {
            return i;
        }
    }

    return -1;
}


void
north_ai_parse(const char *question, const north_ai_context_t *ctx,
    const north_ai_query_t *previous, north_ai_query_t *q)
{
    north_ai_parse_t  *p;

    north_ai_query_init(q);
    q->fr = ctx->fr;

    p = calloc(1, sizeof(north_ai_parse_t));
    if (p == NULL) {
        return;
    }

    p->ctx = ctx;
    p->q = q;
    p->amount.cents = -1;
    p->bare.cents = -1;

    north_ai_words(p, question);
    q->fr = north_ai_language(p, question, ctx->fr);

    p->versus_at = p->n;
    q->intent = north_ai_intent(p);

    /* the user's own names first: "Tim Hortons" is not coffee */
    north_ai_merchant(p, NORTH_AI_EXACT);
    north_ai_account(p);
    north_ai_limit(p);

    /* "How is my emergency fund doing?" names a goal: it is about it */
    if (q->intent == NORTH_AI_GOAL
        || (q->intent == NORTH_AI_UNKNOWN
            && (previous == NULL || previous->intent == NORTH_AI_GOAL)))
    {
        north_ai_goal(p);

        if (q->goal >= 0) {
            q->intent = NORTH_AI_GOAL;
        }
    }

    p->future = q->intent == NORTH_AI_AFFORD
                || (q->intent == NORTH_AI_UNKNOWN && previous != NULL
                    && previous->intent == NORTH_AI_AFFORD);

    north_ai_periods(p);
    north_ai_categories(p);
    north_ai_merchant(p, NORTH_AI_TYPOS);
    north_ai_amount_words(p);

    /* two periods in a spending question: a comparison */
    if (q->intent == NORTH_AI_SPENDING && p->nperiods == 2) {
        q->intent = NORTH_AI_COMPARE;
    }

    /* "government benefits": an income category asks about income */
    if ((q->intent == NORTH_AI_SPENDING || q->intent == NORTH_AI_UNKNOWN)
        && q->ncategories > 0 && north_ai_income_only(q))
    {
        q->intent = NORTH_AI_INCOME;
    }

    if (p->nperiods == 1 && q->intent == NORTH_AI_COMPARE
        && p->period_at[0] > p->versus_at)
    {
        /* "more than last month": the period compared with */
        q->start2 = p->periods[0][0];
        q->end2 = p->periods[0][1];

    } else if (p->nperiods > 0) {
        q->start = p->periods[0][0];
        q->end = p->periods[0][1];
    }

    if (p->nperiods > 1) {
        q->start2 = p->periods[1][0];
        q->end2 = p->periods[1][1];
    }

    q->amount_cents = p->amount.cents;

    if (q->intent == NORTH_AI_UNKNOWN && previous != NULL
        && previous->intent != NORTH_AI_UNKNOWN
        && previous->intent != NORTH_AI_HELP)
    {
        north_ai_follow(p, previous);
    }

    if (q->intent == NORTH_AI_UNKNOWN
        && (q->ncategories > 0 || q->merchant[0] != '\0')
        && (north_ai_has(p, "how much") || north_ai_has(p, "combien")))
    {
        q->intent = NORTH_AI_SPENDING;
    }

    if (q->intent == NORTH_AI_AFFORD) {
        if (q->amount_cents < 0 && p->bare.cents >= 0) {
            q->amount_cents = p->bare.cents;
        }

        if (q->start >= 0 && q->date < 0) {
            q->date = q->start > ctx->today ? q->start : ctx->today;
        }

        /* the purchase's period is its date, not a span; what it is
         * for does not change the projection */
        q->start = q->end = q->start2 = q->end2 = -1;
        q->ncategories = 0;
        q->merchant[0] = '\0';
        q->account = -1;
        q->account_kind = NULL;
    }

    if (q->intent == NORTH_AI_ROOM) {
        q->account = -1;            /* the room is the person's, not one
                                       account's */
        q->account_kind = NULL;
    }

    if (q->intent != NORTH_AI_GOAL) {
        q->goal = -1;
    }

    /* categories and merchants only narrow down transactions */
    if (q->intent == NORTH_AI_GOAL || q->intent == NORTH_AI_NET_WORTH
        || q->intent == NORTH_AI_BALANCE || q->intent == NORTH_AI_ROOM
        || q->intent == NORTH_AI_SUBSCRIPTIONS)
    {
        q->ncategories = 0;
        q->merchant[0] = '\0';
    }

    if (q->intent != NORTH_AI_COMPARE) {
        q->start2 = q->end2 = -1;
    }

    if (q->intent != NORTH_AI_AFFORD) {
        q->monthly = 0;

        if (!q->followup) {
            q->amount_cents = -1;
        }
    }

    if (q->intent != NORTH_AI_TOP && q->intent != NORTH_AI_LARGEST) {
        q->limit = 0;
        q->by_merchant = 0;
    }

    if (q->intent != NORTH_AI_ROOM) {
        q->room = NULL;
    }

    if (q->intent == NORTH_AI_UNKNOWN || q->intent == NORTH_AI_HELP) {
        north_ai_query_t  keep = *q;

        north_ai_query_init(q);
        q->intent = keep.intent;
        q->fr = keep.fr;
    }

    free(p);
}


/*
 * A follow-up: the question before, with what this one says instead. A
 * new merchant drops the category before it, and the reverse.
 */

static void
north_ai_follow(north_ai_parse_t *p, const north_ai_query_t *previous)
{
    int                fr;
    north_ai_query_t  *q, now;

    q = p->q;
    now = *q;

    /* "and the month before?": the one before the period asked about */
    if (now.start < 0 && previous->start >= 0) {
        north_ai_before(p, previous, &now.start, &now.end);
    }

    if (now.start < 0 && now.ncategories == 0 && now.merchant[0] == '\0'
        && now.account < 0 && now.account_kind == NULL && now.goal < 0
        && now.amount_cents < 0 && p->bare.cents < 0 && now.date < 0)
    {
        return;
    }

    fr = q->fr;
    *q = *previous;
    q->fr = fr;
    q->followup = 1;

    if (now.start >= 0) {
        if (previous->intent == NORTH_AI_AFFORD) {
            q->date = now.start > p->ctx->today ? now.start : p->ctx->today;

        } else {
            q->start = now.start;
            q->end = now.end;

            if (now.start2 >= 0) {
                q->start2 = now.start2;
                q->end2 = now.end2;
            }
        }
    }

    if (now.date >= 0) {
        q->date = now.date;
    }

    if (now.ncategories > 0) {
        memcpy(q->categories, now.categories, sizeof(now.categories));
        q->ncategories = now.ncategories;
        q->merchant[0] = '\0';

    } else if (now.merchant[0] != '\0') {
        memcpy(q->merchant, now.merchant, sizeof(now.merchant));
        q->ncategories = 0;
    }

    if (now.account >= 0 || now.account_kind != NULL) {
        q->account = now.account;
        q->account_kind = now.account_kind;
    }

    if (now.goal >= 0) {
        q->goal = now.goal;
    }

    if (now.amount_cents >= 0) {
        q->amount_cents = now.amount_cents;

    } else if (p->bare.cents >= 0 && previous->intent == NORTH_AI_AFFORD) {
        q->amount_cents = p->bare.cents;
    }

    if (now.monthly) {
        q->monthly = 1;
    }
}


static void
north_ai_before(north_ai_parse_t *p, const north_ai_query_t *previous,
    int64_t *start, int64_t *end)
{
    int       y;
    unsigned  m, d;

    if (!north_ai_has(p, "before") && !north_ai_has(p, "avant")) {
        return;
    }

    north_date_civil(previous->start, &y, &m, &d);

    if (north_ai_has(p, "month") || north_ai_has(p, "mois")) {
        m = m == 1 ? 12 : m - 1;
        y -= m == 12;
        *start = north_ai_month_start(y, (int) m);
        *end = north_ai_month_start(y + (m == 12), (int) (m % 12 + 1)) - 1;

    } else if (north_ai_has(p, "week") || north_ai_has(p, "semaine")) {
        *start = previous->start - 7;
        *end = previous->end - 7;

    } else if (north_ai_has(p, "year") || north_ai_has(p, "annee")) {
        *start = north_date_days(y - 1, 1, 1);
        *end = north_date_days(y - 1, 12, 31);
    }
}


/* the question as folded words; amounts in figures taken out first */

static void
north_ai_words(north_ai_parse_t *p, const char *question)
{
    char              flat[NORTH_AI_FLAT_MAX], *s;
    size_t            len;
    north_ai_word_t  *w;

    north_ai_fold(question, flat, sizeof(flat));
    north_ai_amounts(p, flat);

    for (s = flat; *s && p->n < NORTH_AI_WORDS_MAX; ) {
        if (*s == '$') {
            w = &p->w[p->n++];
            strcpy(w->w, "$");
            w->len = 1;
            w->num = -1;
            s++;
            continue;
        }

        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) {
            s++;
            continue;
        }

        w = &p->w[p->n++];
        len = 0;
        w->num = (*s >= '0' && *s <= '9') ? 0 : -1;

        for ( /* void */ ; (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9');
             s++)
        {
            if (len < NORTH_AI_WORD_LEN - 1) {
                w->w[len++] = *s;
            }

            if (w->num >= 0) {
                w->num = (*s >= '0' && *s <= '9' && w->num < 100000000)
                         ? w->num * 10 + (*s - '0') : -1;
            }
        }

        w->w[len] = '\0';
        w->len = len;

        /* "1er", "15th", "2nd": a day of the month */
        if (w->num < 0 && len >= 3 && w->w[0] >= '0' && w->w[0] <= '9'
            && (strcmp(w->w + len - 2, "er") == 0
                || strcmp(w->w + len - 2, "th") == 0
                || strcmp(w->w + len - 2, "st") == 0
                || strcmp(w->w + len - 2, "nd") == 0
                || strcmp(w->w + len - 2, "rd") == 0))
        {
            w->num = atoi(w->w);
        }

        if (w->num < 0) {
            const north_ai_number_word_t  *nw;

            for (nw = north_ai_number_words; nw->word; nw++) {
                if (nw->multiplier == 0 && nw->value > 1
                    && strcmp(nw->word, w->w) == 0)
                {
                    w->num = nw->value;
                    break;
                }
            }
        }
    }
}


/*
 * UTF-8 to lower-case ASCII: French accents folded, apostrophes and
 * hyphens made spaces ("l'épicerie" is two words), '$' '.' ',' '%' kept.
 */

static size_t
north_ai_fold(const char *in, char *out, size_t size)
{
    size_t                n;
    unsigned              c;
    const char           *fold;
    const unsigned char  *s;

    static const char    *latin =                  /* U+00C0 .. U+00FF */
        "aaaaaaaceeeeiiiidnooooo ouuuuy  "
        "aaaaaaaceeeeiiiidnooooo ouuuuy y";

    n = 0;

    for (s = (const unsigned char *) in; *s && n + 3 < size; s++) {
        fold = NULL;
        c = *s;

        /* "Tim Horton's", "McDonald's": the possessive joins its word */
        if ((c == '\'' || (c == 0xE2 && s[1] == 0x80 && s[2] == 0x99))
            && n > 0 && out[n - 1] >= 'a' && out[n - 1] <= 'z')
        {
            const unsigned char  *t = s + (c == '\'' ? 1 : 3);

            if ((*t == 's' || *t == 'S')
                && !((t[1] | 0x20) >= 'a' && (t[1] | 0x20) <= 'z'))
            {
                s = t - 1;
                continue;
            }
        }

        if (c >= 0x80) {
            if (c == 0xC3 && s[1] >= 0x80 && s[1] <= 0xBF) {
                c = latin[(s[1] - 0x80) + 0x00];
                if (s[1] == 0x86 || s[1] == 0xA6) {
                    fold = "ae";
                }
                s++;

            } else if (c == 0xC5 && (s[1] == 0x92 || s[1] == 0x93)) {
                fold = "oe";
                s++;

            } else {
                /* any other character is a space: skip its bytes */
                while ((s[1] & 0xC0) == 0x80) {
                    s++;
                }
                c = ' ';
            }
        }

        if (fold) {
            out[n++] = fold[0];
            out[n++] = fold[1];
            continue;
        }

        if (c >= 'A' && c <= 'Z') {
            c += 'a' - 'A';
        }

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '$'
              || c == '.' || c == ',' || c == '%'))
        {
            c = ' ';
        }

        out[n++] = (char) c;
    }

    out[n] = '\0';

    return n;
}


/*
 * Amounts written in figures: "$1,500", "1.5k", "1 500 $", "1500 dollars",
 * "12,50 $". Marked ones are blanked out of flat; an unmarked number with
 * separators is kept aside (an affordability question's amount).
 */

static void
north_ai_amounts(north_ai_parse_t *p, char *flat)
{
    char      *s, *b, *e, *t;
    int        marked, digits, groups;
    int64_t    whole, frac, mult;
    size_t     k;

    for (s = flat; *s; s++) {
        if (!(*s >= '0' && *s <= '9')
            || (s > flat && ((s[-1] >= 'a' && s[-1] <= 'z')
                             || (s[-1] >= '0' && s[-1] <= '9'))))
        {
            continue;
        }

        b = s;
        whole = 0;
        digits = 0;

        for (e = s; *e >= '0' && *e <= '9' && digits < 12; e++, digits++) {
            whole = whole * 10 + (*e - '0');
        }

        /* thousands: ",500" or " 500" (then only when marked) */
        groups = 0;

        for ( ;; ) {
            if ((e[0] == ',' || e[0] == ' ')
                && e[1] >= '0' && e[1] <= '9' && e[2] >= '0' && e[2] <= '9'
                && e[3] >= '0' && e[3] <= '9'
                && !(e[4] >= '0' && e[4] <= '9') && digits <= 3 + groups * 3
                && whole < 1000000000)
            {
                if (e[0] == ' ') {
                    /* a space group only where a currency follows */
                    t = e + 4;
                    while (*t == ' ') {
                        t++;
                    }
                    if (*t != '$' && strncmp(t, "dollar", 6) != 0) {
                        break;
                    }
                }

                whole = whole * 1000 + (e[1] - '0') * 100 + (e[2] - '0') * 10
                        + (e[3] - '0');
                e += 4;
                groups++;
                continue;
            }

            break;
        }

        frac = 0;

        if ((e[0] == '.' || e[0] == ',') && e[1] >= '0' && e[1] <= '9'
            && !(e[2] >= '0' && e[2] <= '9' && e[3] >= '0' && e[3] <= '9'))
        {
            frac = (e[1] - '0') * 10;
            e += 2;

            if (*e >= '0' && *e <= '9') {
                frac += *e - '0';
                e++;
            }
        }

        if (*e == '%') {
            s = e;
            continue;
        }

        marked = b > flat && (b[-1] == '$' || (b[-1] == ' ' && b - 1 > flat
                                                && b[-2] == '$'));
        if (marked) {
            b -= b[-1] == '$' ? 1 : 2;
        }

        mult = 1;
        t = e;

        while (*t == ' ') {
            t++;
        }

        if (*t == 'k' && !(t[1] >= 'a' && t[1] <= 'z')) {
            mult = 1000;
            marked = 1;
            e = t + 1;

        } else if (strncmp(t, "thousand", 8) == 0
                   || (strncmp(t, "mille", 5) == 0
                       && !(t[5] >= 'a' && t[5] <= 'z')))
        {
            mult = 1000;
            marked = 1;
            e = t + (t[0] == 't' ? 8 : 5);

        } else if (strncmp(t, "million", 7) == 0) {
            mult = 1000000;
            marked = 1;
            e = t + 7 + (t[7] == 's');
        }

        t = e;

        while (*t == ' ') {
            t++;
        }

        for (k = 0; north_ai_currency_words[k]; k++) {
            size_t  len = strlen(north_ai_currency_words[k]);

            if (strncmp(t, north_ai_currency_words[k], len) == 0
                && !(t[len] >= 'a' && t[len] <= 'z'))
            {
                marked = 1;
                e = t + len;
                break;
            }
        }

        if (!marked && groups == 0 && frac == 0 && e[0] != '.'
            && e[0] != ',')
        {
            s = e - 1;
            continue;                   /* a bare number: a word */
        }

        if (marked && p->amount.cents < 0) {
            p->amount.cents = (whole * 100 + frac) * mult;
            p->amount.marked = 1;

        } else if (!marked && p->bare.cents < 0) {
            p->bare.cents = (whole * 100 + frac) * mult;
        }

        memset(b, ' ', e - b);
        s = e - 1;

        if (*e == '\0') {
            break;
        }
    }
}


/*
 * Amounts in words: "mille cinq cents dollars", "fifteen hundred",
 * "two thousand bucks". Counted only with a multiplier or a currency.
 */

static void
north_ai_amount_words(north_ai_parse_t *p)
{
    size_t                          i, j, k;
    int64_t                         total, current;
    int                             scaled, any;
    const north_ai_number_word_t   *nw;

    for (i = 0; i < p->n; i++) {
        total = 0;
        current = 0;
        scaled = 0;
        any = 0;

        for (j = i; j < p->n && !p->w[j].used; j++) {
            for (nw = north_ai_number_words; nw->word; nw++) {
                if (strcmp(nw->word, p->w[j].w) == 0) {
                    break;
                }
            }

            if (nw->word == NULL) {
                if (any && j + 1 < p->n
                    && (north_ai_is(p, j, "and") || north_ai_is(p, j, "et")))
                {
                    continue;
                }

                if (north_ai_is(p, j, "a") && j + 1 < p->n
                    && (north_ai_is(p, j + 1, "thousand")
                        || north_ai_is(p, j + 1, "hundred")))
                {
                    current = 1;
                    any = 1;
                    continue;
                }

                break;
            }

            any = 1;

            if (nw->multiplier == 0) {
                /* "quatre vingt": four twenties */
                current = (nw->value == 20 && current == 4) ? 80
                                                              : current + nw->value;

            } else if (nw->multiplier == 1) {
                current = (current ? current : 1) * 100;
                scaled = 1;

            } else {
                total += (current ? current : 1) * nw->value;
                current = 0;
                scaled = 1;
            }
        }

        if (!any) {
            continue;
        }

        total += current;

        if (j < p->n && north_ai_in(p->w[j].w, north_ai_currency_words)) {
            scaled = 1;
            j++;
        }

        if (!scaled || total <= 0) {
            i = j;
            continue;
        }

        if (p->amount.cents < 0) {
            p->amount.cents = total * 100;
            p->amount.marked = 1;
        }

        for (k = i; k < j; k++) {
            p->w[k].used = 1;
        }

        i = j;
    }

    /* an affordability question's amount may be a bare number */
    for (i = 0; i < p->n && p->bare.cents < 0; i++) {
        if (!p->w[i].used && p->w[i].num >= 10 && p->w[i].w[0] >= '0'
            && p->w[i].w[0] <= '9')
        {
            p->bare.cents = p->w[i].num * 100;
        }
    }
}


/* the intent, by marker words in order of precedence */

static north_ai_intent_e
north_ai_intent(north_ai_parse_t *p)
{
    int     spend, income_verb, help;
    size_t  i;

    static const char *const  help_words[] = {
        "help", "aide", "what can you do", "que peux tu faire",
        "what can i ask", "te demander", "vous demander",
        "que sais tu faire", "examples", "exemples", "how does this work",
        "comment ca marche", NULL
    };

    static const char *const  afford_words[] = {
        "afford", "affordable", "permettre", "les moyens", "me payer",
        "can i buy", "could i buy", "puis je acheter", "peux je acheter",
        "est ce que je peux acheter", "enough money for", "enough for",
        "assez d argent pour", "assez pour", "swing", NULL
    };

    static const char *const  worth_words[] = {
        "net worth", "networth", "valeur nette", "patrimoine", "avoir net",
        "actif net", "worth", "richer", "plus riche", "poorer",
        "plus pauvre", NULL
    };

    static const char *const  room_words[] = {
        "room", "droits", "droit", "espace", "cotiser", "cotisation",
        "cotisations", "contribute", "contribution", "contributions",
        "put", "deposit", "mettre", "verser", "deposer", "limit",
        "plafond", "left", "reste", "can i", "puis je", "je peux", NULL
    };

    static const char *const  room_accounts[] = {
        "tfsa", "celi", "rrsp", "reer", "fhsa", "celiapp", NULL
    };

    static const char *const  goal_words[] = {
        "goal", "goals", "objectif", "objectifs", "on track",
        "en bonne voie", "saving for", "save per month",
        "need to save", "dois epargner", "dois mettre de cote", NULL
    };

    static const char *const  versus_words[] = {
        "than", "que", "qu", "vs", "versus", "compared", "rapport", "with",
        NULL
    };

    static const char *const  more_words[] = {
        "more", "less", "plus", "moins", NULL
    };

    static const char *const  how_much[] = {
        "how much", "combien", "total", NULL
    };

    static const char *const  subscription_words[] = {
        "subscription", "subscriptions", "abonnement", "abonnements",
        "recurring", "recurrent", "recurrents", "recurrente", "recurrentes",
        "prelevements", "preleve", "subscribed", "abonne", "abonnee",
        "every month", "chaque mois", "tous les mois", "automatically",
        "automatiquement", NULL
    };

    static const char *const  largest_words[] = {
        "largest", "biggest", "most expensive", "plus grosses",
        "plus grosse", "plus gros", "plus grandes", "plus grande",
        "plus cheres", "plus chere", "plus importantes", "plus importants",
        "highest", "plus elevees", "plus eleves", "plus cher", "plus chers",
        NULL
    };

    static const char *const  top_words[] = {
        "top", "most", "le plus", "principales", "principaux", NULL
    };

    static const char *const  where_money_words[] = {
        "money go", "money goes", "va mon argent", "va l argent",
        "part mon argent", NULL
    };

    static const char *const  can_words[] = {
        "can i", "could i", "should i", "puis je", "peux je", "je peux",
        "est ce que je peux", "pourrais je", NULL
    };

    static const char *const  group_words[] = {
        "categories", "category", "categorie", "merchants", "merchant",
        "marchands", "marchand", "stores", "magasins", "commerces",
        "where", "ou", "places", "endroits", NULL
    };

    static const char *const  by_words[] = {
        "categories", "category", "categorie", "merchants", "merchant",
        "marchands", "marchand", "stores", "magasins", "commerces",
        "where", "ou", "what", "quoi", "places", "endroits", NULL
    };

    static const char *const  item_words[] = {
        "transactions", "transaction", "purchases", "purchase", "achats",
        "achat", "expenses", "expense", NULL
    };

    static const char *const  compare_words[] = {
        "compare", "compared", "comparison", "vs", "versus", "than",
        "par rapport", "comparer", "comparaison", "compare a",
        "plus que", "moins que", "plus qu", "moins qu", "difference",
        NULL
    };

    static const char *const  income_words[] = {
        "income", "earn", "earned", "earnings", "salary", "paycheque",
        "paycheck", "paycheques", "paychecks", "revenu", "revenus",
        "gagne", "gagner", "salaire", "paie", "got paid", "get paid",
        "was i paid", "did i make", "i make", "i made", "ete paye",
        "touche", "recu", "ma paie", "receive", "received", "came in",
        "come in", "rentre", "entre", NULL
    };

    static const char *const  balance_words[] = {
        "balance", "balances", "solde", "soldes", "how much money do i have",
        "how much do i have", "how much is in", "how much is left in",
        "how much money is in", "combien ai je", "combien j ai dans",
        "combien il me reste", "combien il y a", "owe", "je dois",
        "combien d argent", "how much money", "how much cash", "what s in",
        "whats in", "how much is left on", "how much is on", "il a combien",
        NULL
    };

    static const char *const  spend_words[] = {
        "spend", "spent", "spending", "spends", "cost", "costs", "pay",
        "paid", "payed", "depense", "depenses", "depensee", "depensees",
        "depenser", "coute", "coutent", "coutait", "paye", "payer",
        "payes", "blew", "dropped", "achats", "shell out", "paie", "paies",
        "run me", "went to", "alle", "allee", "bought", NULL
    };

    help = north_ai_any(p, help_words);
    spend = north_ai_any(p, spend_words);
    income_verb = north_ai_any(p, income_words);

    for (i = 0; i < p->n; i++) {
        if (north_ai_in(p->w[i].w, versus_words)) {
            p->versus_at = i;
            break;
        }
    }

    /* "who won...": not about the user's money */
    if (north_ai_is(p, 0, "who") || north_ai_is(p, 0, "qui")) {
        return NORTH_AI_UNKNOWN;
    }

    if (north_ai_any(p, afford_words)
        || (p->amount.cents >= 0 && north_ai_any(p, can_words)))
    {
        return NORTH_AI_AFFORD;
    }

    if (north_ai_any(p, worth_words)) {
        return NORTH_AI_NET_WORTH;
    }

    if (north_ai_any(p, room_accounts) && north_ai_any(p, room_words)
        && !spend)
    {
        return NORTH_AI_ROOM;
    }

    if (north_ai_any(p, goal_words)) {
        return NORTH_AI_GOAL;
    }

    /* "how much did I spend on subscriptions" is a spending total */
    if (north_ai_any(p, subscription_words)
        && !(spend && north_ai_any(p, how_much)))
    {
        return NORTH_AI_SUBSCRIPTIONS;
    }

    if (north_ai_any(p, where_money_words)) {
        p->q->by_merchant = 1;
        return NORTH_AI_TOP;
    }

    /* "higher than last month" compares */
    if (north_ai_any(p, largest_words) && p->versus_at == p->n) {
        if (north_ai_any(p, group_words) && !north_ai_any(p, item_words)) {
            p->q->by_merchant = !north_ai_has(p, "categories")
                                && !north_ai_has(p, "category")
                                && !north_ai_has(p, "categorie");
            return NORTH_AI_TOP;
        }

        return NORTH_AI_LARGEST;
    }

    if (north_ai_any(p, top_words) && north_ai_any(p, item_words)
        && !north_ai_any(p, group_words))
    {
        return NORTH_AI_LARGEST;
    }

    if (north_ai_any(p, top_words)
        && (spend || north_ai_any(p, by_words)))
    {
        p->q->by_merchant = north_ai_has(p, "merchants")
                            || north_ai_has(p, "merchant")
                            || north_ai_has(p, "marchands")
                            || north_ai_has(p, "stores")
                            || north_ai_has(p, "magasins")
                            || north_ai_has(p, "commerces")
                            || north_ai_has(p, "where")
                            || north_ai_has(p, "places")
                            || north_ai_has(p, "endroits")
                            || (north_ai_has(p, "ou")
                                && !north_ai_has(p, "categories"));
        return NORTH_AI_TOP;
    }

    if ((north_ai_any(p, compare_words)
         || (north_ai_any(p, more_words) && p->versus_at < p->n))
        && (spend || !income_verb))
    {
        return NORTH_AI_COMPARE;
    }

    if (income_verb && !north_ai_has(p, "paye pour")
        && !north_ai_has(p, "pay for"))
    {
        return NORTH_AI_INCOME;
    }

    if (north_ai_any(p, balance_words) && !spend) {
        return NORTH_AI_BALANCE;
    }

    if (spend) {
        return NORTH_AI_SPENDING;
    }

    return help ? NORTH_AI_HELP : NORTH_AI_UNKNOWN;
}


/* periods, at most two, in the order said */

static void
north_ai_periods(north_ai_parse_t *p)
{
    size_t    i, k, taken;
    int64_t   start, end;

    for (i = 0; i < p->n; i++) {
        if (p->w[i].used) {
            continue;
        }

        if (north_ai_period_at(p, i, &start, &end, &taken) != 0) {
            continue;
        }

        for (k = i; k < i + taken; k++) {
            p->w[k].used = 1;
        }

        if (start < 0) {
            continue;                   /* a date said: p->q->date */
        }

        if (p->nperiods < 2) {
            p->periods[p->nperiods][0] = start;
            p->periods[p->nperiods][1] = end;
            p->period_at[p->nperiods] = i;
            p->nperiods++;
        }

        i += taken - 1;
    }
}


static int
north_ai_period_at(north_ai_parse_t *p, size_t i, int64_t *start,
    int64_t *end, size_t *taken)
{
    int       y, m, mm, year, day;
    size_t    j, k;
    int64_t   today, n, unit;
    unsigned  um, ud;

    today = p->ctx->today;
    north_date_civil(today, &y, &um, &ud);
    m = (int) um;
    *end = today;

#define word(k)  ((i + (k)) < p->n ? p->w[i + (k)].w : "")
#define is(k, s) (strcmp(word(k), s) == 0)

    /* "last 30 days", "past 2 weeks", "les 3 derniers mois" */
    for (k = 0; k < 3 && i + k < p->n; k++) {
        if (p->w[i + k].num > 0 && p->w[i + k].num <= 1000
            && (k == 0 || is(0, "last") || is(0, "past") || is(0, "previous")
                || is(0, "les") || is(0, "des") || is(0, "derniers")
                || is(0, "dernieres") || is(0, "the") || is(0, "depuis")))
        {
            break;
        }
    }

    if (k < 3 && i + k < p->n) {
        n = p->w[i + k].num;
        j = k + 1;

        if (is(j, "derniers") || is(j, "dernieres") || is(j, "last")) {
            j++;
        }

        unit = 0;

        if (is(j, "days") || is(j, "day") || is(j, "jours") || is(j, "jour")) {
            unit = 1;
        } else if (is(j, "weeks") || is(j, "week") || is(j, "semaines")
                   || is(j, "semaine"))
        {
            unit = 7;
        } else if (is(j, "months") || is(j, "month") || is(j, "mois")) {
            unit = 30;
        } else if (is(j, "years") || is(j, "year") || is(j, "ans")
                   || is(j, "annees"))
        {
            unit = 365;
        }

        if (unit && (k > 0 || is(j + 1, "derniers") || is(j + 1, "dernieres")
                     || is(j + 1, "ago")))
        {
            if (is(j + 1, "derniers") || is(j + 1, "dernieres")) {
                j++;
            }

            *start = unit == 30 ? north_ai_months_back(today, (int) n) + 1
                     : unit == 365 ? north_ai_months_back(today, (int) n * 12) + 1
                     : today - n * unit + 1;
            *taken = j + 1;
            return 0;
        }

        /* "in 2 weeks", "dans 3 mois": a date ahead */
        if (unit && i > 0 && (strcmp(p->w[i - 1].w, "in") == 0
                              || strcmp(p->w[i - 1].w, "dans") == 0))
        {
            p->q->date = unit == 30 ? north_ai_months_back(today, -(int) n)
                                    : today + n * unit;
            *start = -1;
            *taken = j + 1;
            return 0;
        }
    }

    /* "in a month", "dans un mois": a date ahead, not "a month" */
    if ((is(0, "in") && is(1, "a")) || (is(0, "dans") && is(1, "un"))) {
        if (is(2, "month") || is(2, "mois")) {
            p->q->date = north_ai_months_back(today, -1);
            *start = -1;
            *taken = 3;
            return 0;
        }

        if (is(2, "week") || is(2, "semaine")) {
            p->q->date = today + 7;
            *start = -1;
            *taken = 3;
            return 0;
        }
    }

    /* "past week", "past month", "past year": rolling */
    if (is(0, "past")) {
        if (is(1, "week")) {
            *start = today - 6;
            *taken = 2;
            return 0;
        }

        if (is(1, "month")) {
            *start = north_ai_months_back(today, 1) + 1;
            *taken = 2;
            return 0;
        }

        if (is(1, "year")) {
            *start = north_ai_months_back(today, 12) + 1;
            *taken = 2;
            return 0;
        }
    }

    /* calendar units relative to today */
    {
        int  rel = 2, unit_kind = 0;     /* rel: -1 last, 0 this, 1 next */

        if ((is(0, "last") || is(0, "previous")) && !is(1, "weekend")) {
            rel = -1;
        } else if (is(0, "this") || is(0, "current") || is(0, "ce")
                   || is(0, "cette") || is(0, "cet"))
        {
            rel = 0;
        } else if (is(0, "next") || is(0, "coming")) {
            rel = 1;
        }

        if (rel != 2) {
            unit_kind = is(1, "week") || is(1, "semaine") ? 1
                        : is(1, "month") || is(1, "mois") ? 2
                        : is(1, "year") || is(1, "annee") || is(1, "an") ? 3
                        : 0;
            j = 2;

            if (unit_kind == 2 && is(2, "ci")) {
                j = 3;
            }
        }

        if (rel == 2) {
            /* "mois dernier", "semaine prochaine", "l'an passé" */
            unit_kind = is(0, "semaine") ? 1 : is(0, "mois") ? 2
                        : is(0, "annee") || is(0, "an") ? 3 : 0;

            if (unit_kind) {
                if (is(1, "dernier") || is(1, "derniere") || is(1, "passe")
                    || is(1, "passee") || is(1, "precedent")
                    || is(1, "precedente"))
                {
                    rel = -1;
                } else if (is(1, "prochain") || is(1, "prochaine")) {
                    rel = 1;
                } else if (is(1, "courant") || is(1, "en") || is(1, "ci")) {
                    rel = (is(1, "en") && is(2, "cours")) || !is(1, "en")
                          ? 0 : 2;
                }
                j = (rel == 0 && is(1, "en")) ? 3 : 2;
            }
        }

        if (rel != 2 && unit_kind) {
            int64_t  monday = today - (today + 3) % 7;

            switch (unit_kind) {
            case 1:
                *start = monday + rel * 7;
                *end = rel == 0 ? today : *start + 6;
                break;
            case 2:
                mm = m + rel;
                year = y;
                if (mm < 1) { mm += 12; year--; }
                if (mm > 12) { mm -= 12; year++; }
                north_ai_month_span(p, mm, year, start, end);
                if (rel == 0) {
                    *end = today;
                }
                break;
            default:
                *start = north_date_days(y + rel, 1, 1);
                *end = rel == 0 ? today : north_date_days(y + rel, 12, 31);
            }

            if (rel == 1) {
                p->q->date = *start;
                *start = -1;
            }

            *taken = j;
            return 0;
        }
    }

    /* "last weekend", "this weekend", "la fin de semaine dernière" */
    {
        int  rel = 2;

        j = 0;

        if (is(0, "last") || is(0, "this") || is(0, "next")
            || is(0, "ce") || is(0, "la") || is(0, "le"))
        {
            rel = is(0, "last") ? -1 : is(0, "next") ? 1 : 0;
            j = 1;
        }

        if (is(j, "weekend") || (is(j, "week") && is(j + 1, "end"))
            || (is(j, "fin") && is(j + 1, "de") && is(j + 2, "semaine")))
        {
            k = j + (is(j, "weekend") ? 1 : is(j, "week") ? 2 : 3);

            if (is(k, "dernier") || is(k, "derniere") || is(k, "passe")
                || is(k, "passee"))
            {
                rel = -1;
                k++;

            } else if (is(k, "prochain") || is(k, "prochaine")) {
                rel = 1;
                k++;
            }

            if (rel != 2) {
                /* the Saturday of this week, one before or after */
                *start = today - (today + 3) % 7 + 5 + rel * 7;
                *end = *start + 1;

                if (p->future || rel == 1) {
                    p->q->date = *start > today ? *start : today;
                    *start = -1;
                }

                *taken = k;
                return 0;
            }
        }
    }

    if (is(0, "yesterday") || is(0, "hier")) {
        *start = *end = today - 1;
        *taken = 1;
        return 0;
    }

    if (is(0, "today") || (is(0, "aujourd") && is(1, "hui"))) {
        *start = *end = today;
        *taken = is(0, "today") ? 1 : 2;
        return 0;
    }

    if (is(0, "tomorrow") || is(0, "demain")) {
        p->q->date = today + 1;
        *start = -1;
        *taken = 1;
        return 0;
    }

    /* "year to date", "so far this year", "depuis le début de l'année" */
    if ((is(0, "year") && is(1, "to") && is(2, "date")) || is(0, "ytd")) {
        *start = north_date_days(y, 1, 1);
        *taken = is(0, "ytd") ? 1 : 3;
        return 0;
    }

    if (is(0, "month") && is(1, "to") && is(2, "date")) {
        *start = north_ai_month_start(y, m);
        *taken = 3;
        return 0;
    }

    if ((is(0, "depuis") && is(1, "le") && is(2, "debut"))
        || (is(0, "since") && is(1, "the") && (is(2, "start")
                                               || is(2, "beginning"))))
    {
        k = 3;

        while (is(k, "de") || is(k, "du") || is(k, "l") || is(k, "of")
               || is(k, "the") || is(k, "la"))
        {
            k++;
        }

        if (is(k, "mois") || is(k, "month")) {
            *start = north_ai_month_start(y, m);
            *taken = k + 1;
            return 0;
        }

        if (is(k, "annee") || is(k, "year") || is(k, "an")) {
            *start = north_date_days(y, 1, 1);
            *taken = k + 1;
            return 0;
        }
    }

    /* "since January", "depuis janvier", "since last month" */
    if (is(0, "since") || is(0, "depuis")) {
        k = 1;

        if (is(k, "le") || is(k, "the")) {
            k++;
        }

        if (i + k < p->n && p->w[i + k].num == 1 && is(k + 1, "janvier")) {
            k++;
        }

        mm = i + k < p->n ? north_ai_month_at(p, i + k) : -1;

        if (mm > 0) {
            year = (mm <= m) ? y : y - 1;

            if (i + k + 1 < p->n && p->w[i + k + 1].num >= 1990
                && p->w[i + k + 1].num <= 2100)
            {
                year = (int) p->w[i + k + 1].num;
                k++;
            }

            *start = north_ai_month_start(year, mm);
            *taken = k + 1;
            return 0;
        }

        k = 1;

        while (is(k, "l") || is(k, "le") || is(k, "la")) {
            k++;
        }

        if (north_ai_period_at(p, i + k, start, end, taken) == 0
            && *start >= 0)
        {
            *end = today;
            *taken += k;
            return 0;
        }
    }

    /* "in 2025", "en 2025" */
    if ((is(0, "in") || is(0, "en") || is(0, "for") || is(0, "pour")
         || is(0, "during") || is(0, "durant"))
        && i + 1 < p->n && p->w[i + 1].num >= 1990 && p->w[i + 1].num <= 2100)
    {
        year = (int) p->w[i + 1].num;
        *start = north_date_days(year, 1, 1);
        *end = north_date_days(year, 12, 31);
        *end = *end > today && !p->future ? today : *end;
        *taken = 2;
        return 0;
    }

    /* "2025 and 2024": a year alone, after another period or a "vs" */
    if (!p->future && p->w[i].num >= 1990 && p->w[i].num <= 2100
        && (p->nperiods > 0 || p->versus_at < i))
    {
        year = (int) p->w[i].num;
        *start = north_date_days(year, 1, 1);
        *end = north_date_days(year, 12, 31);
        *end = *end > today ? today : *end;
        *taken = 1;
        return 0;
    }

    /* a month: "March", "in March 2025", "15 mars", "March 15th" */
    day = 0;
    k = 0;

    if (p->w[i].num >= 1 && p->w[i].num <= 31 && i + 1 < p->n
        && north_ai_month_at(p, i + 1) > 0)
    {
        day = (int) p->w[i].num;
        k = 1;
    }

    mm = north_ai_month_at(p, i + k);

    if (mm <= 0) {
        return -1;
    }

    j = k + 1;
    year = -1;

    if (day == 0 && i + j < p->n && p->w[i + j].num >= 1
        && p->w[i + j].num <= 31)
    {
        day = (int) p->w[i + j].num;
        j++;
    }

    if (i + j < p->n && p->w[i + j].num >= 1990 && p->w[i + j].num <= 2100) {
        year = (int) p->w[i + j].num;
        j++;
    }

    north_ai_month_span(p, mm, year, start, end);

    if (day > 0) {
        north_date_civil(*start, &year, &um, &ud);
        *start = north_date_days(year, um, (unsigned) day);

        if (*start > *end) {
            *start = *end;
        }

        *end = *start;
    }

    *taken = j;

    return 0;

#undef is
#undef word
}


/* a month's number (1..12) if word i names one, else -1 */

static int
north_ai_month_at(north_ai_parse_t *p, size_t i)
{
    int          m;
    const char  *w;

    if (i >= p->n || p->w[i].used) {
        return -1;
    }

    w = p->w[i].w;

    for (m = 0; north_ai_months[m]; m++) {
        if (north_ai_in_line(w, p->w[i].len, north_ai_months[m])) {
            break;
        }
    }

    if (north_ai_months[m] == NULL) {
        return -1;
    }

    /* "may I", "mar": only where a month is expected */
    if (strcmp(w, "may") == 0 || strcmp(w, "mar") == 0
        || strcmp(w, "sept") == 0 || strcmp(w, "dec") == 0)
    {
        if (!(i > 0 && (north_ai_is(p, i - 1, "in")
                        || north_ai_is(p, i - 1, "since")
                        || north_ai_is(p, i - 1, "for")
                        || north_ai_is(p, i - 1, "during")
                        || north_ai_is(p, i - 1, "of")
                        || north_ai_is(p, i - 1, "en")
                        || north_ai_is(p, i - 1, "depuis")
                        || north_ai_is(p, i - 1, "de")
                        || (p->w[i - 1].num >= 1 && p->w[i - 1].num <= 31)))
            && !(i + 1 < p->n && p->w[i + 1].num >= 1))
        {
            return -1;
        }
    }

    return m + 1;
}


/*
 * A month with no year: the latest one begun (a question about the
 * past), or the next one to come (an affordability question).
 */

static void
north_ai_month_span(north_ai_parse_t *p, int month, int year,
    int64_t *start, int64_t *end)
{
    int       y;
    unsigned  m, d;

    north_date_civil(p->ctx->today, &y, &m, &d);

    if (year < 0) {
        year = p->future ? (month >= (int) m ? y : y + 1)
                         : (month <= (int) m ? y : y - 1);
    }

    *start = north_ai_month_start(year, month);
    *end = north_ai_month_start(year + (month == 12), month % 12 + 1) - 1;

    if (!p->future && *end > p->ctx->today && *start <= p->ctx->today) {
        *end = p->ctx->today;
    }
}


static int64_t
north_ai_month_start(int y, int m)
{
    return north_date_days(y, (unsigned) m, 1);
}


/* the same day months back (forward when negative), clamped to month end */

static int64_t
north_ai_months_back(int64_t day, int months)
{
    int       y, mm;
    unsigned  m, d, last;

    north_date_civil(day, &y, &m, &d);

    mm = (int) m - 1 - months;
    y += mm >= 0 ? mm / 12 : -((11 - mm) / 12);
    mm = ((mm % 12) + 12) % 12 + 1;

    last = (unsigned) (north_ai_month_start(y + (mm == 12), mm % 12 + 1)
                       - north_ai_month_start(y, mm));

    return north_date_days(y, (unsigned) mm, d < last ? d : last);
}


/* "top 5", "5 biggest", "les 3 plus grosses"; a monthly commitment */

static void
north_ai_limit(north_ai_parse_t *p)
{
    size_t  i;

    for (i = 0; i < p->n; i++) {
        if (p->w[i].used) {
            continue;
        }

        if (p->w[i].num > 0 && p->w[i].num <= NORTH_AI_LIMIT_MAX
            && ((i > 0 && (north_ai_is(p, i - 1, "top")
                           || north_ai_is(p, i - 1, "les")
                           || north_ai_is(p, i - 1, "mes")
                           || north_ai_is(p, i - 1, "my")))
                || (i + 1 < p->n && (north_ai_is(p, i + 1, "largest")
                                     || north_ai_is(p, i + 1, "biggest")
                                     || north_ai_is(p, i + 1, "plus")
                                     || north_ai_is(p, i + 1, "most")
                                     || north_ai_is(p, i + 1, "principales")
                                     || north_ai_is(p, i + 1, "principaux")
                                     || north_ai_is(p, i + 1, "categories")
                                     || north_ai_is(p, i + 1, "merchants")
                                     || north_ai_is(p, i + 1, "marchands")
                                     || north_ai_is(p, i + 1, "transactions")
                                     || north_ai_is(p, i + 1, "purchases")
                                     || north_ai_is(p, i + 1, "achats")
                                     || north_ai_is(p, i + 1, "depenses")
                                     || north_ai_is(p, i + 1, "stores")))))
        {
            p->q->limit = (int) p->w[i].num;
            p->w[i].used = 1;
        }

        if (north_ai_is(p, i, "monthly") || north_ai_is(p, i, "mensuel")
            || north_ai_is(p, i, "mensuelle")
            || north_ai_is(p, i, "mensuellement")
            || ((north_ai_is(p, i, "per") || north_ai_is(p, i, "a")
                 || north_ai_is(p, i, "every") || north_ai_is(p, i, "each")
                 || north_ai_is(p, i, "par") || north_ai_is(p, i, "chaque"))
                && i + 1 < p->n
                && (north_ai_is(p, i + 1, "month")
                    || north_ai_is(p, i + 1, "mois"))
                && !(i > 0 && (north_ai_is(p, i - 1, "in")
                               || north_ai_is(p, i - 1, "dans")))))
        {
            p->q->monthly = 1;
            p->w[i].used = 1;

            if (!north_ai_is(p, i, "monthly") && i + 1 < p->n
                && p->w[i].w[0] != 'm')
            {
                p->w[i + 1].used = 1;
            }
        }
    }
}


/* categories by the lexicon: the longest phrase, typos allowed */

static void
north_ai_categories(north_ai_parse_t *p)
{
    size_t       i, k, taken;
    const char  *ids;

    for (i = 0; i < p->n; i++) {
        if (p->w[i].used) {
            continue;
        }

        ids = north_ai_lexicon_at(p, i, north_ai_categories_lexicon, 1,
                                  &taken);
        if (ids == NULL) {
            continue;
        }

        north_ai_category_add(p->q, ids);

        for (k = i; k < i + taken; k++) {
            p->w[k].used = 1;
        }

        i += taken - 1;
    }
}


static void
north_ai_category_add(north_ai_query_t *q, const char *ids)
{
    char         id[48];
    size_t       k, len;
    const char  *s, *e;
    const north_category_t  *c;

    for (s = ids; *s; s = *e ? e + 1 : e) {
        e = strchr(s, ',');
        e = e ? e : s + strlen(s);
        len = (size_t) (e - s) < sizeof(id) - 1 ? (size_t) (e - s)
                                                 : sizeof(id) - 1;
        memcpy(id, s, len);
        id[len] = '\0';

        c = north_category_find(id);
        if (c == NULL) {
            continue;
        }

        for (k = 0; k < q->ncategories; k++) {
            if (strcmp(q->categories[k], c->id) == 0) {
                break;
            }
        }

        if (k == q->ncategories && k < NORTH_AI_CATEGORIES_MAX) {
            q->categories[q->ncategories++] = c->id;
        }
    }
}


static int
north_ai_income_only(north_ai_query_t *q)
{
    size_t  k;

    for (k = 0; k < q->ncategories; k++) {
        if (north_category_find(q->categories[k])->kind
            != NORTH_CATEGORY_INCOME)
        {
            return 0;
        }
    }

    return 1;
}


/* the user's merchant said, exactly or within an edit distance */

static void
north_ai_merchant(north_ai_parse_t *p, int how)
{
    size_t       i, m, k, taken, best, best_taken;
    const char  *key;

    if (p->q->merchant[0] != '\0') {
        return;
    }

    best = 0;
    best_taken = 0;
    k = 0;

    for (i = 0; i < p->n; i++) {
        if (p->w[i].used) {
            continue;
        }

        for (m = 0; m < p->ctx->nmerchants; m++) {
            taken = north_ai_name_at(p, i, p->ctx->merchants[m], how);

            if (taken > best_taken) {
                best = m;
                best_taken = taken;
                k = i;
            }
        }

        if (best_taken > 0) {
            break;
        }
    }

    if (best_taken == 0) {
        return;
    }

    key = p->ctx->merchants[best];

    while (*key == ' ') {
        key++;
    }

    snprintf(p->q->merchant, NORTH_AI_NAME_MAX, "%s", key);
    taken = strlen(p->q->merchant);

    while (taken > 0 && p->q->merchant[taken - 1] == ' ') {
        p->q->merchant[--taken] = '\0';
    }

    for (i = k; i < k + best_taken; i++) {
        p->w[i].used = 1;
    }
}


/* an account by its name, else a kind of account */

static void
north_ai_account(north_ai_parse_t *p)
{
    size_t       i, a, k, taken, best_taken, best_i;
    int          best;
    const char  *kind;

    best = -1;
    best_taken = 0;
    best_i = 0;

    for (i = 0; i < p->n; i++) {
        if (p->w[i].used) {
            continue;
        }

        for (a = 0; a < p->ctx->naccounts; a++) {
            taken = north_ai_name_at(p, i, p->ctx->accounts[a].name,
                                     NORTH_AI_PREFIX);

            if (taken > best_taken) {
                best = (int) a;
                best_taken = taken;
                best_i = i;
            }
        }
    }

    if (best >= 0) {
        p->q->account = best;
        kind = p->ctx->accounts[best].kind;

        if (strcmp(kind, "tfsa") == 0 || strcmp(kind, "rrsp") == 0
            || strcmp(kind, "fhsa") == 0)
        {
            p->q->room = kind;
        }

        for (k = best_i; k < best_i + best_taken; k++) {
            p->w[k].used = 1;
        }

        return;
    }

    for (i = 0; i < p->n; i++) {
        if (p->w[i].used) {
            continue;
        }

        kind = north_ai_lexicon_at(p, i, north_ai_kinds_lexicon, 0, &taken);
        if (kind == NULL) {
            continue;
        }

        if (strcmp(kind, "tfsa") == 0 || strcmp(kind, "rrsp") == 0
            || strcmp(kind, "fhsa") == 0)
        {
            p->q->room = kind;
        }

        /* a mortgage in a spending question is the category */
        if (strcmp(kind, "mortgage") == 0
            && p->q->intent != NORTH_AI_BALANCE)
        {
            continue;
        }

        /* the one account of that kind is that account */
        for (a = 0; a < p->ctx->naccounts; a++) {
            if (strcmp(p->ctx->accounts[a].kind, kind) == 0) {
                best = best < 0 ? (int) a : -2;
            }
        }

        if (best >= 0) {
            p->q->account = best;
        } else {
            p->q->account_kind = kind;
        }

        for (k = i; k < i + taken; k++) {
            p->w[k].used = 1;
        }

        return;
    }
}


/* a goal by its name, or by a word meaning the same in the other language */

static void
north_ai_goal(north_ai_parse_t *p)
{
    size_t       g, i, taken, s;
    char         word[NORTH_AI_WORD_LEN], folded[NORTH_AI_FLAT_MAX];
    const char  *name, *e;
    size_t       len;

    for (g = 0; g < p->ctx->ngoals; g++) {
        for (i = 0; i < p->n; i++) {
            if (p->w[i].used) {
                continue;
            }

            taken = north_ai_name_at(p, i, p->ctx->goals[g].name,
                                     NORTH_AI_PREFIX);

            if (taken > 0) {
                p->q->goal = (int) g;
                for (s = i; s < i + taken; s++) {
                    p->w[s].used = 1;
                }
                return;
            }
        }
    }

    /* "vacation" for a goal named "Vacances au Japon" */
    for (g = 0; g < p->ctx->ngoals; g++) {
        north_ai_fold(p->ctx->goals[g].name, folded, sizeof(folded));

        for (name = folded; *name; name = e) {
            while (*name && !(*name >= 'a' && *name <= 'z')) {
                name++;
            }

            for (e = name; *e >= 'a' && *e <= 'z'; e++) { /* void */ }

            len = (size_t) (e - name);
            if (len == 0 || len >= sizeof(word)) {
                continue;
            }

            memcpy(word, name, len);
            word[len] = '\0';

            for (s = 0; north_ai_goal_synonyms[s]; s++) {
                if (!north_ai_in_line(word, len, north_ai_goal_synonyms[s])) {
                    continue;
                }

                for (i = 0; i < p->n; i++) {
                    if (!p->w[i].used
                        && !north_ai_in(p->w[i].w, north_ai_stopwords)
                        && north_ai_near_line(p->w[i].w, p->w[i].len,
                                              north_ai_goal_synonyms[s]))
                    {
                        p->q->goal = (int) g;
                        p->w[i].used = 1;
                        return;
                    }
                }
            }
        }
    }
}


/*
 * The lexicon's value for its longest phrase at word i; fuzzy: each word
 * of five letters or more within an edit distance of one (two from eight).
 */

static const char *
north_ai_lexicon_at(north_ai_parse_t *p, size_t i,
    const north_ai_lexeme_t *lexicon, int fuzzy, size_t *taken)
{
    int                        n, best_n, pass;
    const north_ai_lexeme_t   *l, *best;

    best = NULL;
    best_n = 0;

    for (pass = 0; pass < 1 + fuzzy && best == NULL; pass++) {
        for (l = lexicon; l->phrase; l++) {
            n = north_ai_phrase_at(p, i, l->phrase, pass);

            if (n > best_n) {
                best = l;
                best_n = n;
            }
        }
    }

    *taken = (size_t) best_n;

    return best ? best->value : NULL;
}


/*
 * How many words of the question, from i, spell name (a merchant's key,
 * an account's or a goal's name); 0 when they do not. The name's
 * stopwords and store numbers may be left out. how: NORTH_AI_EXACT, every
 * other word as written; NORTH_AI_TYPOS, within the edit distance;
 * NORTH_AI_PREFIX, also its first words only ("my Visa" for "Visa
 * Infinite").
 */

static size_t
north_ai_name_at(north_ai_parse_t *p, size_t i, const char *name, int how)
{
    char         folded[NORTH_AI_FLAT_MAX], w[NORTH_AI_WORD_LEN];
    const char  *s, *e;
    size_t       j, len;
    int          distinctive, missing, exact;

    north_ai_fold(name, folded, sizeof(folded));

    j = i;
    distinctive = 0;
    missing = 0;

    for (s = folded; *s; s = e) {
        while (*s && !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) {
            s++;
        }

        for (e = s; (*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9'); e++) {
            /* void */
        }

        len = (size_t) (e - s);
        if (len == 0) {
            break;
        }

        if (len >= sizeof(w)) {
            return 0;
        }

        memcpy(w, s, len);
        w[len] = '\0';

        exact = j < p->n && !p->w[j].used && p->w[j].len == len
                && memcmp(p->w[j].w, w, len) == 0;

        if (!missing
            && (exact || (how != NORTH_AI_EXACT && j < p->n && !p->w[j].used
                          && north_ai_near(p->w[j].w, p->w[j].len, w, len))))
        {
            distinctive |= !north_ai_in(w, north_ai_stopwords)
                           && (len >= 3 || j == i);
            j++;
            continue;
        }

        if (north_ai_in(w, north_ai_stopwords) || (w[0] >= '0' && w[0] <= '9'))
        {
            continue;
        }

        if (j == i || how != NORTH_AI_PREFIX) {
            return 0;
        }

        missing = 1;
    }

    if (!distinctive || j == i) {
        return 0;
    }

    /* a short word alone names nothing */
    if (j - i == 1 && p->w[i].len < 3) {
        return 0;
    }

    return j - i;
}


/* the number of words of phrase matched at i, or 0 */

static int
north_ai_phrase_at(north_ai_parse_t *p, size_t i, const char *phrase,
    int fuzzy)
{
    size_t       j, len;
    const char  *s, *e;

    j = i;

    for (s = phrase; *s; s = *e ? e + 1 : e) {
        e = strchr(s, ' ');
        e = e ? e : s + strlen(s);
        len = (size_t) (e - s);

        if (j >= p->n || p->w[j].used) {
            return 0;
        }

        if (!(p->w[j].len == len && strncmp(p->w[j].w, s, len) == 0)
            && !(fuzzy && north_ai_near(p->w[j].w, p->w[j].len, s, len)))
        {
            return 0;
        }

        j++;
    }

    return (int) (j - i);
}


/* whether the phrase occurs anywhere, used or not, typos allowed */

static int
north_ai_has(north_ai_parse_t *p, const char *phrase)
{
    size_t  i;
    int     n;
    unsigned  used[NORTH_AI_WORDS_MAX];

    for (i = 0; i < p->n; i++) {
        used[i] = p->w[i].used;
        p->w[i].used = 0;
    }

    n = 0;

    for (i = 0; i < p->n && n == 0; i++) {
        n = north_ai_phrase_at(p, i, phrase, 1);
    }

    for (i = 0; i < p->n; i++) {
        p->w[i].used = used[i];
    }

    return n > 0;
}


static int
north_ai_any(north_ai_parse_t *p, const char *const *phrases)
{
    for ( /* void */ ; *phrases; phrases++) {
        if (north_ai_has(p, *phrases)) {
            return 1;
        }
    }

    return 0;
}


static int
north_ai_is(north_ai_parse_t *p, size_t i, const char *word)
{
    return i < p->n && strcmp(p->w[i].w, word) == 0;
}


static int
north_ai_in(const char *word, const char *const *list)
{
    for ( /* void */ ; *list; list++) {
        if (strcmp(word, *list) == 0) {
            return 1;
        }
    }

    return 0;
}


/* whether word is one of line's space-separated words */

static int
north_ai_in_line(const char *word, size_t len, const char *line)
{
    const char  *s, *e;

    for (s = line; *s; s = *e ? e + 1 : e) {
        e = strchr(s, ' ');
        e = e ? e : s + strlen(s);

        if ((size_t) (e - s) == len && strncmp(s, word, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/* whether word is one of line's words, or near one */

static int
north_ai_near_line(const char *word, size_t len, const char *line)
{
    const char  *s, *e;

    for (s = line; *s; s = *e ? e + 1 : e) {
        e = strchr(s, ' ');
        e = e ? e : s + strlen(s);

        if (((size_t) (e - s) == len && strncmp(s, word, len) == 0)
            || north_ai_near(word, len, s, (size_t) (e - s)))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Within the typo distance: optimal string alignment (a swap of two
 * letters is one edit), one edit for words of 6 or 7 letters, two from 8;
 * the first letter is never wrong.
 */

static int
north_ai_near(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t  i, j, max;
    int     d[NORTH_AI_WORD_LEN + 1][NORTH_AI_WORD_LEN + 1], c, v;

    max = blen >= 8 ? 2 : 1;

    if (blen < 6 || alen >= NORTH_AI_WORD_LEN || blen >= NORTH_AI_WORD_LEN
        || (alen > blen ? alen - blen : blen - alen) > max
        || a[0] != b[0])
    {
        return 0;
    }

    for (i = 0; i <= alen; i++) {
        d[i][0] = (int) i;
    }

    for (j = 0; j <= blen; j++) {
        d[0][j] = (int) j;
    }

    for (i = 1; i <= alen; i++) {
        for (j = 1; j <= blen; j++) {
            c = a[i - 1] != b[j - 1];
            v = d[i - 1][j] + 1;
            v = d[i][j - 1] + 1 < v ? d[i][j - 1] + 1 : v;
            v = d[i - 1][j - 1] + c < v ? d[i - 1][j - 1] + c : v;

            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && d[i - 2][j - 2] + 1 < v)
            {
                v = d[i - 2][j - 2] + 1;
            }

            d[i][j] = v;
        }
    }

    return (size_t) d[alen][blen] <= max;
}


/* the language: marker words of each, the profile's on a tie */

int
north_ai_french(const char *question, int fallback)
{
    int                 fr;
    north_ai_parse_t   *p;

    p = calloc(1, sizeof(north_ai_parse_t));
    if (p == NULL) {
        return fallback;
    }

    p->amount.cents = -1;
    p->bare.cents = -1;
    north_ai_words(p, question);

    fr = north_ai_language(p, question, fallback);

    free(p);

    return fr;
}


/* the question's words counted, French against English */

static int
north_ai_language(north_ai_parse_t *p, const char *question, int fallback)
{
    int     fr, en;
    size_t  i;

    fr = 0;
    en = 0;

    for (i = 0; i < p->n; i++) {
        fr += north_ai_in(p->w[i].w, north_ai_french_words);
        en += north_ai_in(p->w[i].w, north_ai_english_words);
    }

    /* an accented letter is French */
    for (i = 0; question[i]; i++) {
        if ((unsigned char) question[i] == 0xC3) {
            fr++;
        }
    }

    return fr == en ? fallback : fr > en;
}


/* the slots as text, for the evaluation set */

size_t
north_ai_slots_text(const north_ai_query_t *q, const north_ai_context_t *ctx,
    char *buf, size_t size)
{
    char    a[16], b[16];
    size_t  n, k;

#define add(...)                                                              \
    do {                                                                      \
        int  w_;                                                              \
        w_ = snprintf(buf + n, n < size ? size - n : 0, "%s", n ? "; " : ""); \
        n += w_ > 0 ? (size_t) w_ : 0;                                        \
        w_ = snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__);         \
        n += w_ > 0 ? (size_t) w_ : 0;                                        \
    } while (0)

    n = 0;

    if (size > 0) {
        buf[0] = '\0';
    }

    if (q->start >= 0) {
        add("period=%s..%s", north_date_iso(q->start, a),
            north_date_iso(q->end, b));
    }

    if (q->start2 >= 0) {
        add("versus=%s..%s", north_date_iso(q->start2, a),
            north_date_iso(q->end2, b));
    }

    if (q->ncategories > 0) {
        add("category=%s", q->categories[0]);

        for (k = 1; k < q->ncategories; k++) {
            n += snprintf(buf + n, n < size ? size - n : 0, ",%s",
                          q->categories[k]);
        }
    }

    if (q->merchant[0] != '\0') {
        add("merchant=%s", q->merchant);
    }

    if (q->account >= 0) {
        add("account=%s", ctx->accounts[q->account].id);
    }

    if (q->account_kind != NULL) {
        add("account_kind=%s", q->account_kind);
    }

    if (q->goal >= 0) {
        add("goal=%s", ctx->goals[q->goal].id);
    }

    if (q->room != NULL) {
        add("room=%s", q->room);
    }

    if (q->amount_cents >= 0) {
        add("amount=%lld", (long long) q->amount_cents);
    }

    if (q->date >= 0) {
        add("date=%s", north_date_iso(q->date, a));
    }

    if (q->monthly) {
        add("recurring=monthly");
    }

    if (q->intent == NORTH_AI_TOP) {
        add("by=%s", q->by_merchant ? "merchant" : "category");
    }

    if (q->limit > 0) {
        add("limit=%d", q->limit);
    }

#undef add

    return n;
}


json_t *
north_ai_slots_json(const north_ai_query_t *q, const north_ai_context_t *ctx)
{
    char     a[16], b[16];
    size_t   k;
    json_t  *s, *cats;

    s = json_object();
    if (s == NULL) {
        return NULL;
    }

    if (q->start >= 0) {
        json_object_set_new(s, "period",
                            json_pack("{s:s, s:s}",
                                      "start", north_date_iso(q->start, a),
                                      "end", north_date_iso(q->end, b)));
    }

    if (q->start2 >= 0) {
        json_object_set_new(s, "versus",
                            json_pack("{s:s, s:s}",
                                      "start", north_date_iso(q->start2, a),
                                      "end", north_date_iso(q->end2, b)));
    }

    if (q->ncategories > 0) {
        cats = json_array();

        for (k = 0; k < q->ncategories; k++) {
            json_array_append_new(cats, json_string(q->categories[k]));
        }

        json_object_set_new(s, "categories", cats);
    }

    if (q->merchant[0] != '\0') {
        json_object_set_new(s, "merchant", json_string(q->merchant));
    }

    if (q->account >= 0) {
        json_object_set_new(s, "account_id",
                            json_string(ctx->accounts[q->account].id));
    }

    if (q->account_kind != NULL) {
        json_object_set_new(s, "account_kind", json_string(q->account_kind));
    }

    if (q->goal >= 0) {
        json_object_set_new(s, "goal_id",
                            json_string(ctx->goals[q->goal].id));
    }

    if (q->room != NULL) {
        json_object_set_new(s, "room", json_string(q->room));
    }

    if (q->amount_cents >= 0) {
        json_object_set_new(s, "amount_cents",
                            json_integer(q->amount_cents));
    }

    if (q->date >= 0) {
        json_object_set_new(s, "date", json_string(north_date_iso(q->date, a)));
    }

    if (q->monthly) {
        json_object_set_new(s, "recurring", json_string("monthly"));
    }

    if (q->intent == NORTH_AI_TOP) {
        json_object_set_new(s, "by", json_string(q->by_merchant ? "merchant"
                                                                : "category"));
    }

    if (q->limit > 0) {
        json_object_set_new(s, "limit", json_integer(q->limit));
    }

    return s;
}


/* a {start, end} object of ISO dates, start <= end */

static int
north_ai_span_read(json_t *v, int64_t *start, int64_t *end)
{
    if (!json_is_object(v) || json_object_size(v) != 2
        || north_date_parse(json_string_value(json_object_get(v, "start")),
                            start) != 0
        || north_date_parse(json_string_value(json_object_get(v, "end")),
                            end) != 0
        || *start > *end)
    {
        return -1;
    }

    return 0;
}


int
north_ai_slots_read(json_t *slots, const north_ai_context_t *ctx,
    north_ai_query_t *q, const char **error)
{
    size_t       k;
    json_t      *v, *c;
    const char  *name, *s;
    int64_t      n;

    if (!json_is_object(slots)) {
        *error = "slots";
        return -1;
    }

    json_object_foreach(slots, name, v) {
        *error = name;

        if (strcmp(name, "period") == 0) {
            if (north_ai_span_read(v, &q->start, &q->end) != 0) {
                return -1;
            }

        } else if (strcmp(name, "versus") == 0) {
            if (north_ai_span_read(v, &q->start2, &q->end2) != 0) {
                return -1;
            }

        } else if (strcmp(name, "categories") == 0) {
            if (!json_is_array(v) || json_array_size(v) == 0
                || json_array_size(v) > NORTH_AI_CATEGORIES_MAX)
            {
                return -1;
            }

            q->ncategories = 0;

            json_array_foreach(v, k, c) {
                const north_category_t  *cat;

                cat = json_is_string(c)
                      ? north_category_find(json_string_value(c)) : NULL;
                if (cat == NULL) {
                    return -1;
                }

                north_ai_category_add(q, cat->id);
            }

        } else if (strcmp(name, "merchant") == 0) {
            char  key[NORTH_CATEGORY_KEY_MAX + 3];

            s = json_string_value(v);
            if (s == NULL || strlen(s) >= NORTH_AI_NAME_MAX) {
                return -1;
            }

            /* only a merchant of the user's own */
            north_category_key(s, key);

            for (k = 0; k < ctx->nmerchants; k++) {
                if (strcmp(ctx->merchants[k], key) == 0) {
                    break;
                }
            }

            if (k == ctx->nmerchants) {
                return -1;
            }

            snprintf(q->merchant, NORTH_AI_NAME_MAX, "%.*s",
                     (int) strlen(key) - 2, key + 1);

        } else if (strcmp(name, "account_id") == 0) {
            s = json_string_value(v);

            for (k = 0; s && k < ctx->naccounts; k++) {
                if (strcmp(ctx->accounts[k].id, s) == 0) {
                    break;
                }
            }

            if (s == NULL || k == ctx->naccounts) {
                return -1;
            }

            q->account = (int) k;

        } else if (strcmp(name, "account_kind") == 0) {
            s = json_string_value(v);

            for (k = 0; s && north_ai_account_kinds[k]; k++) {
                if (strcmp(north_ai_account_kinds[k], s) == 0) {
                    break;
                }
            }

            if (s == NULL || north_ai_account_kinds[k] == NULL) {
                return -1;
            }

            q->account_kind = north_ai_account_kinds[k];

        } else if (strcmp(name, "goal_id") == 0) {
            s = json_string_value(v);

            for (k = 0; s && k < ctx->ngoals; k++) {
                if (strcmp(ctx->goals[k].id, s) == 0) {
                    break;
                }
            }

            if (s == NULL || k == ctx->ngoals) {
                return -1;
            }

            q->goal = (int) k;

        } else if (strcmp(name, "room") == 0) {
            s = json_string_value(v);

            if (s == NULL) {
                return -1;
            }

            q->room = strcmp(s, "tfsa") == 0 ? "tfsa"
                      : strcmp(s, "rrsp") == 0 ? "rrsp"
                      : strcmp(s, "fhsa") == 0 ? "fhsa" : NULL;

            if (q->room == NULL) {
                return -1;
            }

        } else if (strcmp(name, "amount_cents") == 0) {
            if (!json_is_integer(v)) {
                return -1;
            }

            n = json_integer_value(v);
            if (n <= 0 || n > 100000000000LL) {
                return -1;
            }

            q->amount_cents = n;

        } else if (strcmp(name, "date") == 0) {
            if (north_date_parse(json_string_value(v), &q->date) != 0) {
                return -1;
            }

        } else if (strcmp(name, "recurring") == 0) {
            s = json_string_value(v);

            if (s == NULL
                || (strcmp(s, "monthly") != 0 && strcmp(s, "none") != 0))
            {
                return -1;
            }

            q->monthly = strcmp(s, "monthly") == 0;

        } else if (strcmp(name, "by") == 0) {
            s = json_string_value(v);

            if (s == NULL
                || (strcmp(s, "merchant") != 0 && strcmp(s, "category") != 0))
            {
                return -1;
            }

            q->by_merchant = strcmp(s, "merchant") == 0;

        } else if (strcmp(name, "limit") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1
                || json_integer_value(v) > NORTH_AI_LIMIT_MAX)
            {
                return -1;
            }

            q->limit = (int) json_integer_value(v);

        } else {
            return -1;
        }
    }

    *error = NULL;

    return 0;
}
