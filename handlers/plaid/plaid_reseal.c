/*
 * data.reseal: a data key rotation's second half. While a worker holds
 * more than one data key (north_data_key), its sweep wakes this job when a
 * Plaid access token is sealed under a key of the ring that is not the
 * first (north.data_reseal_wake). The job opens those tokens page by page
 * and seals each again under the first key, writing a row only if it is
 * still under the key it was opened with. Once no row names the old key,
 * the operator removes it from the ring (docs/operations.md).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_jobs.h"
#include "ngx_north_json.h"
#include "ngx_north_crypto.h"
#include "plaid_client.h"


#define NORTH_PLAID_RESEAL_PAGE  200
#define NORTH_PLAID_RESEAL_PAGE_TEXT  "200"


typedef struct {
    ngx_http_north_job_t        *job;
    ngx_http_north_main_conf_t  *mcf;
    ngx_pool_t                  *pool;          /* a page's */
    ngx_uint_t                   moved;
    unsigned                     last:1;        /* the page was not full */
    unsigned                     leave:1;
} north_plaid_reseal_t;


static void north_plaid_reseal_leave(ngx_http_north_job_t *job);
static void north_plaid_reseal_next(north_plaid_reseal_t *rs);
static void north_plaid_reseal_paged(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static json_t *north_plaid_reseal_page(north_plaid_reseal_t *rs,
    PGresult *res, ngx_uint_t *unopened);
static void north_plaid_reseal_written(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void north_plaid_reseal_end(north_plaid_reseal_t *rs,
    const char *error);


static ngx_http_north_pg_stmt_t  north_plaid_reseal_page_stmt =
    ngx_http_north_pg_stmt_rows("north_plaid_reseal_page",
        "select tbl, id, aad, sealed, key_id"
        " from north.data_reseal_page($1, $2::text[], $3::integer)", 3, 5);

static ngx_http_north_pg_stmt_t  north_plaid_reseal_write_stmt =
    ngx_http_north_pg_stmt("north_plaid_reseal_write",
        "select north.data_resealed($1, $2::jsonb)", 2, 1);


void
north_plaid_reseal(ngx_http_north_job_t *job)
{
    north_plaid_reseal_t        *rs;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    /* a worker with one key has nothing to move the others' rows to */
    if (mcf->data_keys == NULL || mcf->data_keys->nelts < 2) {
        ngx_http_north_job_done(job, NULL);
        return;
    }

    rs = ngx_pcalloc(job->pool, sizeof(north_plaid_reseal_t));
    if (rs == NULL) {
        ngx_http_north_job_done(job, "out of memory");
        return;
    }

    rs->job = job;
    rs->mcf = mcf;
    job->data = rs;
    job->stop = north_plaid_reseal_leave;

    north_plaid_reseal_next(rs);
}


/* A leaving worker ends its job after the page in flight. */

static void
north_plaid_reseal_leave(ngx_http_north_job_t *job)
{
    north_plaid_reseal_t  *rs = job->data;

    rs->leave = 1;
}


static void
north_plaid_reseal_next(north_plaid_reseal_t *rs)
{
    const char                 *values[3];
    ngx_http_north_data_key_t  *k;

    if (rs->pool) {
        ngx_destroy_pool(rs->pool);
        rs->pool = NULL;
    }

    if (rs->leave) {
        ngx_http_north_job_yield(rs->job);
        return;
    }

    k = rs->mcf->data_keys->elts;
    values[0] = (char *) k[0].id;
    values[1] = (char *) rs->mcf->data_key_ring.data;
    values[2] = NORTH_PLAID_RESEAL_PAGE_TEXT;

    rs->pool = ngx_create_pool(4096, rs->job->log);

    if (rs->pool == NULL
        || ngx_http_north_pg_send(rs->job->pg, rs->pool,
                                  &north_plaid_reseal_page_stmt, values,
                                  north_plaid_reseal_paged, rs)
           != NGX_OK)
    {
        north_plaid_reseal_end(rs, "the database is unavailable");
    }
}


static void
north_plaid_reseal_paged(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_reseal_t  *rs = op->data;

    char                       *text;
    json_t                     *rows;
    ngx_uint_t                  unopened;
    const char                 *values[2];
    ngx_http_north_data_key_t  *k;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        north_plaid_reseal_end(rs, ngx_http_north_pg_why(res, status));
        return;
    }

    if (PQntuples(res) == 0) {
        north_plaid_reseal_end(rs, NULL);
        return;
    }

    rs->last = (PQntuples(res) < NORTH_PLAID_RESEAL_PAGE);

    rows = north_plaid_reseal_page(rs, res, &unopened);
    if (rows == NULL) {
        north_plaid_reseal_end(rs, "out of memory");
        return;
    }

    /* nothing of the page opens: it would be read again and again */
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        north_plaid_reseal_end(rs, "access tokens that do not open under "
                                   "the key that names them");
        return;
    }

    text = ngx_http_north_json_text(rs->pool, rows);
    json_decref(rows);

    k = rs->mcf->data_keys->elts;
    values[0] = (char *) k[0].id;
    values[1] = text;

    if (text == NULL
        || ngx_http_north_pg_send(rs->job->pg, rs->pool,
                                  &north_plaid_reseal_write_stmt, values,
                                  north_plaid_reseal_written, rs)
           != NGX_OK)
    {
        north_plaid_reseal_end(rs, "the database is unavailable");
    }
}


/*
 * The page's tokens opened and sealed under the first key, as the rows
 * north.data_resealed() takes; a token that does not open is logged and
 * left where it is. The opened tokens are wiped as soon as sealed.
 */

static json_t *
north_plaid_reseal_page(north_plaid_reseal_t *rs, PGresult *res,
    ngx_uint_t *unopened)
{
    int         row;
    json_t     *rows, *one;
    ngx_int_t   rc;
    ngx_str_t   sealed, key_id, aad, plain, out, out_id;

    rows = json_array();
    if (rows == NULL) {
        return NULL;
    }

    *unopened = 0;

    for (row = 0; row < PQntuples(res); row++) {
        aad.data = (u_char *) PQgetvalue(res, row, 2);
        aad.len = PQgetlength(res, row, 2);
        sealed.data = (u_char *) PQgetvalue(res, row, 3);
        sealed.len = PQgetlength(res, row, 3);
        key_id.data = (u_char *) PQgetvalue(res, row, 4);
        key_id.len = PQgetlength(res, row, 4);
        ngx_str_null(&plain);

        rc = ngx_http_north_open(rs->mcf, rs->pool, &sealed, &key_id, &aad,
                                 &plain);

        if (rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_ALERT, rs->job->log, 0,
                          "north reseal: the access token of %s %s does not "
                          "open under key %V (forged or moved)",
                          PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
                          &key_id);
            (*unopened)++;
            continue;
        }

        rc = (rc == NGX_OK)
             ? ngx_http_north_seal(rs->mcf, rs->pool, &plain, &aad, &out,
                                   &out_id)
             : NGX_ERROR;

        if (plain.data) {
            ngx_explicit_memzero(plain.data, plain.len);
        }

        one = (rc == NGX_OK)
              ? json_pack("{s:s, s:s, s:s%, s:s%}",
                          "tbl", PQgetvalue(res, row, 0),
                          "id", PQgetvalue(res, row, 1),
                          "key_id", key_id.data, key_id.len,
                          "sealed", out.data, out.len)
              : NULL;

        if (one == NULL || json_array_append_new(rows, one) != 0) {
            json_decref(rows);
            return NULL;
        }
    }

    return rows;
}


static void
north_plaid_reseal_written(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    north_plaid_reseal_t  *rs = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        north_plaid_reseal_end(rs, ngx_http_north_pg_why(res, status));
        return;
    }

    rs->moved += ngx_atoi((u_char *) PQgetvalue(res, 0, 0),
                          PQgetlength(res, 0, 0));

    if (rs->last) {
        north_plaid_reseal_end(rs, NULL);
        return;
    }

    north_plaid_reseal_next(rs);
}


static void
north_plaid_reseal_end(north_plaid_reseal_t *rs, const char *error)
{
    ngx_http_north_data_key_t  *k;

    k = rs->mcf->data_keys->elts;

    ngx_log_error(NGX_LOG_NOTICE, rs->job->log, 0,
                  "north reseal: %ui access tokens sealed again under data "
                  "key %s", rs->moved, k[0].id);

    if (rs->pool) {
        ngx_destroy_pool(rs->pool);
        rs->pool = NULL;
    }

    ngx_http_north_job_done(rs->job, error);
}
