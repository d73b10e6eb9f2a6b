/*
 * North's categorisation: the category tree (English and French), North's
 * rules for Canadian merchants, the map from Plaid's personal finance
 * categories, the matching of merchant text and the order of precedence.
 * Pure: no nginx header. The tables are loaded into PostgreSQL from here
 * (sql/catalog.sql is this file's output; the unit test fails when they
 * differ), and PostgreSQL applies them in bulk with the same rules.
 */

#ifndef NORTH_CATEGORY_H
#define NORTH_CATEGORY_H

#include <stddef.h>
#include <stdio.h>


/* what a category counts as in a period's totals */
typedef enum {
    NORTH_CATEGORY_SPENDING = 0,
    NORTH_CATEGORY_INCOME,
    NORTH_CATEGORY_SAVING,          /* RRSP, TFSA, FHSA, investments */
    NORTH_CATEGORY_TRANSFER         /* between the user's own accounts */
} north_category_kind_e;

typedef struct {
    const char             *id;
    const char             *parent;     /* NULL for a top-level group */
    const char             *name_en;
    const char             *name_fr;
    north_category_kind_e   kind;
} north_category_t;

/* a merchant pattern (normalised, see below) and its category */
typedef struct {
    const char             *pattern;
    const char             *category;
} north_category_rule_t;

/* where a transaction's category came from, in order of precedence */
typedef enum {
    NORTH_CATEGORY_FROM_USER = 0,   /* the user's edit of the transaction */
    NORTH_CATEGORY_FROM_USER_RULE,  /* a rule the user made ("similar") */
    NORTH_CATEGORY_FROM_TRANSFER,   /* a twin in another own account */
    NORTH_CATEGORY_FROM_NORTH,      /* North's merchant rules */
    NORTH_CATEGORY_FROM_PLAID,      /* Plaid's personal finance category */
    NORTH_CATEGORY_FROM_NONE
} north_category_source_e;

/* what is known of one transaction */
typedef struct {
    const char             *user_category;      /* NULL: not edited */
    const char             *merchant;           /* merchant_name, else name */
    const char             *pfc_primary;
    const char             *pfc_detailed;
    int                     transfer_twin;      /* an opposite amount in
                                                   another own account */
} north_category_tx_t;

#define NORTH_CATEGORY_UNCATEGORISED  "uncategorised"
#define NORTH_CATEGORY_TRANSFERS      "transfers"

/* The longest normalised text a pattern or a key may have. */
#define NORTH_CATEGORY_KEY_MAX        160


extern const north_category_t       north_categories[];
extern const north_category_rule_t  north_category_rules[];
extern const north_category_rule_t  north_category_pfc[];

/* The category of that id, or NULL. */
const north_category_t *north_category_find(const char *id);

/*
 * A merchant's text as rules match it: lower case, French accents folded,
 * apostrophes dropped, every other run of non-alphanumerics one space, with
 * one space before and after (" tim hortons 1234 "). out holds at least
 * NORTH_CATEGORY_KEY_MAX + 3 bytes; returns the key's length, 0 for text
 * with no letter or digit. Longer text is cut at a word.
 */
size_t north_category_key(const char *text, char *out);

/*
 * The rule among rules[0..n) (n = -1: up to a NULL pattern) whose pattern
 * is in key at word boundaries; the longest pattern wins, the first of
 * equals. NULL when none.
 */
const north_category_rule_t *north_category_match(
    const north_category_rule_t *rules, long n, const char *key);

/* Plaid's detailed category, else its primary, mapped; NULL when neither. */
const char *north_category_plaid(const char *primary, const char *detailed);

/*
 * A transaction's category by precedence: the user's edit, the user's
 * rules, a transfer twin, North's rules, Plaid's category, uncategorised.
 */
const char *north_category_pick(const north_category_tx_t *tx,
    const north_category_rule_t *user_rules, long n_user_rules,
    north_category_source_e *source);

/* The source's name as the API spells it ("user", "user_rule" ...). */
const char *north_category_source_name(north_category_source_e source);

/* Writes the tables as the SQL that loads them (sql/catalog.sql). */
int north_category_sql(FILE *out);


#endif /* NORTH_CATEGORY_H */
