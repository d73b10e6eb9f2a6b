/*
 * What the assistant's files share: one question's state, from what
 * PostgreSQL says of the user to the answer (ai.c asks, ai_model.c may
 * understand through a model, ai_answer.c writes the answer).
 */

#ifndef NORTH_AI_SERVICE_H
#define NORTH_AI_SERVICE_H


#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "north_ai.h"


#define NORTH_AI_TEXT_LEN          2048
#define NORTH_AI_CONVERSATION_TTL  1800     /* s: a conversation's life */
#define NORTH_AI_CONVERSATION_LEN  32       /* hex digits */
#define NORTH_AI_CENTS_MAX         100000000000LL   /* $1 billion */


typedef struct {
    json_t                      *context;     /* north.ai_context, kept */
    north_ai_context_t           ctx;
    north_ai_query_t             q;
    north_ai_query_t             previous;
    ngx_uint_t                   resumed;     /* a conversation_id given */
    ngx_uint_t                   has_previous;  /* ... and still alive */
    ngx_str_t                    question;
    u_char                       conversation[NORTH_AI_CONVERSATION_LEN + 1];
    ngx_str_t                    key;         /* north:{USER}:ai */
    const char                  *source;      /* "parser" or "model" */
    int64_t                      buffer_cents;  /* -1: a month of essentials */
    json_t                      *figures;     /* the answer's */
    json_t                      *reasons;     /* affordability's */
    size_t                       len;
    char                         answer[NORTH_AI_TEXT_LEN];
} north_ai_t;


/* the model backend's configuration (ai_model.c) */
typedef struct {
    ngx_str_t                    url;         /* chat completions; empty: none */
    ngx_str_t                    model;
    ngx_str_t                    key;
    ngx_msec_t                   timeout;
} north_ai_conf_t;

extern ngx_module_t  ngx_http_north_ai_module;


/*
 * Asks the model to map a->question to an intent and slots, then calls
 * done(r, a, understood): 1 when a->q holds what the model said (checked),
 * 0 when the parser must answer (no model, an error, a refusal). As
 * ngx_http_north_pg_query(): NGX_DONE, or what done returned.
 */
ngx_int_t north_ai_model_ask(ngx_http_request_t *r, north_ai_t *a,
    ngx_int_t (*done)(ngx_http_request_t *r, north_ai_t *a,
    ngx_uint_t understood));

/* whether a model is configured */
ngx_uint_t north_ai_model_on(ngx_http_request_t *r);

/*
 * The answer to a->q from north.ai_facts's document: a->answer, a->figures
 * (and a->reasons for affordability). NGX_OK, or NGX_ERROR.
 */
ngx_int_t north_ai_compose(ngx_http_request_t *r, north_ai_t *a,
    json_t *facts);

/* the example questions offered when nothing was understood */
json_t *north_ai_examples(ngx_uint_t fr);


#endif /* NORTH_AI_SERVICE_H */
