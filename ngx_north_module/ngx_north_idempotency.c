/*
 * North idempotent POSTs: the key is claimed in PostgreSQL with the hash of
 * the request; a new claim runs the handler and keeps its response (2xx and
 * 4xx, up to 64 KiB), the same request again replays it, another request
 * under the key is a 422, and one still running a 409. Keys live 24 hours
 * (the jobs' sweep removes them). Unauthenticated endpoints are left out:
 * they hand out credentials, which are never stored.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_idempotency.h"
#include "north_check.h"

#include <openssl/sha.h>


#define NGX_HTTP_NORTH_IDEM_MAX_BODY  65536


struct ngx_http_north_idem_s {
    ngx_http_north_handler_pt    handler;
    ngx_str_t                    user;
    ngx_str_t                    key;
    u_char                      *body;          /* the response, captured */
    size_t                       len;
    unsigned                     capture:1;
    unsigned                     overflow:1;
};


static void ngx_http_north_idempotency_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_idempotency_claimed(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t ngx_http_north_idempotency_replay(ngx_http_request_t *r,
    PGresult *res);
static void ngx_http_north_idempotency_stored(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);


static ngx_http_north_pg_stmt_t  ngx_http_north_idem_claim_stmt =
    ngx_http_north_pg_stmt("north_idem_claim",
        "select outcome, status, content_type, body"
        " from north.idempotency_claim($1, $2, $3)", 3, 4);

static ngx_http_north_pg_stmt_t  ngx_http_north_idem_store_stmt =
    ngx_http_north_pg_stmt("north_idem_store",
        "update north.idempotency_keys"
        " set status = $3::smallint, content_type = $4, body = $5"
        " where user_id = $1 and key = $2 and status is null", 5, 0);

static ngx_http_north_pg_stmt_t  ngx_http_north_idem_release_stmt =
    ngx_http_north_pg_stmt("north_idem_release",
        "delete from north.idempotency_keys"
        " where user_id = $1 and key = $2 and status is null", 2, 0);


static ngx_str_t  ngx_http_north_idem_header = ngx_string("Idempotency-Key");


ngx_int_t
ngx_http_north_idempotency(ngx_http_request_t *r,
    ngx_http_north_handler_pt handler)
{
    ngx_int_t                   rc;
    ngx_table_elt_t            *key;
    ngx_http_north_ctx_t       *ctx;
    ngx_http_north_idem_t      *idem;
    ngx_http_north_identity_t  *id;

    key = ngx_http_north_header_in(r, &ngx_http_north_idem_header);
    id = ngx_http_north_jwt_identity(r);

    if (key == NULL || id == NULL) {
        return NGX_DECLINED;
    }

    if (!north_check_idempotency_key(key->value.data, key->value.len)) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid-idempotency-key",
                                      "Invalid Idempotency-Key",
                                      "the key must be 1 to 255 visible "
                                      "ASCII characters", NULL);
    }

    ctx = ngx_http_north_ctx(r);
    idem = ngx_pcalloc(r->pool, sizeof(ngx_http_north_idem_t));
    if (ctx == NULL || idem == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    idem->handler = handler;
    idem->user = id->user_id;
    idem->key.len = key->value.len;
    idem->key.data = ngx_pnalloc(r->pool, key->value.len + 1);
    if (idem->key.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn(idem->key.data, key->value.data, key->value.len + 1);
    ctx->idem = idem;

    /* the handler's own read of the body then finds it here */
    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_north_idempotency_read);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_north_idempotency_read(ngx_http_request_t *r)
{
    u_char                 *body;
    size_t                  len;
    SHA256_CTX              sha;
    const char             *values[3];
    ngx_http_north_ctx_t   *ctx;
    u_char                  md[SHA256_DIGEST_LENGTH];
    u_char                  hex[SHA256_DIGEST_LENGTH * 2 + 1];

    ctx = ngx_http_north_ctx(r);
    body = ngx_http_north_body_text(r, &len);

    if (ctx == NULL || body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the same request: method, target and body */
    SHA256_Init(&sha);
    SHA256_Update(&sha, r->method_name.data, r->method_name.len);
    SHA256_Update(&sha, " ", 1);
    SHA256_Update(&sha, r->unparsed_uri.data, r->unparsed_uri.len);
    SHA256_Update(&sha, "\n", 1);
    SHA256_Update(&sha, body, len);
    SHA256_Final(md, &sha);

    *ngx_hex_dump(hex, md, sizeof(md)) = '\0';

    values[0] = (char *) ctx->idem->user.data;
    values[1] = (char *) ctx->idem->key.data;
    values[2] = (char *) hex;

    ngx_http_finalize_request(r,
        ngx_http_north_pg_query(r, &ngx_http_north_idem_claim_stmt, values,
                                ngx_http_north_idempotency_claimed,
                                ctx->idem));
}


static ngx_int_t
ngx_http_north_idempotency_claimed(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    ngx_http_north_idem_t  *idem = data;

    char             *outcome;
    ngx_table_elt_t  *h;

    outcome = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(outcome, "new") == 0) {
        idem->capture = 1;
        return idem->handler(r);
    }

    if (ngx_strcmp(outcome, "replay") == 0) {
        return ngx_http_north_idempotency_replay(r, res);
    }

    if (ngx_strcmp(outcome, "mismatch") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE,
                                      "idempotency-key-reused",
                                      "Idempotency-Key reused",
                                      "this key was used for another "
                                      "request: use a new key", NULL);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "1");

    return ngx_http_north_problem(r, NGX_HTTP_CONFLICT,
                                  "idempotency-key-in-use",
                                  "Request in progress",
                                  "a request with this key is still being "
                                  "processed: retry shortly", NULL);
}


static ngx_int_t
ngx_http_north_idempotency_replay(ngx_http_request_t *r, PGresult *res)
{
    size_t            len;
    u_char           *text;
    ngx_str_t         type;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Idempotent-Replayed");
    ngx_str_set(&h->value, "true");

    type.len = PQgetlength(res, 0, 2);
    len = PQgetlength(res, 0, 3);
    type.data = ngx_pnalloc(r->pool, type.len + len);
    if (type.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text = ngx_cpymem(type.data, PQgetvalue(res, 0, 2), type.len);
    ngx_memcpy(text, PQgetvalue(res, 0, 3), len);

    return ngx_http_north_send_type(r, ngx_atoi((u_char *) PQgetvalue(res, 0, 1),
                                                PQgetlength(res, 0, 1)),
                                    &type, text, len);
}


ngx_int_t
ngx_http_north_idempotency_body(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                  n;
    ngx_chain_t            *cl;
    ngx_http_north_ctx_t   *ctx;
    ngx_http_north_idem_t  *idem;

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_module);

    if (ctx == NULL || ctx->idem == NULL || !ctx->idem->capture
        || ctx->idem->overflow)
    {
        return NGX_OK;
    }

    idem = ctx->idem;

    for (cl = in; cl; cl = cl->next) {
        n = cl->buf->last - cl->buf->pos;

        if (n == 0 || !ngx_buf_in_memory(cl->buf)) {
            continue;
        }

        if (idem->len + n > NGX_HTTP_NORTH_IDEM_MAX_BODY) {
            /* too large to keep: the key is released, a retry runs again */
            idem->overflow = 1;
            return NGX_OK;
        }

        if (idem->body == NULL) {
            idem->body = ngx_pnalloc(r->pool, NGX_HTTP_NORTH_IDEM_MAX_BODY);
            if (idem->body == NULL) {
                idem->overflow = 1;
                return NGX_OK;
            }
        }

        ngx_memcpy(idem->body + idem->len, cl->buf->pos, n);
        idem->len += n;
    }

    return NGX_OK;
}


void
ngx_http_north_idempotency_log(ngx_http_request_t *r)
{
    u_char                 *p;
    ngx_uint_t              status;
    ngx_pool_t             *pool;
    const char             *values[5];
    ngx_http_north_ctx_t   *ctx;
    ngx_http_north_idem_t  *idem;
    ngx_http_north_main_conf_t  *mcf;
    u_char                  code[NGX_INT_T_LEN + 1];

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    if (ctx == NULL || ctx->idem == NULL || !ctx->idem->capture) {
        return;
    }

    idem = ctx->idem;
    status = r->headers_out.status;

    /*
     * the request's pool is going: the statement gets a pool of its own,
     * with the cycle's log, as the connection's (and its log) may be gone
     * before the statement ends, and nginx logs a pool's destruction
     */
    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    values[0] = (char *) idem->user.data;
    values[1] = (char *) idem->key.data;

    /* a server error or a cut response may be retried, so it is not kept */
    if (idem->overflow || status < 200 || status >= 500
        || status == NGX_HTTP_TOO_MANY_REQUESTS || r->connection->error)
    {
        if (ngx_http_north_pg_send(mcf->pg, pool,
                                   &ngx_http_north_idem_release_stmt, values,
                                   ngx_http_north_idempotency_stored, pool)
            != NGX_OK)
        {
            ngx_destroy_pool(pool);
        }

        return;
    }

    ngx_sprintf(code, "%ui%Z", status);
    values[2] = (char *) code;

    p = ngx_pnalloc(pool, r->headers_out.content_type.len + idem->len + 2);
    if (p == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    values[3] = (char *) p;
    p = ngx_cpymem(p, r->headers_out.content_type.data,
                   r->headers_out.content_type.len);
    *p++ = '\0';
    values[4] = (char *) p;
    p = ngx_cpymem(p, idem->body, idem->len);
    *p = '\0';

    if (ngx_http_north_pg_send(mcf->pg, pool,
                               &ngx_http_north_idem_store_stmt, values,
                               ngx_http_north_idempotency_stored, pool)
        != NGX_OK)
    {
        /* the claim goes stale in 5 minutes and is taken over */
        ngx_destroy_pool(pool);
    }
}


static void
ngx_http_north_idempotency_stored(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "north idempotency: a response was not stored: %s",
                      ngx_http_north_pg_why(res, status));
    }

    ngx_destroy_pool(op->data);
}
