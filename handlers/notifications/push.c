/*
 * The push sender: the push.send job delivers north.push_deliveries to
 * Firebase Cloud Messaging (HTTP v1), a batch at a time, every message of a
 * batch at once as streams of one HTTP/2 connection. Its OAuth2 access
 * token comes from the service account's RS256 assertion (north_jwt.c),
 * kept by the worker until five minutes before it expires, and is never
 * logged. FCM's answers are mapped as its documentation says
 * (docs/directives.md, north_fcm_credentials):
 *
 *     200                                   sent
 *     UNREGISTERED, SENDER_ID_MISMATCH,     the token is dropped
 *     INVALID_ARGUMENT of an invalid token
 *     another 4xx                           failed: the payload is wrong,
 *                                           never sent again
 *     429                                   again after Retry-After, and at
 *                                           least 60 s
 *     401                                   again at once, with a new token
 *     5xx                                   again after 10 s doubling (up to
 *                                           an hour, give or take a quarter)
 *     no answer (lost with its connection)  once more at once if FCM answered
 *                                           others of the batch; else, or if
 *                                           lost again, as a 5xx
 *
 * A 429 or a 5xx ends the run, and so does a batch of which no message was
 * answered: FCM is then away.
 *
 * A delivery goes at most once a device, but for one window: a worker that
 * dies between FCM's 200 and the batch's record sends it again when its
 * lease (north_fcm_lease) runs out. Its collapse key (the notification's
 * id, for Android and APNs; "sync" for a silent push) makes the device show
 * it once.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_jobs.h"
#include "ngx_north_fetch.h"
#include "ngx_north_json.h"
#include "ngx_north_metrics.h"

#include "north_jwt.h"

#include <jansson.h>
#include <openssl/pem.h>


#define NORTH_PUSH_SCOPE     "https://www.googleapis.com/auth/firebase.messaging"
#define NORTH_PUSH_PAYLOAD   4096      /* FCM's limit on a message's payload */
#define NORTH_PUSH_REFRESH   300       /* s before expiry a token is renewed */
#define NORTH_PUSH_INVALID   "The registration token is not a valid FCM registration token"


typedef struct {
    ngx_str_t                    credentials;   /* the service account file */
    ngx_str_t                    url;           /* FCM's base */
    ngx_uint_t                   batch;
    ngx_msec_t                   timeout;
    ngx_msec_t                   lease;
    u_char                       lease_text[NGX_INT_T_LEN + sizeof(" ms")];

    /* from the service account */
    EVP_PKEY                    *key;
    char                        *email;
    char                        *token_uri;
    char                        *send_url;
} north_push_conf_t;


/* A worker's access token. */
typedef struct {
    char                        *token;         /* malloc()ed, zeroed freed */
    time_t                       expires;
} north_push_auth_t;


typedef struct {
    ngx_http_north_job_t        *job;
    north_push_conf_t           *pcf;
    ngx_pool_t                  *pool;          /* the batch's */
    json_t                      *results;       /* its outcomes */
    ngx_array_t                  ready;         /* its messages to send */
    ngx_array_t                  again;         /* lost once: resent */
    ngx_uint_t                   next;          /* the next one to post */
    const char                  *headers[3];    /* its Authorization, the
                                                   run's traceparent */
    ngx_uint_t                   inflight;
    ngx_uint_t                   answered;      /* by FCM, in this batch */
    ngx_uint_t                   lost;          /* unanswered */
    ngx_uint_t                   sent, dropped, failed, retried;
    unsigned                     unauthorized:1; /* FCM refused our token */
    unsigned                     backoff:1;     /* FCM over quota or away */
    unsigned                     open:1;        /* a first answer came */
    unsigned                     leave:1;
} north_push_job_t;


typedef struct {
    north_push_job_t            *pj;
    json_int_t                   id;
    const char                  *token;
    ngx_uint_t                   attempts;
    ngx_str_t                    body;          /* the request, in pool */
    const char                  *error;         /* why it was lost */
    unsigned                     again:1;       /* resent in its batch */
} north_push_msg_t;


static void *north_push_create_main_conf(ngx_conf_t *cf);
static char *north_push_init_main_conf(ngx_conf_t *cf, void *conf);
static void north_push_key_free(void *data);
static void north_push_leave(ngx_http_north_job_t *job);
static void north_push_authorize(north_push_job_t *pj);
static void north_push_authorized(ngx_http_north_fetch_t *f, ngx_int_t rc);
static void north_push_lease(north_push_job_t *pj);
static void north_push_leased(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status);
static north_push_msg_t *north_push_message(north_push_job_t *pj,
    PGresult *res, int row);
static void north_push_post(north_push_job_t *pj, ngx_uint_t n);
static const char *north_push_bearer(ngx_pool_t *pool);
static void north_push_answered(ngx_http_north_fetch_t *f, ngx_int_t rc);
static void north_push_classify(north_push_msg_t *m,
    ngx_http_north_fetch_t *f, ngx_int_t rc);
static void north_push_outcome(north_push_msg_t *m, const char *outcome,
    const char *error, ngx_int_t delay);
static void north_push_settle(north_push_job_t *pj);
static void north_push_record(north_push_job_t *pj);
static void north_push_recorded(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status);
static void north_push_end(north_push_job_t *pj, const char *error);


static north_push_auth_t  north_push_auth;


static ngx_http_north_pg_stmt_t  north_push_next_stmt =
    ngx_http_north_pg_stmt_rows("north_push_next",
        "select id, token, notification_id, title, body, category, template,"
        " attempts from north.push_next($1::int, $2::interval)", 2, 8);

static ngx_http_north_pg_stmt_t  north_push_sent_stmt =
    ngx_http_north_pg_stmt("north_push_sent",
        "select north.push_sent($1::jsonb)", 1, 1);


static ngx_conf_num_bounds_t  north_push_batch_bounds = {
    ngx_conf_check_num_bounds, 1, 1000
};


static ngx_command_t  north_push_commands[] = {

    { ngx_string("north_fcm_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_north_conf_set_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_push_conf_t, credentials),
      NULL },

    { ngx_string("north_fcm_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_push_conf_t, url),
      NULL },

    { ngx_string("north_fcm_batch"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_push_conf_t, batch),
      &north_push_batch_bounds },

    { ngx_string("north_fcm_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_push_conf_t, timeout),
      NULL },

    { ngx_string("north_fcm_lease"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(north_push_conf_t, lease),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  north_push_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    north_push_create_main_conf,           /* create main configuration */
    north_push_init_main_conf,             /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_north_push_module = {
    NGX_MODULE_V1,
    &north_push_module_ctx,                /* module context */
    north_push_commands,                   /* module directives */
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
north_push_create_main_conf(ngx_conf_t *cf)
{
    north_push_conf_t  *pcf;

    pcf = ngx_pcalloc(cf->pool, sizeof(north_push_conf_t));
    if (pcf == NULL) {
        return NULL;
    }

    pcf->batch = NGX_CONF_UNSET_UINT;
    pcf->timeout = NGX_CONF_UNSET_MSEC;
    pcf->lease = NGX_CONF_UNSET_MSEC;

    return pcf;
}


/* Reads the service account: its key, its e-mail, its token endpoint. */

static char *
north_push_init_main_conf(ngx_conf_t *cf, void *conf)
{
    north_push_conf_t  *pcf = conf;

    BIO                 *bio;
    char                *s;
    size_t               len;
    json_t              *sa, *pem;
    json_error_t         err;
    ngx_pool_cleanup_t  *cln;
    const char          *project, *email, *uri;

    ngx_conf_init_uint_value(pcf->batch, 500);
    ngx_conf_init_msec_value(pcf->timeout, 10000);
    ngx_conf_init_msec_value(pcf->lease, 120000);

    /* a batch's token request and its sends, each within the timeout */
    if (pcf->lease <= 2 * pcf->timeout) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "north_fcm_lease must be more than twice"
                           " north_fcm_timeout");
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(pcf->lease_text, "%M ms%Z", pcf->lease);

    if (pcf->url.data == NULL) {
        ngx_str_set(&pcf->url, "https://fcm.googleapis.com");
    }

    if (pcf->credentials.data == NULL) {
        return NGX_CONF_OK;
    }

    sa = json_load_file((char *) pcf->credentials.data, 0, &err);
    if (sa == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "north_fcm_credentials: \"%V\": %s",
                           &pcf->credentials, err.text);
        return NGX_CONF_ERROR;
    }

    project = json_string_value(json_object_get(sa, "project_id"));
    email = json_string_value(json_object_get(sa, "client_email"));
    uri = json_string_value(json_object_get(sa, "token_uri"));
    pem = json_object_get(sa, "private_key");

    if (project == NULL || email == NULL || !json_is_string(pem)) {
        json_decref(sa);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "north_fcm_credentials: \"%V\" is no service"
                           " account (project_id, client_email, private_key)",
                           &pcf->credentials);
        return NGX_CONF_ERROR;
    }

    bio = BIO_new_mem_buf(json_string_value(pem), json_string_length(pem));
    pcf->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);

    /* the key's text leaves memory with the file's */
    ngx_explicit_memzero((char *) json_string_value(pem),
                         json_string_length(pem));

    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (pcf->key == NULL || cln == NULL
        || EVP_PKEY_get_base_id(pcf->key) != EVP_PKEY_RSA)
    {
        EVP_PKEY_free(pcf->key);
        pcf->key = NULL;
        json_decref(sa);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "north_fcm_credentials: \"%V\": private_key is no"
                           " RSA key in PEM", &pcf->credentials);
        return NGX_CONF_ERROR;
    }

    cln->handler = north_push_key_free;
    cln->data = pcf->key;

    if (uri == NULL) {
        uri = "https://oauth2.googleapis.com/token";
    }

    len = sizeof("/v1/projects//messages:send") + pcf->url.len
          + ngx_strlen(project);

    pcf->email = ngx_pnalloc(cf->pool, ngx_strlen(email) + 1);
    pcf->token_uri = ngx_pnalloc(cf->pool, ngx_strlen(uri) + 1);
    pcf->send_url = ngx_pnalloc(cf->pool, len);

    if (pcf->email == NULL || pcf->token_uri == NULL || pcf->send_url == NULL)
    {
        json_decref(sa);
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn((u_char *) pcf->email, (u_char *) email, ngx_strlen(email) + 1);
    ngx_cpystrn((u_char *) pcf->token_uri, (u_char *) uri, ngx_strlen(uri) + 1);
    s = (char *) ngx_sprintf((u_char *) pcf->send_url,
                             "%V/v1/projects/%s/messages:send",
                             &pcf->url, project);
    *s = '\0';

    json_decref(sa);

    return NGX_CONF_OK;
}


static void
north_push_key_free(void *data)
{
    EVP_PKEY_free(data);
}


/* push.send: every delivery due, a batch at a time */

static void
north_push_send(ngx_http_north_job_t *job)
{
    north_push_job_t  *pj;

    pj = ngx_pcalloc(job->pool, sizeof(north_push_job_t));
    if (pj == NULL) {
        ngx_http_north_job_done(job, "out of memory");
        return;
    }

    pj->job = job;
    pj->pcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                  ngx_http_north_push_module);
    job->data = pj;
    job->stop = north_push_leave;

    if (pj->pcf->key == NULL) {
        /* the deliveries wait for a node that has the credentials */
        ngx_log_error(NGX_LOG_INFO, job->log, 0,
                      "north push: north_fcm_credentials is not set");
        ngx_http_north_job_done(job, NULL);
        return;
    }

    north_push_authorize(pj);
}


/* A leaving worker ends its job after the batch in flight. */

static void
north_push_leave(ngx_http_north_job_t *job)
{
    north_push_job_t  *pj = job->data;

    pj->leave = 1;
}


/* An access token good for five more minutes, else a new one. */

static void
north_push_authorize(north_push_job_t *pj)
{
    char               *assertion, *body;
    size_t              len;
    ngx_int_t           rc;
    const char         *headers[3];
    north_push_conf_t  *pcf;

    static const char  grant[] =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
        "&assertion=";

    pcf = pj->pcf;

    if (north_push_auth.token != NULL && !pj->unauthorized
        && north_push_auth.expires - ngx_time() > NORTH_PUSH_REFRESH)
    {
        north_push_lease(pj);
        return;
    }

    pj->unauthorized = 0;

    if (pj->pool) {
        ngx_destroy_pool(pj->pool);
    }

    pj->pool = ngx_create_pool(1024, pj->job->log);
    if (pj->pool == NULL) {
        north_push_end(pj, "out of memory");
        return;
    }

    assertion = north_jwt_assertion(pcf->key, pcf->email, NORTH_PUSH_SCOPE,
                                    pcf->token_uri, ngx_time(), 3600);
    if (assertion == NULL) {
        north_push_end(pj, "the service account's assertion was not signed");
        return;
    }

    len = sizeof(grant) - 1 + ngx_strlen(assertion);
    body = ngx_pnalloc(pj->pool, len + 1);

    if (body == NULL) {
        free(assertion);
        north_push_end(pj, "out of memory");
        return;
    }

    ngx_sprintf((u_char *) body, "%s%s%Z", grant, assertion);
    free(assertion);

    headers[0] = "Content-Type: application/x-www-form-urlencoded";
    headers[1] = ngx_http_north_trace_header(pj->pool,
                                             &pj->job->traceparent);
    headers[2] = NULL;

    rc = ngx_http_north_fetch(pj->pool, pj->job->log, pcf->token_uri, headers,
                              body, len, pcf->timeout,
                              NGX_HTTP_NORTH_FETCH_HTTP2,
                              north_push_authorized, pj);
    if (rc != NGX_OK) {
        north_push_end(pj, "the token endpoint could not be called");
    }
}


static void
north_push_authorized(ngx_http_north_fetch_t *f, ngx_int_t rc)
{
    north_push_job_t  *pj = f->data;

    size_t        len;
    json_t       *answer;
    json_int_t    ttl;
    const char   *token;

    answer = NULL;

    if (rc == NGX_OK && f->status == 200) {
        answer = json_loadb((char *) f->body.data, f->body.len, 0, NULL);
        ngx_explicit_memzero(f->body.data, f->body.len);
    }

    token = json_string_value(json_object_get(answer, "access_token"));
    ttl = json_integer_value(json_object_get(answer, "expires_in"));

    if (token == NULL || ttl <= 0) {
        ngx_log_error(NGX_LOG_ERR, pj->job->log, 0,
                      "north push: no access token: %s %ui",
                      rc == NGX_OK ? "the token endpoint answered" : f->error,
                      rc == NGX_OK ? f->status : 0);
        json_decref(answer);
        north_push_end(pj, "no FCM access token");
        return;
    }

    if (north_push_auth.token) {
        ngx_explicit_memzero(north_push_auth.token,
                             ngx_strlen(north_push_auth.token));
        free(north_push_auth.token);
    }

    len = json_string_length(json_object_get(answer, "access_token"));
    north_push_auth.token = malloc(len + 1);

    if (north_push_auth.token != NULL) {
        ngx_memcpy(north_push_auth.token, token, len + 1);
        north_push_auth.expires = ngx_time() + ttl;
    }

    ngx_explicit_memzero((char *) token, len);
    json_decref(answer);

    if (north_push_auth.token == NULL) {
        north_push_end(pj, "out of memory");
        return;
    }

    north_push_lease(pj);
}


static void
north_push_lease(north_push_job_t *pj)
{
    const char  *values[2];
    u_char       batch[NGX_INT_T_LEN + 1];

    if (pj->pool) {
        ngx_destroy_pool(pj->pool);
        pj->pool = NULL;
    }

    if (pj->leave) {
        ngx_http_north_job_yield(pj->job);
        return;
    }

    pj->pool = ngx_create_pool(16384, pj->job->log);

    ngx_sprintf(batch, "%ui%Z", pj->pcf->batch);
    values[0] = (char *) batch;
    values[1] = (char *) pj->pcf->lease_text;

    if (pj->pool == NULL
        || ngx_http_north_pg_send(pj->job->pg, pj->pool, &north_push_next_stmt,
                                  values, north_push_leased, pj)
           != NGX_OK)
    {
        north_push_end(pj, "the database is unavailable");
    }
}


static void
north_push_leased(ngx_http_north_pg_op_t *op, PGresult *res, ngx_int_t status)
{
    north_push_job_t  *pj = op->data;

    int                 i, n;
    north_push_msg_t   *m, **mp;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        north_push_end(pj, ngx_http_north_pg_why(res, status));
        return;
    }

    n = PQntuples(res);

    if (n == 0) {
        ngx_log_error(NGX_LOG_INFO, pj->job->log, 0,
                      "north push: %ui sent, %ui tokens dropped, %ui failed,"
                      " %ui to retry", pj->sent, pj->dropped, pj->failed,
                      pj->retried);
        north_push_end(pj, NULL);
        return;
    }

    pj->results = json_array();
    if (pj->results == NULL) {
        north_push_end(pj, "out of memory");
        return;
    }

    pj->backoff = 0;
    pj->answered = 0;
    pj->lost = 0;
    pj->inflight = n;
    pj->headers[0] = north_push_bearer(pj->pool);
    pj->headers[1] = ngx_http_north_trace_header(pj->pool,
                                                 &pj->job->traceparent);
    pj->headers[2] = NULL;

    if (pj->headers[0] == NULL
        || ngx_array_init(&pj->ready, pj->pool, n, sizeof(north_push_msg_t *))
           != NGX_OK
        || ngx_array_init(&pj->again, pj->pool, 4, sizeof(north_push_msg_t *))
           != NGX_OK)
    {
        north_push_end(pj, "out of memory");
        return;
    }

    for (i = 0; i < n; i++) {
        m = north_push_message(pj, res, i);

        if (m == NULL) {
            /* its outcome is kept: counted as answered */
            pj->inflight--;
            continue;
        }

        mp = ngx_array_push(&pj->ready);
        *mp = m;
    }

    if (pj->inflight == 0) {
        north_push_record(pj);
        return;
    }

    /*
     * The first message alone, the others once it is answered: by then the
     * HTTP/2 connection is up and they go as its streams, instead of
     * racing to open connections of their own.
     */
    pj->next = 0;
    pj->open = 0;
    north_push_post(pj, 1);
}


/* "Authorization: Bearer TOKEN", in pool: one for the batch. */

static const char *
north_push_bearer(ngx_pool_t *pool)
{
    u_char  *header;

    header = ngx_pnalloc(pool, sizeof("Authorization: Bearer ")
                               + ngx_strlen(north_push_auth.token));
    if (header == NULL) {
        return NULL;
    }

    ngx_sprintf(header, "Authorization: Bearer %s%Z", north_push_auth.token);

    return (char *) header;
}


/*
 * Posts the batch's next n messages; one FCM could not be called for is
 * retried later and does not count.
 */

static void
north_push_post(north_push_job_t *pj, ngx_uint_t n)
{
    ngx_int_t          rc;
    north_push_msg_t  *m;

    while (n && pj->next < pj->ready.nelts) {
        m = ((north_push_msg_t **) pj->ready.elts)[pj->next++];

        rc = ngx_http_north_fetch(pj->pool, pj->job->log, pj->pcf->send_url,
                                  pj->headers, (char *) m->body.data,
                                  m->body.len, pj->pcf->timeout,
                                  NGX_HTTP_NORTH_FETCH_HTTP2,
                                  north_push_answered, m);
        if (rc == NGX_OK) {
            n--;
            continue;
        }

        pj->lost++;
        north_push_outcome(m, "retry", "FCM could not be called", 10);

        if (--pj->inflight == 0) {
            north_push_settle(pj);
            return;
        }
    }
}


/*
 * The message FCM is sent. Its data are strings only; its payload (the
 * notification and the data) within FCM's 4,096 bytes. A silent push (no
 * notification: the sync engine's) is data only, collapsed as "sync", at
 * normal priority (APNs: a background push).
 */

static north_push_msg_t *
north_push_message(north_push_job_t *pj, PGresult *res, int row)
{
    char               *body, *payload;
    size_t              plen;
    json_t             *message, *notification, *data, *both;
    const char         *nid;
    north_push_msg_t   *m;

    m = ngx_pcalloc(pj->pool, sizeof(north_push_msg_t));
    if (m == NULL) {
        /* unrecorded: its lease runs out and it goes again */
        return NULL;
    }

    m->pj = pj;
    m->id = ngx_atoi((u_char *) PQgetvalue(res, row, 0),
                     PQgetlength(res, row, 0));
    m->attempts = ngx_atoi((u_char *) PQgetvalue(res, row, 7),
                           PQgetlength(res, row, 7));
    nid = PQgetvalue(res, row, 2);

    plen = PQgetlength(res, row, 1);
    m->token = ngx_pnalloc(pj->pool, plen + 1);
    if (m->token == NULL) {
        north_push_outcome(m, "retry", "out of memory", 10);
        return NULL;
    }

    ngx_cpystrn((u_char *) m->token, (u_char *) PQgetvalue(res, row, 1),
                plen + 1);

    if (PQgetisnull(res, row, 2)) {
        /* the sync engine's silent push: data only, low priority */
        message = json_pack("{s:{s:s, s:{s:s}, s:{s:s, s:s},"
                            " s:{s:{s:s, s:s, s:s}, s:{s:{s:i}}}}}",
                            "message", "token", m->token,
                            "data", "kind", "sync",
                            "android", "collapse_key", "sync",
                            "priority", "normal",
                            "apns", "headers", "apns-collapse-id", "sync",
                            "apns-priority", "5",
                            "apns-push-type", "background",
                            "payload", "aps", "content-available", 1);
        payload = NULL;
        plen = 1;
        goto body;
    }

    notification = json_pack("{s:s, s:s}", "title", PQgetvalue(res, row, 3),
                             "body", PQgetvalue(res, row, 4));
    data = json_pack("{s:s, s:s, s:s}", "notification_id", nid,
                     "category", PQgetvalue(res, row, 5),
                     "template", PQgetvalue(res, row, 6));

    payload = NULL;
    plen = 0;

    if (notification != NULL && data != NULL) {
        both = json_pack("[O, O]", notification, data);
        payload = both ? json_dumps(both, JSON_COMPACT) : NULL;
        plen = payload ? ngx_strlen(payload) : 0;
        json_decref(both);
    }

    /* one notification a device, shown once even if sent twice */
    message = json_pack("{s:{s:s, s:o, s:o, s:{s:s, s:s}, s:{s:{s:s}}}}",
                        "message", "token", m->token,
                        "notification", notification, "data", data,
                        "android", "collapse_key", nid, "priority", "high",
                        "apns", "headers", "apns-collapse-id", nid);

body:

    body = message ? json_dumps(message, JSON_COMPACT) : NULL;
    json_decref(message);

    free(payload);

    if (plen > NORTH_PUSH_PAYLOAD) {
        free(body);
        north_push_outcome(m, "fail", "the payload is over 4096 bytes", 0);
        return NULL;
    }

    m->body.len = body ? ngx_strlen(body) : 0;
    m->body.data = body ? ngx_pnalloc(pj->pool, m->body.len) : NULL;

    if (m->body.data == NULL || plen == 0) {
        free(body);
        north_push_outcome(m, "retry", "out of memory", 10);
        return NULL;
    }

    ngx_memcpy(m->body.data, body, m->body.len);
    free(body);

    return m;
}


/* 10 s doubling with each attempt, up to an hour, give or take a quarter. */

static ngx_int_t
north_push_backoff(ngx_uint_t attempts)
{
    ngx_int_t  delay;

    delay = 10 << ngx_min(attempts ? attempts - 1 : 0, 9);
    delay = ngx_min(delay, 3600);

    return delay * 3 / 4 + ngx_random() % (delay / 2 + 1);
}


static void
north_push_answered(ngx_http_north_fetch_t *f, ngx_int_t rc)
{
    north_push_msg_t  *m = f->data;

    north_push_job_t  *pj;

    pj = m->pj;

    north_push_classify(m, f, rc);

    if (!pj->open) {
        /* the connection is up: the rest of the batch as its streams */
        pj->open = 1;
        north_push_post(pj, pj->ready.nelts);
    }

    if (--pj->inflight == 0) {
        north_push_settle(pj);
    }
}


/* FCM's answer as an outcome (the table at the top of this file). */

static void
north_push_classify(north_push_msg_t *m, ngx_http_north_fetch_t *f,
    ngx_int_t rc)
{
    size_t              i;
    json_t             *answer, *error, *detail;
    ngx_int_t           delay;
    const char         *code, *status, *message;
    north_push_msg_t  **mp;

    if (rc != NGX_OK) {
        if (!m->again) {
            /* lost with its connection: once more when the batch is done */
            m->again = 1;
            m->error = f->error;
            mp = ngx_array_push(&m->pj->again);

            if (mp) {
                *mp = m;
                return;
            }
        }

        m->pj->lost++;
        north_push_outcome(m, "retry", f->error,
                           ngx_max(north_push_backoff(m->attempts),
                                   (ngx_int_t) f->retry_after));
        return;
    }

    m->pj->answered++;

    if (f->status == 200) {
        north_push_outcome(m, "sent", NULL, 0);
        return;
    }

    if (f->status == 429) {
        m->pj->backoff = 1;
        delay = ngx_max(60, (ngx_int_t) f->retry_after);
        north_push_outcome(m, "retry", "FCM answered 429: over quota",
                           ngx_max(delay, north_push_backoff(m->attempts)));
        return;
    }

    if (f->status == 401) {
        m->pj->unauthorized = 1;
        north_push_outcome(m, "retry", "FCM refused the access token", 1);
        return;
    }

    if (f->status >= 500) {
        m->pj->backoff = 1;
        north_push_outcome(m, "retry", "FCM is unavailable",
                           ngx_max(north_push_backoff(m->attempts),
                                   (ngx_int_t) f->retry_after));
        return;
    }

    /* a 4xx: its FcmError code, else its canonical status */
    answer = json_loadb((char *) f->body.data, f->body.len, 0, NULL);
    error = json_object_get(answer, "error");
    status = json_string_value(json_object_get(error, "status"));
    message = json_string_value(json_object_get(error, "message"));
    code = NULL;

    json_array_foreach(json_object_get(error, "details"), i, detail) {
        if (json_string_value(json_object_get(detail, "errorCode"))) {
            code = json_string_value(json_object_get(detail, "errorCode"));
            break;
        }
    }

    if (code == NULL) {
        code = status ? status : "an unknown error";
    }

    if (ngx_strcmp(code, "UNREGISTERED") == 0
        || ngx_strcmp(code, "SENDER_ID_MISMATCH") == 0
        || (ngx_strcmp(code, "INVALID_ARGUMENT") == 0 && message != NULL
            && ngx_strcmp(message, NORTH_PUSH_INVALID) == 0))
    {
        north_push_outcome(m, "drop", code, 0);

    } else {
        north_push_outcome(m, "fail", code, 0);
    }

    json_decref(answer);
}


/* One delivery's outcome, kept for the batch's record. */

static void
north_push_outcome(north_push_msg_t *m, const char *outcome,
    const char *error, ngx_int_t delay)
{
    json_t            *r;
    north_push_job_t  *pj;

    pj = m->pj;

    switch (outcome[0]) {
    case 's':
        pj->sent++;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_FCM_SENT, 1);
        break;
    case 'd':
        pj->dropped++;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_FCM_DROPPED, 1);
        break;
    case 'f':
        pj->failed++;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_FCM_FAILED, 1);
        break;
    default:
        pj->retried++;
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_FCM_RETRIED, 1);
    }

    if (error) {
        ngx_log_error((outcome[0] == 'r' ? NGX_LOG_INFO : NGX_LOG_WARN),
                      pj->job->log, 0,
                      "north push: delivery %L not sent (%s): %s",
                      (int64_t) m->id, outcome, error);
    }

    /* the token goes back only to be removed */
    r = json_pack("{s:I, s:s, s:s?, s:I, s:s?}", "id", m->id,
                  "outcome", outcome, "error", error,
                  "retry_s", (json_int_t) delay,
                  "token", outcome[0] == 'd' ? m->token : NULL);

    if (r == NULL || json_array_append_new(pj->results, r) != 0) {
        /* unrecorded: its lease runs out and it goes again */
        ngx_log_error(NGX_LOG_ERR, pj->job->log, 0,
                      "north push: delivery %L: outcome not kept",
                      (int64_t) m->id);
    }
}


/*
 * The batch is answered. Messages lost with their connection (a GOAWAY, a
 * reset) go once more, at once, when FCM answered others; else, FCM being
 * away, they wait for their backoff.
 */

static void
north_push_settle(north_push_job_t *pj)
{
    ngx_uint_t          i;
    north_push_msg_t  **msgs;

    msgs = pj->again.elts;

    if (pj->again.nelts && pj->answered && !pj->backoff) {
        pj->ready = pj->again;
        pj->next = 0;
        pj->inflight = pj->ready.nelts;

        if (ngx_array_init(&pj->again, pj->pool, 1, sizeof(north_push_msg_t *))
            == NGX_OK)
        {
            north_push_post(pj, pj->ready.nelts);
            return;
        }

        pj->again = pj->ready;
    }

    for (i = 0; i < pj->again.nelts; i++) {
        pj->lost++;
        north_push_outcome(msgs[i], "retry", msgs[i]->error,
                           north_push_backoff(msgs[i]->attempts));
    }

    north_push_record(pj);
}


static void
north_push_record(north_push_job_t *pj)
{
    char        *text;
    const char  *values[1];

    text = ngx_http_north_json_text(pj->pool, pj->results);

    json_decref(pj->results);
    pj->results = NULL;

    values[0] = text;

    if (text == NULL
        || ngx_http_north_pg_send(pj->job->pg, pj->pool, &north_push_sent_stmt,
                                  values, north_push_recorded, pj)
           != NGX_OK)
    {
        /* the leases run out: the batch goes again */
        north_push_end(pj, "the database is unavailable");
    }
}


static void
north_push_recorded(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_push_job_t  *pj = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        north_push_end(pj, ngx_http_north_pg_why(res, status));
        return;
    }

    /*
     * FCM over quota or away (it answered 429 or 5xx, or nothing of the
     * batch) ends the run: the rest wait for their backoff.
     */
    if (pj->backoff || (pj->lost && pj->answered == 0)) {
        north_push_end(pj, NULL);
        return;
    }

    north_push_authorize(pj);
}


static void
north_push_end(north_push_job_t *pj, const char *error)
{
    ngx_pool_t  *pool;

    pool = pj->pool;
    pj->pool = NULL;

    json_decref(pj->results);
    pj->results = NULL;

    ngx_http_north_job_done(pj->job, error);

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


ngx_http_north_job_kind_t  north_push_jobs[] = {
    { ngx_string("push.send"), north_push_send },
    { ngx_null_string, NULL }
};
