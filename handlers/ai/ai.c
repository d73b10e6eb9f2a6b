/*
 * North AI: POST /v1/ai/ask answers a question about the user's own money
 * in English or French; POST /v1/ai/affordability answers "can I afford
 * it" directly. A question is understood by north_ai.c's parser (nothing
 * leaves the server) or, when a model is configured and the user granted
 * ai_assistant, by the model's tool call, checked like user input
 * (ai_model.c). North then reads the figures through north.ai_facts and
 * writes the answer itself (ai_answer.c). A conversation's last question
 * is kept 30 minutes in Redis, per user, for follow-ups.
 */

#include <openssl/rand.h>

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_redis.h"
#include "ngx_north_cache.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "north_check.h"
#include "north_format.h"
#include "north_afford.h"
#include "ai.h"


static ngx_int_t north_ai_ask(ngx_http_request_t *r);
static ngx_int_t north_ai_ask_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_ai_cached(ngx_http_request_t *r,
    ngx_http_north_cache_t *c);
static ngx_int_t north_ai_context_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_ai_conversation_read(ngx_http_request_t *r,
    void *data, redisReply *reply, ngx_int_t status);
static ngx_int_t north_ai_understand(ngx_http_request_t *r, north_ai_t *a);
static ngx_int_t north_ai_understood(ngx_http_request_t *r, north_ai_t *a,
    ngx_uint_t understood);
static ngx_int_t north_ai_facts(ngx_http_request_t *r, north_ai_t *a);
static ngx_int_t north_ai_facts_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_ai_reply(ngx_http_request_t *r, north_ai_t *a);
static ngx_int_t north_ai_affordability(ngx_http_request_t *r);
static ngx_int_t north_ai_affordability_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_ai_affordability_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_ai_facts_read(ngx_http_request_t *r, north_ai_t *a,
    PGresult *res, ngx_int_t *failed);
static ngx_int_t north_ai_context_read(ngx_http_request_t *r, north_ai_t *a,
    json_t *doc, ngx_http_north_cache_t *c);
static void north_ai_defaults(north_ai_t *a);
static void north_ai_remember(ngx_http_request_t *r, north_ai_t *a);
static north_ai_t *north_ai_create(ngx_http_request_t *r);
static void north_ai_said(north_ai_t *a, const char *en, const char *fr);
static ngx_int_t north_ai_consent(ngx_http_request_t *r);
static ngx_int_t north_ai_date_problem(ngx_http_request_t *r);


static ngx_http_north_pg_stmt_t  north_ai_context_stmt =
    ngx_http_north_pg_stmt("north_ai_context",
        "select north.ai_context($1, $2::boolean)::text", 2, 1);

/* the user's merchants, in the cache of the user's reads: a sync's new
 * transactions make it stale */
static ngx_str_t  north_ai_merchants_entry = ngx_string("ai.merchants");

static ngx_http_north_pg_stmt_t  north_ai_facts_stmt =
    ngx_http_north_pg_stmt("north_ai_facts",
        "select north.ai_facts($1, $2, $3::jsonb, $4::boolean)::text", 4, 1);


/* POST /v1/ai/ask {question, conversation_id?} */

static ngx_int_t
north_ai_ask(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_ai_ask_body);
}


static ngx_int_t
north_ai_ask_body(ngx_http_request_t *r, json_t *body)
{
    u_char                    rnd[NORTH_AI_CONVERSATION_LEN / 2];
    ngx_str_t                 conversation;
    north_ai_t               *a;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "question", "conversation_id", NULL
    };

    a = north_ai_create(r);

    if (a == NULL || ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    (void) ngx_http_north_field_string(&f, "question", 1, 1,
                                       NORTH_AI_QUESTION_MAX, &a->question);

    if (ngx_http_north_field_string(&f, "conversation_id", 0,
                                    NORTH_AI_CONVERSATION_LEN,
                                    NORTH_AI_CONVERSATION_LEN, &conversation)
        == NGX_OK)
    {
        ngx_uint_t  i;

        for (i = 0; i < conversation.len; i++) {
            if (!((conversation.data[i] >= '0' && conversation.data[i] <= '9')
                  || (conversation.data[i] >= 'a'
                      && conversation.data[i] <= 'f')))
            {
                ngx_http_north_fields_error(&f, "conversation_id",
                                            f.fr ? "doit être un identifiant "
                                                   "rendu par North"
                                                 : "must be an id North "
                                                   "returned");
                break;
            }
        }

        if (i == conversation.len) {
            ngx_memcpy(a->conversation, conversation.data, conversation.len);
            a->resumed = 1;
        }
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    if (!a->resumed) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_hex_dump(a->conversation, rnd, sizeof(rnd));
    }

    return ngx_http_north_cache_get(r, &ngx_http_north_jwt_identity(r)->user_id,
                                    &north_ai_merchants_entry,
                                    north_ai_cached, a);
}


static ngx_int_t
north_ai_cached(ngx_http_request_t *r, ngx_http_north_cache_t *c)
{
    const char  *values[2];

    values[0] = ngx_http_north_caller(r);
    values[1] = c->value.data ? "false" : "true";

    return ngx_http_north_pg_query(r, &north_ai_context_stmt, values,
                                   north_ai_context_done, c);
}


static ngx_int_t
north_ai_context_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    const char              *argv[3];
    size_t                   argvlen[3];
    north_ai_t              *a;
    ngx_http_north_cache_t  *c = data;

    a = c->data;

    if (north_ai_context_read(r, a, ngx_http_north_pg_document(r, res, 0), c)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!json_is_true(json_object_get(a->context, "analytics"))) {
        return north_ai_consent(r);
    }

    if (!a->resumed) {
        return north_ai_understand(r, a);
    }

    argv[0] = "HGET";
    argvlen[0] = 4;
    argv[1] = (char *) a->key.data;
    argvlen[1] = a->key.len;
    argv[2] = (char *) a->conversation;
    argvlen[2] = NORTH_AI_CONVERSATION_LEN;

    return ngx_http_north_redis_query(r, 3, argv, argvlen,
                                      north_ai_conversation_read, a);
}


/*
 * The conversation's last question, if it is still alive: Redis away, or
 * a conversation expired, is a new conversation under the same id.
 */

static ngx_int_t
north_ai_conversation_read(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status)
{
    int          intent;
    json_t      *last;
    const char  *error, *name;
    north_ai_t  *a = data;

    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        return north_ai_understand(r, a);
    }

    last = json_loadb(reply->str, reply->len, 0, NULL);

    if (last != NULL
        && json_integer_value(json_object_get(last, "at"))
           + NORTH_AI_CONVERSATION_TTL >= ngx_time())
    {
        north_ai_query_init(&a->previous);

        name = json_string_value(json_object_get(last, "intent"));
        intent = name ? north_ai_intent_of(name) : -1;

        /* slots that no longer hold (an account closed since) are dropped */
        if (intent > NORTH_AI_UNKNOWN
            && north_ai_slots_read(json_object_get(last, "slots"), &a->ctx,
                                   &a->previous, &error)
               == 0)
        {
            a->previous.intent = intent;
            a->has_previous = 1;
        }
    }

    json_decref(last);

    return north_ai_understand(r, a);
}


/* the model when one is configured and the user allows it, else the parser */

static ngx_int_t
north_ai_understand(ngx_http_request_t *r, north_ai_t *a)
{
    if (north_ai_model_on(r)
        && json_is_true(json_object_get(a->context, "ai_assistant")))
    {
        return north_ai_model_ask(r, a, north_ai_understood);
    }

    return north_ai_understood(r, a, 0);
}


static ngx_int_t
north_ai_understood(ngx_http_request_t *r, north_ai_t *a,
    ngx_uint_t understood)
{
    if (understood) {
        a->source = "model";

    } else {
        /* the field's value is NUL-terminated */
        north_ai_parse((char *) a->question.data, &a->ctx,
                       a->has_previous ? &a->previous : NULL, &a->q);
        a->source = "parser";
    }

    /* never a number for what was not understood */
    if (a->q.intent == NORTH_AI_UNKNOWN || a->q.intent == NORTH_AI_HELP
        || (a->q.intent == NORTH_AI_AFFORD && a->q.amount_cents <= 0))
    {
        return north_ai_reply(r, a);
    }

    north_ai_defaults(a);

    return north_ai_facts(r, a);
}


static ngx_int_t
north_ai_facts(ngx_http_request_t *r, north_ai_t *a)
{
    char     iso[16];
    size_t   k;
    json_t  *q, *cats;

    const char  *values[4];

    q = json_object();
    if (q == NULL || ngx_http_north_json_keep(r->pool, q) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

#define date(name, day)                                                       \
    if ((day) >= 0) {                                                         \
        json_object_set_new(q, name, json_string(north_date_iso(day, iso)));  \
    }

    date("start", a->q.start);
    date("end", a->q.end);
    date("start2", a->q.start2);
    date("end2", a->q.end2);

#undef date

    if (a->q.ncategories > 0) {
        cats = json_array();

        for (k = 0; k < a->q.ncategories; k++) {
            json_array_append_new(cats, json_string(a->q.categories[k]));
        }

        json_object_set_new(q, "categories", cats);
    }

    if (a->q.merchant[0] != '\0') {
        json_object_set_new(q, "merchant", json_string(a->q.merchant));
    }

    if (a->q.account >= 0) {
        json_object_set_new(q, "account_id",
                            json_string(a->ctx.accounts[a->q.account].id));
    }

    if (a->q.account_kind != NULL) {
        json_object_set_new(q, "account_kind", json_string(a->q.account_kind));
    }

    if (a->q.goal >= 0) {
        json_object_set_new(q, "goal_id",
                            json_string(a->ctx.goals[a->q.goal].id));
    }

    json_object_set_new(q, "by", json_string(a->q.by_merchant ? "merchant"
                                                              : "category"));

    if (a->q.limit > 0) {
        json_object_set_new(q, "limit", json_integer(a->q.limit));
    }

    values[0] = ngx_http_north_caller(r);
    values[1] = north_ai_intents[a->q.intent];
    values[2] = ngx_http_north_json_text(r->pool, q);
    values[3] = a->q.fr ? "true" : "false";

    if (values[2] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_ai_facts_stmt, values,
                                   north_ai_facts_done, a);
}


static ngx_int_t
north_ai_facts_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_int_t    rc, failed;
    north_ai_t  *a = data;

    rc = north_ai_facts_read(r, a, res, &failed);

    if (rc == NGX_ERROR) {
        return failed;
    }

    if (rc == NGX_DECLINED) {
        /* an affordability date beyond what is projected */
        a->q.intent = NORTH_AI_UNKNOWN;
        north_ai_said(a, "I project your balance up to a year ahead: ask "
                         "about a date before then.",
                      "Je projette votre solde jusqu'à un an d'avance : "
                      "demandez pour une date d'ici là.");
        a->figures = NULL;
    }

    return north_ai_reply(r, a);
}


static ngx_int_t
north_ai_reply(ngx_http_request_t *r, north_ai_t *a)
{
    json_t      *answer, *slots;
    ngx_uint_t   understood;

    understood = a->q.intent != NORTH_AI_UNKNOWN
                 && a->q.intent != NORTH_AI_HELP
                 && !(a->q.intent == NORTH_AI_AFFORD && a->figures == NULL);

    if (a->len == 0 && a->q.intent == NORTH_AI_HELP) {
        north_ai_said(a, "Ask me about your money, in English or French, "
                         "for example:",
                      "Posez-moi une question sur votre argent, en français "
                      "ou en anglais, par exemple :");

    } else if (a->len == 0 && a->q.intent == NORTH_AI_AFFORD
               && a->figures == NULL)
    {
        north_ai_said(a, "How much would it cost? For example: \"Can I "
                         "afford $1,500 in March?\"",
                      "Combien coûterait-il ? Par exemple : « Puis-je me "
                      "permettre 1 500 $ en mars ? »");

    } else if (a->len == 0 && a->q.intent == NORTH_AI_UNKNOWN) {
        north_ai_said(a, "I didn't understand that. I answer questions about "
                         "your spending, income, balances, net worth, goals, "
                         "subscriptions and TFSA/RRSP room, for example:",
                      "Je n'ai pas compris. Je réponds aux questions sur vos "
                      "dépenses, revenus, soldes, valeur nette, objectifs, "
                      "abonnements et droits CELI/REER, par exemple :");
    }

    slots = north_ai_slots_json(&a->q, &a->ctx);

    answer = json_pack("{s:s, s:s, s:s, s:o, s:O, s:s, s:s}",
                       "answer", a->answer,
                       "language", a->q.fr ? "fr" : "en",
                       "intent", north_ai_intents[a->q.intent],
                       "slots", slots ? slots : json_object(),
                       "figures", a->figures ? a->figures : json_object(),
                       "conversation_id", (char *) a->conversation,
                       "source", a->source);
    if (answer == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!understood) {
        json_object_set_new(answer, "examples", north_ai_examples(a->q.fr));

    } else {
        north_ai_remember(r, a);
    }

    if (a->reasons) {
        json_object_set(answer, "reasons", a->reasons);
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK, answer);
}


/* POST /v1/ai/affordability {amount_cents, date?, recurring?, buffer_cents?} */

static ngx_int_t
north_ai_affordability(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_ai_affordability_body);
}


static ngx_int_t
north_ai_affordability_body(ngx_http_request_t *r, json_t *body)
{
    json_int_t                v;
    const char               *recurring, *values[4];
    ngx_str_t                 date;
    north_ai_t               *a;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "amount_cents", "date", "recurring", "buffer_cents", NULL
    };

    static const char *const  kinds[] = { "monthly", "none", NULL };

    a = north_ai_create(r);

    if (a == NULL || ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    a->q.intent = NORTH_AI_AFFORD;
    a->q.fr = (int) ngx_http_north_french(r);

    if (ngx_http_north_field_integer(&f, "amount_cents", 1, 1,
                                     NORTH_AI_CENTS_MAX, &v)
        == NGX_OK)
    {
        a->q.amount_cents = v;
    }

    if (ngx_http_north_field_integer(&f, "buffer_cents", 0, 0,
                                     NORTH_AI_CENTS_MAX, &v)
        == NGX_OK)
    {
        a->buffer_cents = v;
    }

    if (ngx_http_north_field_string(&f, "date", 0, 10, 10, &date) == NGX_OK
        && north_date_parse((char *) date.data, &a->q.date) != 0)
    {
        ngx_http_north_fields_error(&f, "date",
                                    f.fr ? "doit être une date AAAA-MM-JJ"
                                         : "must be a date YYYY-MM-DD");
    }

    recurring = ngx_http_north_field_enum(&f, "recurring", 0, kinds);
    a->q.monthly = recurring && ngx_strcmp(recurring, "monthly") == 0;

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[0] = ngx_http_north_caller(r);
    values[1] = "afford";
    values[2] = "{}";
    values[3] = a->q.fr ? "true" : "false";

    return ngx_http_north_pg_query(r, &north_ai_facts_stmt, values,
                                   north_ai_affordability_done, a);
}


static ngx_int_t
north_ai_affordability_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_int_t    rc, failed;
    north_ai_t  *a = data;

    rc = north_ai_facts_read(r, a, res, &failed);

    if (rc == NGX_ERROR) {
        return failed;
    }

    if (rc == NGX_DECLINED) {
        return north_ai_date_problem(r);
    }

    json_object_set_new(a->figures, "answer", json_string(a->answer));
    json_object_set(a->figures, "reasons", a->reasons);

    return ngx_http_north_json_send(r, NGX_HTTP_OK, json_incref(a->figures));
}


/*
 * north.ai_facts's row into a's answer: NGX_OK; NGX_DECLINED, an
 * affordability date out of range; NGX_ERROR with *failed what to return
 * (no consent, a failure).
 */

static ngx_int_t
north_ai_facts_read(ngx_http_request_t *r, north_ai_t *a, PGresult *res,
    ngx_int_t *failed)
{
    json_t     *facts;
    ngx_int_t   rc;

    facts = ngx_http_north_pg_document(r, res, 0);

    if (facts == NULL) {
        *failed = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    if (!json_is_true(json_object_get(facts, "consent"))) {
        *failed = north_ai_consent(r);
        return NGX_ERROR;
    }

    rc = north_ai_compose(r, a, facts);

    if (rc == NGX_ERROR) {
        *failed = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return rc;
}


/*
 * north.ai_context's document into a->ctx (arrays in r->pool), with the
 * merchants c holds, else the document's, then cached.
 */

static ngx_int_t
north_ai_context_read(ngx_http_request_t *r, north_ai_t *a, json_t *doc,
    ngx_http_north_cache_t *c)
{
    char                *text;
    size_t               i, n;
    json_t              *list, *e;
    const char         **merchants;
    north_ai_goal_t     *goals;
    north_ai_account_t  *accounts;
    ngx_http_north_identity_t  *id;

    if (doc == NULL
        || north_date_parse(json_string_value(json_object_get(doc, "today")),
                            &a->ctx.today) != 0)
    {
        return NGX_ERROR;
    }

    a->context = doc;
    a->ctx.fr = json_is_true(json_object_get(doc, "fr"));

    if (c->value.data) {
        list = json_loadb((char *) c->value.data, c->value.len, 0, NULL);

        if (!json_is_array(list)
            || json_object_set_new(doc, "merchants", list) != 0)
        {
            json_decref(list);
            return NGX_ERROR;
        }

    } else {
        text = ngx_http_north_json_text(r->pool,
                                        json_object_get(doc, "merchants"));
        if (text == NULL) {
            return NGX_ERROR;
        }

        ngx_http_north_cache_set(r, c, (u_char *) text, ngx_strlen(text));
    }

    list = json_object_get(doc, "merchants");
    n = json_array_size(list);
    merchants = ngx_palloc(r->pool, (n + 1) * sizeof(char *));

    list = json_object_get(doc, "accounts");
    accounts = ngx_palloc(r->pool,
                          (json_array_size(list) + 1)
                          * sizeof(north_ai_account_t));

    list = json_object_get(doc, "goals");
    goals = ngx_palloc(r->pool,
                       (json_array_size(list) + 1) * sizeof(north_ai_goal_t));

    if (merchants == NULL || accounts == NULL || goals == NULL) {
        return NGX_ERROR;
    }

    /* each member's shape is checked before it is read */
    json_array_foreach(json_object_get(doc, "merchants"), i, e) {
        if (!json_is_string(e)) {
            return NGX_ERROR;
        }

        merchants[a->ctx.nmerchants++] = json_string_value(e);
    }

    json_array_foreach(json_object_get(doc, "accounts"), i, e) {
        if (json_array_size(e) != 3
            || !json_is_string(json_array_get(e, 0))
            || !json_is_string(json_array_get(e, 1))
            || !json_is_string(json_array_get(e, 2)))
        {
            return NGX_ERROR;
        }

        accounts[a->ctx.naccounts].id = json_string_value(json_array_get(e, 0));
        accounts[a->ctx.naccounts].name = json_string_value(json_array_get(e,
                                                                           1));
        accounts[a->ctx.naccounts++].kind =
            json_string_value(json_array_get(e, 2));
    }

    json_array_foreach(json_object_get(doc, "goals"), i, e) {
        if (json_array_size(e) != 2
            || !json_is_string(json_array_get(e, 0))
            || !json_is_string(json_array_get(e, 1)))
        {
            return NGX_ERROR;
        }

        goals[a->ctx.ngoals].id = json_string_value(json_array_get(e, 0));
        goals[a->ctx.ngoals++].name = json_string_value(json_array_get(e, 1));
    }

    a->ctx.merchants = merchants;
    a->ctx.accounts = accounts;
    a->ctx.goals = goals;

    id = ngx_http_north_jwt_identity(r);

    return ngx_http_north_user_key(r->pool, &id->user_id, "ai", NULL,
                                   &a->key);
}


/*
 * The periods a question did not say: this month so far; a comparison's
 * other period, the one before of the same kind (a calendar month, a
 * year, a week, else as many days).
 */

static void
north_ai_defaults(north_ai_t *a)
{
    int        y;
    unsigned   m, d;
    int64_t    today, span, month;
    north_ai_query_t  *q = &a->q;

    today = a->ctx.today;
    north_date_civil(today, &y, &m, &d);
    month = north_date_days(y, m, 1);

    if (q->intent == NORTH_AI_COMPARE && q->start < 0 && q->start2 >= 0) {
        int       y2;
        unsigned  m2, d2;

        north_date_civil(q->start2, &y2, &m2, &d2);
        span = q->end2 - q->start2 + 1;

        q->start = (d2 == 1 && m2 == 1 && span >= 365)
                   ? north_date_days(y, 1, 1)
                   : (d2 == 1 && span >= 28) ? month
                   : (span == 7) ? today - (today + 3) % 7
                   : today - span + 1;
        q->end = today;
    }

    if (q->start < 0 && (q->intent == NORTH_AI_SPENDING
                         || q->intent == NORTH_AI_INCOME
                         || q->intent == NORTH_AI_TOP
                         || q->intent == NORTH_AI_LARGEST
                         || q->intent == NORTH_AI_COMPARE))
    {
        q->start = month;
        q->end = today;
    }

    if (q->end > today && q->intent != NORTH_AI_AFFORD) {
        q->end = today;
    }

    if (q->intent == NORTH_AI_COMPARE && q->start2 < 0) {
        int       y1;
        unsigned  m1, d1;

        north_date_civil(q->start, &y1, &m1, &d1);
        span = q->end - q->start + 1;

        if (d1 == 1 && m1 == 1 && span >= 28 * 12) {
            q->start2 = north_date_days(y1 - 1, 1, 1);
            q->end2 = q->start2 + span - 1;

        } else if (d1 == 1) {
            /* the month before, as many days (all of it for a whole one) */
            q->start2 = north_date_days(y1 - (m1 == 1), m1 == 1 ? 12 : m1 - 1,
                                        1);
            q->end2 = q->start - 1 < q->start2 + span - 1 ? q->start - 1
                                                          : q->start2 + span - 1;
        } else {
            q->start2 = q->start - span;
            q->end2 = q->start - 1;
        }
    }
}


/* the conversation's last question, for a follow-up: not waited for */

static void
north_ai_remember(ngx_http_request_t *r, north_ai_t *a)
{
    u_char                      ttl[NGX_TIME_T_LEN];
    char                       *text;
    json_t                     *last;
    const char                 *argv[4];
    size_t                      argvlen[4];
    ngx_http_north_main_conf_t *mcf;

    last = json_pack("{s:I, s:s, s:o}", "at", (json_int_t) ngx_time(),
                     "intent", north_ai_intents[a->q.intent],
                     "slots", north_ai_slots_json(&a->q, &a->ctx));
    if (last == NULL) {
        return;
    }

    text = ngx_http_north_json_text(r->pool, last);
    json_decref(last);

    if (text == NULL) {
        return;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    argv[0] = "HSET";
    argvlen[0] = 4;
    argv[1] = (char *) a->key.data;
    argvlen[1] = a->key.len;
    argv[2] = (char *) a->conversation;
    argvlen[2] = NORTH_AI_CONVERSATION_LEN;
    argv[3] = text;
    argvlen[3] = ngx_strlen(text);

    if (ngx_http_north_redis_send(mcf->rd, r->pool, 4, argv, argvlen, NULL,
                                  NULL)
        != NGX_OK)
    {
        return;
    }

    /* the user's conversations go together, 30 minutes after the last */
    argv[0] = "EXPIRE";
    argvlen[0] = 6;
    argv[2] = (char *) ttl;
    argvlen[2] = ngx_sprintf(ttl, "%d", NORTH_AI_CONVERSATION_TTL) - ttl;

    (void) ngx_http_north_redis_send(mcf->rd, r->pool, 3, argv, argvlen, NULL,
                                     NULL);
}


static north_ai_t *
north_ai_create(ngx_http_request_t *r)
{
    north_ai_t  *a;

    if (ngx_http_north_caller(r) == NULL) {
        return NULL;
    }

    a = ngx_pcalloc(r->pool, sizeof(north_ai_t));
    if (a == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     a->context = NULL;
     *     a->has_previous = 0;
     *     a->resumed = 0;
     *     a->figures = NULL;
     *     a->reasons = NULL;
     *     a->len = 0;
     */

    north_ai_query_init(&a->q);
    a->buffer_cents = -1;
    a->source = "parser";

    return a;
}


/* a sentence of North's own as the whole answer, in a's language */

static void
north_ai_said(north_ai_t *a, const char *en, const char *fr)
{
    a->len = ngx_snprintf((u_char *) a->answer, NORTH_AI_TEXT_LEN - 1, "%s",
                          a->q.fr ? fr : en)
             - (u_char *) a->answer;
    a->answer[a->len] = '\0';
}


static ngx_int_t
north_ai_consent(ngx_http_request_t *r)
{
    return ngx_http_north_consent_problem(r, "analytics",
                                          "the assistant reads your data "
                                          "under the analytics consent: "
                                          "grant it with PUT "
                                          "/v1/privacy/consents/analytics");
}


static ngx_int_t
north_ai_date_problem(ngx_http_request_t *r)
{
    json_t     *errors;
    ngx_int_t   rc;

    errors = json_pack("[{s:s, s:s}]", "field", "date",
                       "message", ngx_http_north_french(r)
                       ? "doit être entre aujourd'hui et dans un an"
                       : "must be from today to a year from today");

    rc = ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST, "validation-failed",
                                "Invalid request", NULL, errors);
    json_decref(errors);

    return rc;
}


ngx_http_north_route_t  north_ai_routes[] = {

    { ngx_string("ai.ask"), NGX_HTTP_POST,
      north_ai_ask },

    { ngx_string("ai.affordability"), NGX_HTTP_POST,
      north_ai_affordability },

    { ngx_null_string, 0, NULL }
};
