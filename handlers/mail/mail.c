/*
 * The mail service: the mail.send job delivers north.mail_outbox one mail
 * at a time, in its reader's language, to an HTTPS mail relay
 * (north_mail_url) as JSON. Mail is queued by SQL in the transaction that
 * decides to send it (sql/0010_registration.sql): a request never waits
 * for a mail, and a mail is never lost to a worker's death (it is sent at
 * least once).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_jobs.h"
#include "ngx_north_fetch.h"

#include <jansson.h>


typedef struct {
    ngx_str_t                    url;
    ngx_str_t                    key;           /* the relay's bearer token */
    ngx_str_t                    from;
    ngx_msec_t                   timeout;
} north_mail_conf_t;


typedef struct {
    ngx_http_north_job_t        *job;
    ngx_pool_t                  *pool;          /* the mail's, in flight */
    ngx_str_t                    id;
    const char                  *error;         /* the relay's, or NULL */
    ngx_uint_t                   sent;
    unsigned                     retry:1;       /* the relay failed */
    unsigned                     leave:1;       /* the worker leaves */
} north_mail_job_t;


/* Each template's texts; %s is the "code" parameter, where there is one. */
typedef struct {
    const char                  *template;
    const char                  *locale;
    const char                  *subject;
    const char                  *text;
} north_mail_text_t;


static void *north_mail_create_main_conf(ngx_conf_t *cf);
static char *north_mail_init_main_conf(ngx_conf_t *cf, void *conf);
static void north_mail_leave(ngx_http_north_job_t *job);
static void north_mail_next(north_mail_job_t *mj);
static void north_mail_picked(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status);
static ngx_int_t north_mail_post(north_mail_job_t *mj, PGresult *res);
static void north_mail_answered(ngx_http_north_fetch_t *f, ngx_int_t rc);
static void north_mail_recorded(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status);
static void north_mail_end(north_mail_job_t *mj, const char *error);


static const north_mail_text_t  north_mail_texts[] = {

    { "register_code", "en-CA",
      "Your North verification code",
      "Your code to create your North account: %s\n\n"
      "It expires in 15 minutes. If you did not ask for it, ignore this "
      "e-mail: no account is made without the code.\n" },

    { "register_code", "fr-CA",
      "Votre code de vérification North",
      "Votre code pour créer votre compte North : %s\n\n"
      "Il expire dans 15 minutes. Si vous ne l'avez pas demandé, ignorez ce "
      "courriel : aucun compte n'est créé sans le code.\n" },

    { "register_exists", "en-CA",
      "Your North account",
      "Someone tried to create a North account with this e-mail address, "
      "which already has one.\n\n"
      "If it was you, sign in with your password. If not, ignore this "
      "e-mail: your account is unchanged, and no one signs in to it without "
      "your password.\n" },

    { "register_exists", "fr-CA",
      "Votre compte North",
      "Quelqu'un a tenté de créer un compte North avec cette adresse "
      "courriel, qui en a déjà un.\n\n"
      "Si c'était vous, connectez-vous avec votre mot de passe. Sinon, "
      "ignorez ce courriel : votre compte n'a pas changé, et personne ne s'y "
      "connecte sans votre mot de passe.\n" },

    { NULL, NULL, NULL, NULL }
};


static ngx_http_north_pg_stmt_t  north_mail_next_stmt =
    ngx_http_north_pg_stmt("north_mail_next",
        "select id, to_email, template, locale, params->>'code'"
        " from north.mail_next()", 0, 5);

static ngx_http_north_pg_stmt_t  north_mail_sent_stmt =
    ngx_http_north_pg_stmt("north_mail_sent",
        "select north.mail_sent($1::bigint, $2, $3)", 3, 1);


static ngx_command_t  north_mail_commands[] = {

    { ngx_string("north_mail_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_conf_set_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_mail_conf_t, url),
      NULL },

    { ngx_string("north_mail_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_conf_set_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_mail_conf_t, key),
      NULL },

    { ngx_string("north_mail_from"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_mail_conf_t, from),
      NULL },

    { ngx_string("north_mail_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_mail_conf_t, timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  north_mail_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    north_mail_create_main_conf,           /* create main configuration */
    north_mail_init_main_conf,             /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_north_mail_module = {
    NGX_MODULE_V1,
    &north_mail_module_ctx,                /* module context */
    north_mail_commands,                   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
north_mail_create_main_conf(ngx_conf_t *cf)
{
    north_mail_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(north_mail_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->timeout = NGX_CONF_UNSET_MSEC;

    return mcf;
}


static char *
north_mail_init_main_conf(ngx_conf_t *cf, void *conf)
{
    north_mail_conf_t  *mcf = conf;

    ngx_conf_init_msec_value(mcf->timeout, 10000);

    if (mcf->from.data == NULL) {
        ngx_str_set(&mcf->from, "North <no-reply@north.example.ca>");
    }

    return NGX_CONF_OK;
}


/* mail.send: every mail due, one at a time */

static void
north_mail_send(ngx_http_north_job_t *job)
{
    north_mail_job_t  *mj;

    mj = ngx_pcalloc(job->pool, sizeof(north_mail_job_t));
    if (mj == NULL) {
        ngx_http_north_job_done(job, "out of memory");
        return;
    }

    mj->job = job;
    job->data = mj;
    job->stop = north_mail_leave;

    north_mail_next(mj);
}


/* A leaving worker ends its job after the mail in flight. */

static void
north_mail_leave(ngx_http_north_job_t *job)
{
    north_mail_job_t  *mj = job->data;

    mj->leave = 1;
}


static void
north_mail_next(north_mail_job_t *mj)
{
    if (mj->pool) {
        ngx_destroy_pool(mj->pool);
        mj->pool = NULL;
    }

    if (mj->leave) {
        ngx_http_north_job_yield(mj->job);
        return;
    }

    mj->pool = ngx_create_pool(2048, mj->job->log);

    if (mj->pool == NULL
        || ngx_http_north_pg_send(mj->job->pg, mj->pool, &north_mail_next_stmt,
                                  NULL, north_mail_picked, mj)
           != NGX_OK)
    {
        north_mail_end(mj, "the database is unavailable");
    }
}


static void
north_mail_picked(ngx_http_north_pg_op_t *op, PGresult *res, ngx_int_t status)
{
    north_mail_job_t  *mj = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        north_mail_end(mj, ngx_http_north_pg_why(res, status));
        return;
    }

    if (PQntuples(res) == 0) {
        if (mj->sent) {
            ngx_log_error(NGX_LOG_INFO, mj->job->log, 0,
                          "north mail: %ui sent", mj->sent);
        }

        north_mail_end(mj, NULL);
        return;
    }

    if (north_mail_post(mj, res) != NGX_OK) {
        north_mail_end(mj, "a mail could not be sent");
    }
}


/* The relay's contract: POST {from, to, subject, text, template, locale}. */

static ngx_int_t
north_mail_post(north_mail_job_t *mj, PGresult *res)
{
    char                     *body;
    u_char                   *text, *subject, *header;
    ngx_int_t                 rc;
    const char               *headers[2], *code, *template, *locale;
    north_mail_conf_t        *mcf;
    const north_mail_text_t  *t;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_mail_module);

    mj->id.len = PQgetlength(res, 0, 0);
    mj->id.data = ngx_pnalloc(mj->pool, mj->id.len + 1);
    if (mj->id.data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(mj->id.data, (u_char *) PQgetvalue(res, 0, 0),
                mj->id.len + 1);

    template = PQgetvalue(res, 0, 2);
    locale = PQgetvalue(res, 0, 3);
    code = PQgetvalue(res, 0, 4);

    for (t = north_mail_texts; t->template; t++) {
        if (ngx_strcmp(t->template, template) == 0
            && ngx_strcmp(t->locale, locale) == 0)
        {
            break;
        }
    }

    if (t->template == NULL || mcf->url.len == 0) {
        ngx_log_error(NGX_LOG_ERR, mj->job->log, 0,
                      "north mail: mail %s (%s, %s) cannot be sent: %s",
                      PQgetvalue(res, 0, 0), template, locale,
                      mcf->url.len ? "no such template"
                                   : "north_mail_url is not set");
        return NGX_ERROR;
    }

    text = ngx_pnalloc(mj->pool, ngx_strlen(t->text) + ngx_strlen(code) + 1);
    subject = ngx_pnalloc(mj->pool, ngx_strlen(t->subject) + 1);
    header = ngx_pnalloc(mj->pool, sizeof("Authorization: Bearer ")
                                   + mcf->key.len);

    if (text == NULL || subject == NULL || header == NULL) {
        return NGX_ERROR;
    }

    /* the texts are ours: %s is their only conversion */
    *ngx_sprintf(text, t->text, code) = '\0';
    ngx_cpystrn(subject, (u_char *) t->subject, ngx_strlen(t->subject) + 1);

    body = json_dumps(json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s}",
                                "from", mcf->from.data, mcf->from.len,
                                "to", PQgetvalue(res, 0, 1),
                                "subject", subject, "text", text,
                                "template", template, "locale", locale),
                      JSON_COMPACT);

    ngx_explicit_memzero(text, ngx_strlen((char *) text));

    if (body == NULL) {
        return NGX_ERROR;
    }

    headers[0] = NULL;

    if (mcf->key.len) {
        ngx_sprintf(header, "Authorization: Bearer %V%Z", &mcf->key);
        headers[0] = (char *) header;
        headers[1] = NULL;
    }

    rc = ngx_http_north_fetch_post(mj->pool, mj->job->log,
                                   (char *) mcf->url.data, headers, body,
                                   ngx_strlen(body), mcf->timeout,
                                   north_mail_answered, mj);

    /* libcurl took a copy: the code leaves memory with the text */
    ngx_explicit_memzero(body, ngx_strlen(body));
    free(body);

    return rc;
}


/*
 * 2xx: sent. Another 4xx (but 408 and 429): the relay refuses the mail for
 * good. Anything else is tried again later.
 */

static void
north_mail_answered(ngx_http_north_fetch_t *f, ngx_int_t rc)
{
    north_mail_job_t  *mj = f->data;

    u_char      *p;
    const char  *values[3], *outcome;

    p = ngx_pnalloc(mj->pool, 64);
    if (p == NULL) {
        north_mail_end(mj, "out of memory");
        return;
    }

    if (rc != NGX_OK) {
        outcome = "retry";
        mj->error = f->error;
        mj->retry = 1;

    } else if (f->status / 100 == 2) {
        outcome = "sent";
        mj->error = NULL;
        mj->sent++;

    } else {
        mj->retry = f->status / 100 != 4 || f->status == 408
                    || f->status == 429;
        outcome = mj->retry ? "retry" : "refused";
        ngx_sprintf(p, "the relay answered %ui%Z", f->status);
        mj->error = (char *) p;
    }

    if (mj->error) {
        ngx_log_error(NGX_LOG_WARN, mj->job->log, 0,
                      "north mail: mail %V not sent (%s): %s", &mj->id,
                      outcome, mj->error);
    }

    values[0] = (char *) mj->id.data;
    values[1] = outcome;
    values[2] = mj->error;

    if (ngx_http_north_pg_send(mj->job->pg, mj->pool, &north_mail_sent_stmt,
                               values, north_mail_recorded, mj)
        != NGX_OK)
    {
        /* its lease runs out: it is sent again */
        north_mail_end(mj, "the database is unavailable");
    }
}


static void
north_mail_recorded(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_mail_job_t  *mj = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        north_mail_end(mj, ngx_http_north_pg_why(res, status));
        return;
    }

    /* a relay that fails ends the run: its mails wait for their backoff */
    if (mj->retry) {
        north_mail_end(mj, mj->error);
        return;
    }

    north_mail_next(mj);
}


/* The job ends; the mail's pool (where error may be) goes after. */

static void
north_mail_end(north_mail_job_t *mj, const char *error)
{
    ngx_pool_t  *pool;

    pool = mj->pool;
    mj->pool = NULL;

    ngx_http_north_job_done(mj->job, error);

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


ngx_http_north_job_kind_t  north_mail_jobs[] = {
    { ngx_string("mail.send"), north_mail_send },
    { ngx_null_string, NULL }
};
