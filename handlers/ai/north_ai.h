/*
 * North AI's understanding of a question about one's own money, in English
 * or French: its language, one of North's intents and that intent's slots
 * (periods, amounts, categories, the user's own merchants, accounts and
 * goals), and a follow-up's changes to the question before it. A
 * deterministic parser of lexicons and general rules: nothing leaves the
 * server. Also the slots as JSON, both ways, which is how a conversation is
 * kept and how a model's tool call is checked. Pure: no nginx header.
 */

#ifndef NORTH_AI_H
#define NORTH_AI_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


#define NORTH_AI_QUESTION_MAX    500     /* bytes */
#define NORTH_AI_CATEGORIES_MAX  6
#define NORTH_AI_NAME_MAX        64      /* a merchant's key, without pads */
#define NORTH_AI_LIMIT_MAX       20


typedef enum {
    NORTH_AI_UNKNOWN = 0,
    NORTH_AI_SPENDING,          /* a total: category, merchant, account */
    NORTH_AI_COMPARE,           /* spending in two periods */
    NORTH_AI_TOP,               /* top categories or merchants */
    NORTH_AI_INCOME,
    NORTH_AI_BALANCE,           /* one account, a kind, or all */
    NORTH_AI_NET_WORTH,         /* and its change over the period */
    NORTH_AI_LARGEST,           /* largest transactions */
    NORTH_AI_SUBSCRIPTIONS,     /* recurring charges */
    NORTH_AI_GOAL,              /* status and the monthly amount needed */
    NORTH_AI_ROOM,              /* TFSA, RRSP or FHSA room */
    NORTH_AI_AFFORD,
    NORTH_AI_HELP,
    NORTH_AI_INTENTS
} north_ai_intent_e;


/* what the parser knows of the user: all strings the caller's */

typedef struct {
    const char          *id;
    const char          *name;
    const char          *kind;           /* north_ai_account_kinds' */
} north_ai_account_t;

typedef struct {
    const char          *id;
    const char          *name;
} north_ai_goal_t;

typedef struct {
    int64_t              today;          /* days since 1970-01-01 */
    int                  fr;             /* the profile's locale */
    const char *const   *merchants;      /* keys, north_category_key's form */
    size_t               nmerchants;
    const north_ai_account_t  *accounts;
    size_t               naccounts;
    const north_ai_goal_t     *goals;
    size_t               ngoals;
} north_ai_context_t;


typedef struct {
    north_ai_intent_e    intent;
    int                  fr;             /* the answer's language */
    int                  followup;       /* changed the question before */

    int64_t              start;          /* the period; -1: none said */
    int64_t              end;
    int64_t              start2;         /* compare: the other period */
    int64_t              end2;
    int64_t              date;           /* afford: when; -1 */
    int64_t              amount_cents;   /* -1: none */

    const char          *categories[NORTH_AI_CATEGORIES_MAX];
    size_t               ncategories;
    char                 merchant[NORTH_AI_NAME_MAX];   /* "" none */
    int                  account;        /* index in the context; -1 */
    const char          *account_kind;   /* NULL: none */
    int                  goal;           /* index in the context; -1 */
    const char          *room;           /* "tfsa", "rrsp", "fhsa"; NULL */
    int                  monthly;        /* afford: a monthly commitment */
    int                  by_merchant;    /* top: merchants, else categories */
    int                  limit;          /* top, largest: 0 the default */
} north_ai_query_t;


extern const char *const  north_ai_intents[];       /* by intent */
extern const char *const  north_ai_account_kinds[]; /* NULL-terminated */

void north_ai_query_init(north_ai_query_t *q);

/* the intent of that name, or -1 */
int north_ai_intent_of(const char *name);

/*
 * Understands question (UTF-8, at most NORTH_AI_QUESTION_MAX bytes) for
 * the user of ctx; previous: the conversation's last query, or NULL. q is
 * always filled; its intent is NORTH_AI_UNKNOWN when nothing was
 * understood. Periods not said are left -1 (the answer picks its default).
 */
void north_ai_parse(const char *question, const north_ai_context_t *ctx,
    const north_ai_query_t *previous, north_ai_query_t *q);

/*
 * The slots as one line, "name=value" joined by "; " in a fixed order
 * (the evaluation set's form); returns its length.
 */
size_t north_ai_slots_text(const north_ai_query_t *q,
    const north_ai_context_t *ctx, char *buf, size_t size);

/* The slots as a JSON object (ids, ISO dates); NULL on failure. */
json_t *north_ai_slots_json(const north_ai_query_t *q,
    const north_ai_context_t *ctx);

/*
 * The reverse, from a conversation or a model's tool call: every slot is
 * checked (types, dates, known categories, the user's own accounts, goals
 * and merchants); 0, or -1 with *error naming the slot at fault.
 */
int north_ai_slots_read(json_t *slots, const north_ai_context_t *ctx,
    north_ai_query_t *q, const char **error);

/* "fr" when the question reads as French: counts of marker words */
int north_ai_french(const char *question, int fallback);


#endif /* NORTH_AI_H */
