/*
 * Privacy API (PIPEDA): consents and their history, the export of every
 * piece of a user's personal data (streamed, through the registry of
 * ngx_north_jobs.h), the access log, privacy requests, the policy and the
 * officer's contact, and the job that erases an account.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"


#define NORTH_PRIVACY_PAGE         "500"     /* rows per export query */
#define NORTH_PRIVACY_LIST_MAX     100
#define NORTH_PRIVACY_LIST_LIMIT   50


/* An export in progress: which part, how far in it, and its output. */
typedef struct {
    ngx_uint_t                   svc;
    ngx_uint_t                   part;
    ngx_str_t                    after;       /* key of the last row sent */
    ngx_uint_t                   rows;        /* of this part, so far */
    u_char                      *mem;         /* the page being written */
    size_t                       size;
    json_t                      *manifest;
    ngx_uint_t                   started;     /* the header is sent */
} north_privacy_export_t;


/* The erasure job's place in the registry, walked backwards. */
typedef struct {
    ngx_int_t                    svc;
    ngx_int_t                    part;
} north_privacy_erase_t;


static ngx_int_t north_privacy_consent_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_privacy_consent_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_privacy_export_page(ngx_http_request_t *r,
    north_privacy_export_t *ex);
static ngx_int_t north_privacy_export_rows(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_privacy_export_start(ngx_http_request_t *r,
    north_privacy_export_t *ex);
static ngx_int_t north_privacy_export_write(ngx_http_request_t *r,
    north_privacy_export_t *ex, size_t len, ngx_uint_t last);
static void north_privacy_export_drain(ngx_http_request_t *r);
static ngx_int_t north_privacy_export_wait(ngx_http_request_t *r);
static ngx_http_north_privacy_part_t *north_privacy_part(ngx_uint_t svc,
    ngx_uint_t part);
static void north_privacy_free(void *data);
static ngx_int_t north_privacy_request_body(ngx_http_request_t *r,
    json_t *body);
static void north_privacy_member(json_t *o, const char *name,
    ngx_str_t *value);
static void north_privacy_erase_step(ngx_http_north_job_t *job);
static void north_privacy_erase_done(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void north_privacy_erase_finished(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);


static const char *const  north_privacy_request_kinds[] = {
    "access", "correction", "deletion", NULL
};


static ngx_http_north_pg_stmt_t  north_privacy_consents_stmt =
    ngx_http_north_pg_stmt("north_privacy_consents",
        "select north.consents_json($1, $2)", 2, 1);

static ngx_http_north_pg_stmt_t  north_privacy_consent_set_stmt =
    ngx_http_north_pg_stmt("north_privacy_consent_set",
        "select status, consents from north.consent_set($1, $2, $3::boolean,"
        " $4, $5::inet)", 5, 2);

static ngx_http_north_pg_stmt_t  north_privacy_access_log_stmt =
    ngx_http_north_pg_stmt("north_privacy_access_log",
        "with page as ("
        "  select * from north.audit_log a"
        "  where a.subject = $1 and ($2::bigint is null or a.id < $2::bigint)"
        "  order by a.id desc limit $3::int + 1)"
        " select json_build_object("
        "  'entries', coalesce(json_agg(json_build_object("
        "    'at', north.rfc3339(p.at),"
        "    'accessed_by', case when p.actor = 'user:' || $1 then 'you'"
        "                        when p.actor like 'system:%' then 'north'"
        "                        when p.actor = 'anonymous' then 'anonymous'"
        "                        else 'another_user' end,"
        "    'request', p.method || ' ' || p.route,"
        "    'category', p.category,"
        "    'purpose', p.purpose,"
        "    'status', p.status,"
        "    'client', case when p.actor = 'user:' || $1"
        "                   then host(p.client) end,"
        "    'region', p.region)"
        "   order by p.id desc) filter (where p.n <= $3::int), '[]'),"
        "  'next_cursor', (max(p.id::text) filter (where p.n = $3::int))"
        "                 || case when count(*) > $3::int then '' end)"
        " from (select page.*, row_number() over (order by id desc) n"
        "       from page) p", 3, 1);

static ngx_http_north_pg_stmt_t  north_privacy_request_new_stmt =
    ngx_http_north_pg_stmt("north_privacy_request_new",
        "insert into north.privacy_requests (user_id, kind, details)"
        " values ($1, $2, $3)"
        " returning north.privacy_request_json(privacy_requests)", 3, 1);

static ngx_http_north_pg_stmt_t  north_privacy_requests_stmt =
    ngx_http_north_pg_stmt("north_privacy_requests",
        "with page as ("
        "  select q, row_number() over (order by q.received_at desc,"
        "                                         q.id desc) n"
        "  from north.privacy_requests q"
        "  where q.user_id = $1 and ($2::uuid is null"
        "        or (q.received_at, q.id) < (select c.received_at, c.id"
        "            from north.privacy_requests c"
        "            where c.id = $2::uuid and c.user_id = $1))"
        "  order by q.received_at desc, q.id desc limit $3::int + 1)"
        " select json_build_object("
        "  'requests', coalesce(json_agg(north.privacy_request_json(q)"
        "                       order by n) filter (where n <= $3::int),"
        "                       '[]'),"
        "  'next_cursor', (max((q).id::text) filter (where n = $3::int))"
        "                 || case when count(*) > $3::int then '' end)"
        " from page", 3, 1);


/* GET /v1/privacy/consents */

static ngx_int_t
north_privacy_consents(ngx_http_request_t *r)
{
    const char                  *values[2];
    ngx_http_north_main_conf_t  *mcf;

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    values[1] = (char *) mcf->policy_version.data;

    return ngx_http_north_pg_query(r, &north_privacy_consents_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/* PUT /v1/privacy/consents/{purpose} */

static ngx_int_t
north_privacy_consent(ngx_http_request_t *r)
{
    ngx_str_t  purpose;
    u_char     name[32];

    ngx_http_north_path_id(r, &purpose);

    if (purpose.len >= sizeof(name)) {
        return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                      "Not found", "no such purpose", NULL);
    }

    ngx_cpystrn(name, purpose.data, purpose.len + 1);

    if (north_check_purpose((char *) name) < 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                      "Not found", "no such purpose", NULL);
    }

    return ngx_http_north_json_read(r, north_privacy_consent_body);
}


static ngx_int_t
north_privacy_consent_body(ngx_http_request_t *r, json_t *body)
{
    json_t                      *granted;
    ngx_str_t                    purpose;
    const char                  *values[5];
    ngx_http_north_fields_t      f;
    ngx_http_north_main_conf_t  *mcf;

    static const char *const  fields[] = { "granted", NULL };

    values[0] = ngx_http_north_caller(r);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    granted = json_object_get(body, "granted");

    if (granted == NULL) {
        ngx_http_north_fields_error(&f, "granted", "is required");

    } else if (!json_is_boolean(granted)) {
        ngx_http_north_fields_error(&f, "granted", "must be true or false");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    ngx_http_north_path_id(r, &purpose);

    values[1] = ngx_http_north_strdup(r->pool, &purpose);
    values[2] = json_is_true(granted) ? "true" : "false";
    values[3] = (char *) mcf->policy_version.data;
    values[4] = ngx_http_north_strdup(r->pool, &r->connection->addr_text);

    return ngx_http_north_pg_query(r, &north_privacy_consent_set_stmt,
                                   values, north_privacy_consent_done, NULL);
}


static ngx_int_t
north_privacy_consent_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    /* a withdrawal may have queued work (unlinking banks) */
    ngx_http_north_jobs_wake();

    if (ngx_strcmp(PQgetvalue(res, 0, 0), "required") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_CONFLICT,
                                      "consent-required", "Consent required",
                                      "this consent is a condition of the "
                                      "account: to withdraw it, delete the "
                                      "account (DELETE /v1/me)", NULL);
    }

    return ngx_http_north_pg_json(r, NGX_HTTP_OK, res, 1);
}


/* POST /v1/privacy/export: every part of the registry, page by page */

static ngx_int_t
north_privacy_export(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t      *cln;
    north_privacy_export_t  *ex;
    ngx_http_north_ctx_t    *nctx;

    if (ngx_http_north_jwt_identity(r) == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    nctx = ngx_http_north_ctx(r);
    ex = ngx_pcalloc(r->pool, sizeof(north_privacy_export_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (nctx == NULL || ex == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ex->manifest = json_array();
    if (ex->manifest == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = north_privacy_free;
    cln->data = ex;
    nctx->service = ex;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return north_privacy_export_page(r, ex);
}


static ngx_int_t
north_privacy_export_page(ngx_http_request_t *r, north_privacy_export_t *ex)
{
    const char                     *values[3];
    ngx_http_north_privacy_part_t  *part;

    values[0] = ngx_http_north_caller(r);
    part = north_privacy_part(ex->svc, ex->part);

    values[1] = ex->rows ? (char *) ex->after.data : NULL;
    values[2] = NORTH_PRIVACY_PAGE;

    return ngx_http_north_pg_stream(r, part->export, values,
                                    north_privacy_export_rows, ex);
}


static ngx_int_t
north_privacy_export_rows(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_privacy_export_t  *ex = data;

    int                             i, n;
    u_char                         *p;
    size_t                          len;
    ngx_int_t                       rc;
    u_char                          now[NGX_HTTP_NORTH_RFC3339_LEN + 1];
    ngx_uint_t                      done;
    ngx_http_north_identity_t      *id;
    ngx_http_north_privacy_part_t  *part;

    if (!ex->started) {
        /* nothing is sent yet: a failure is still a problem response */
        rc = ngx_http_north_pg_result(r, res, status, -1);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = north_privacy_export_start(r, ex);
        if (rc != NGX_OK) {
            return rc;
        }

    } else if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        /* a cut chunked stream tells the client the export is incomplete */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "north privacy: export stopped: %s",
                      ngx_http_north_pg_why(res, status));
        return NGX_ERROR;
    }

    part = north_privacy_part(ex->svc, ex->part);
    n = PQntuples(res);
    done = n < ngx_atoi((u_char *) NORTH_PRIVACY_PAGE,
                        sizeof(NORTH_PRIVACY_PAGE) - 1);

    /* the document's opening, the section's, its rows and its end */
    len = 256 + ngx_strlen(part->section);

    for (i = 0; i < n; i++) {
        len += PQgetlength(res, i, 1) + 1;
    }

    if (len > ex->size) {
        ngx_free(ex->mem);
        ex->size = ngx_max(len, 65536);
        ex->mem = ngx_alloc(ex->size, r->connection->log);
        if (ex->mem == NULL) {
            ex->size = 0;
            return NGX_ERROR;
        }
    }

    p = ex->mem;

    if (ex->svc + ex->part + ex->rows == 0) {
        id = ngx_http_north_jwt_identity(r);
        p = ngx_sprintf(p, "{\"format\":\"north.export/1\","
                           "\"generated_at\":\"%s\",\"user_id\":\"%V\","
                           "\"sections\":{",
                        ngx_http_north_rfc3339_now(now), &id->user_id);
    }

    if (ex->rows == 0) {
        p = ngx_sprintf(p, "%s\"%s\":[", ex->svc + ex->part ? "," : "",
                        part->section);
    }

    for (i = 0; i < n; i++) {
        if (ex->rows++) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, PQgetvalue(res, i, 1), PQgetlength(res, i, 1));
    }

    if (n) {
        ngx_free(ex->after.data);
        ex->after.len = PQgetlength(res, n - 1, 0);
        ex->after.data = ngx_alloc(ex->after.len + 1, r->connection->log);
        if (ex->after.data == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn(ex->after.data, (u_char *) PQgetvalue(res, n - 1, 0),
                    ex->after.len + 1);
    }

    if (!done) {
        return north_privacy_export_write(r, ex, p - ex->mem, 0);
    }

    *p++ = ']';

    if (json_array_append_new(ex->manifest,
                              json_pack("{s:s, s:s, s:I}",
                                        "section", part->section,
                                        "table", part->table,
                                        "rows", (json_int_t) ex->rows))
        != 0)
    {
        return NGX_ERROR;
    }

    ex->rows = 0;
    ex->part++;

    if (north_privacy_part(ex->svc, ex->part) == NULL) {
        ex->svc++;
        ex->part = 0;
    }

    return north_privacy_export_write(r, ex, p - ex->mem,
                                      north_privacy_part(ex->svc, ex->part)
                                      == NULL);
}


/* The header, once the first page is in hand. */

static ngx_int_t
north_privacy_export_start(ngx_http_request_t *r, north_privacy_export_t *ex)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Content-Disposition");
    ngx_str_set(&h->value, "attachment; filename=\"north-export.json\"");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = -1;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    ex->started = 1;

    /*
     * from now on the socket's write events mean only that the client took
     * data: they must not run the request's phases (and the export) again
     */
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_OK;
}


/*
 * Sends text; the next page is fetched only once the client has taken it,
 * so that a slow client never makes the export pile up in memory.
 */

static ngx_int_t
north_privacy_export_write(ngx_http_request_t *r, north_privacy_export_t *ex,
    size_t len, ngx_uint_t last)
{
    char         *manifest;
    ngx_int_t     rc;
    ngx_buf_t    *b, *m;
    ngx_chain_t   out[2];

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ex->mem;
    b->last = ex->mem + len;
    b->memory = 1;
    b->flush = 1;

    out[0].buf = b;
    out[0].next = NULL;

    if (last) {
        manifest = ngx_http_north_json_text(r->pool, ex->manifest);
        m = ngx_calloc_buf(r->pool);
        if (manifest == NULL || m == NULL) {
            return NGX_ERROR;
        }

        len = ngx_strlen(manifest);
        m->pos = ngx_pnalloc(r->pool, len + sizeof("},\"manifest\":}"));
        if (m->pos == NULL) {
            return NGX_ERROR;
        }

        m->last = ngx_sprintf(m->pos, "},\"manifest\":%*s}", len, manifest);

        m->memory = 1;
        m->last_buf = 1;
        out[0].next = &out[1];
        out[1].buf = m;
        out[1].next = NULL;
    }

    rc = ngx_http_output_filter(r, &out[0]);

    if (rc == NGX_ERROR || last) {
        return rc;
    }

    if (r->connection->buffered || r->buffered) {
        return north_privacy_export_wait(r);
    }

    return north_privacy_export_page(r, ex);
}


static ngx_int_t
north_privacy_export_wait(ngx_http_request_t *r)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    r->write_event_handler = north_privacy_export_drain;

    if (!r->connection->write->delayed) {
        ngx_add_timer(r->connection->write, clcf->send_timeout);
    }

    if (ngx_handle_write_event(r->connection->write, clcf->send_lowat)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_north_async_begin(r);

    return NGX_DONE;
}


static void
north_privacy_export_drain(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_event_t             *wev;
    north_privacy_export_t  *ex;

    wev = r->connection->write;

    if (wev->timedout) {
        r->connection->timedout = 1;
        r->write_event_handler = ngx_http_request_empty_handler;
        ngx_http_north_async_end(r, NGX_ERROR);
        return;
    }

    rc = ngx_http_output_filter(r, NULL);

    if (rc == NGX_ERROR) {
        r->write_event_handler = ngx_http_request_empty_handler;
        ngx_http_north_async_end(r, NGX_ERROR);
        return;
    }

    if (r->connection->buffered || r->buffered) {
        (void) ngx_handle_write_event(wev, 0);
        return;
    }

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    r->write_event_handler = ngx_http_request_empty_handler;
    ex = ngx_http_north_ctx(r)->service;

    ngx_http_north_async_end(r, north_privacy_export_page(r, ex));
}


static ngx_http_north_privacy_part_t *
north_privacy_part(ngx_uint_t svc, ngx_uint_t part)
{
    ngx_uint_t                      i;
    ngx_http_north_privacy_part_t  *p;

    for (i = 0; ngx_http_north_privacy_parts[i]; i++) {
        if (i == svc) {
            for (p = ngx_http_north_privacy_parts[i]; p->section; p++) {
                if (part-- == 0) {
                    return p;
                }
            }

            return NULL;
        }
    }

    return NULL;
}


static void
north_privacy_free(void *data)
{
    north_privacy_export_t  *ex = data;

    ngx_free(ex->mem);
    ngx_free(ex->after.data);
    json_decref(ex->manifest);
}


/* GET /v1/privacy/access-log?limit=&cursor= */

static ngx_int_t
north_privacy_access_log(ngx_http_request_t *r)
{
    return ngx_http_north_pg_query_page(r, &north_privacy_access_log_stmt,
                                        NORTH_PRIVACY_LIST_MAX,
                                        ngx_http_north_cursor_id, NULL);
}


/* POST and GET /v1/privacy/requests */

static ngx_int_t
north_privacy_requests(ngx_http_request_t *r)
{
    if (r->method == NGX_HTTP_POST) {
        return ngx_http_north_json_read(r, north_privacy_request_body);
    }

    return ngx_http_north_pg_query_page(r, &north_privacy_requests_stmt,
                                        NORTH_PRIVACY_LIST_MAX,
                                        ngx_http_north_cursor_uuid, NULL);
}


static ngx_int_t
north_privacy_request_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                   details;
    const char                 *values[3];
    ngx_http_north_fields_t     f;

    static const char *const  fields[] = { "kind", "details", NULL };

    values[0] = ngx_http_north_caller(r);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    values[1] = ngx_http_north_field_enum(&f, "kind", 1,
                                          north_privacy_request_kinds);
    (void) ngx_http_north_field_string(&f, "details", 0, 1, 4000, &details);
    values[2] = (char *) details.data;

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return ngx_http_north_pg_query(r, &north_privacy_request_new_stmt,
                                   values, ngx_http_north_pg_json_done,
                                   (void *) NGX_HTTP_CREATED);
}


/* GET /v1/privacy/policy and /v1/privacy/contact: public, from the config */

static ngx_int_t
north_privacy_policy(ngx_http_request_t *r)
{
    json_t                      *o;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    o = json_object();
    north_privacy_member(o, "version", &mcf->policy_version);
    north_privacy_member(o, "url", &mcf->policy_url);

    return ngx_http_north_json_send(r, NGX_HTTP_OK, o);
}


static ngx_int_t
north_privacy_contact(ngx_http_request_t *r)
{
    json_t                      *o;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    o = json_object();
    north_privacy_member(o, "privacy_officer", &mcf->privacy_officer);
    north_privacy_member(o, "email", &mcf->privacy_email);
    north_privacy_member(o, "phone", &mcf->privacy_phone);
    north_privacy_member(o, "address", &mcf->privacy_address);

    /* where a complaint goes when ours does not answer it (principle 10) */
    if (o) {
        json_object_set_new(o, "regulator",
            json_pack("{s:s, s:s}",
                      "name", "Office of the Privacy Commissioner of Canada",
                      "url", "https://www.priv.gc.ca"));
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK, o);
}


/* Sets o[name] to a configured value; an unset one is left out. */

static void
north_privacy_member(json_t *o, const char *name, ngx_str_t *value)
{
    if (o != NULL && value->len) {
        json_object_set_new(o, name, json_stringn((char *) value->data,
                                                  value->len));
    }
}


/* --- shared by the endpoints above --------------------------------------- */

/* --- the erasure job: every part's erase statement, last part first ------ */

static void
north_privacy_erase(ngx_http_north_job_t *job)
{
    ngx_int_t               svc;
    north_privacy_erase_t  *er;

    er = ngx_pcalloc(job->pool, sizeof(north_privacy_erase_t));
    if (er == NULL || job->user_id.len == 0) {
        ngx_http_north_job_done(job, er ? "the job names no user"
                                        : "out of memory");
        return;
    }

    for (svc = 0; ngx_http_north_privacy_parts[svc]; svc++) {
        /* void */
    }

    er->svc = svc;
    er->part = -1;
    job->data = er;

    north_privacy_erase_step(job);
}


static void
north_privacy_erase_step(ngx_http_north_job_t *job)
{
    north_privacy_erase_t  *er = job->data;

    const char                     *values[2];
    ngx_http_north_privacy_part_t  *part;

    static ngx_http_north_pg_stmt_t  finish =
        ngx_http_north_pg_stmt("north_privacy_erase_finish",
            "select north.erasure_finish($1, $2)", 2, 1);

    /* the part before this one, in this service or the one before */
    for ( ;; ) {
        if (er->part > 0) {
            er->part--;

        } else {
            if (--er->svc < 0) {
                break;
            }

            for (er->part = 0;
                 ngx_http_north_privacy_parts[er->svc][er->part].section;
                 er->part++)
            {
                /* void */
            }

            continue;
        }

        part = &ngx_http_north_privacy_parts[er->svc][er->part];

        if (part->erase) {
            values[0] = (char *) job->user_id.data;

            if (ngx_http_north_pg_send(job->pg, job->pool, part->erase,
                                       values, north_privacy_erase_done, job)
                != NGX_OK)
            {
                ngx_http_north_job_done(job, "the database is unavailable");
            }

            return;
        }
    }

    values[0] = (char *) job->id.data;
    values[1] = (char *) job->user_id.data;

    if (ngx_http_north_pg_send(job->pg, job->pool, &finish, values,
                               north_privacy_erase_finished, job)
        != NGX_OK)
    {
        ngx_http_north_job_done(job, "the database is unavailable");
    }
}


static void
north_privacy_erase_done(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_job_t  *job = op->data;

    if (res == NULL) {
        ngx_http_north_job_done(job, ngx_http_north_pg_status_text(status));
        return;
    }

    if (PQresultStatus(res) != PGRES_COMMAND_OK
        && PQresultStatus(res) != PGRES_TUPLES_OK)
    {
        ngx_http_north_job_done(job, PQresultErrorMessage(res));
        return;
    }

    north_privacy_erase_step(job);
}


static void
north_privacy_erase_finished(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_job_t  *job = op->data;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_http_north_job_done(job, ngx_http_north_pg_why(res, status));
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, job->log, 0,
                  "north privacy: account %V erased", &job->user_id);

    ngx_http_north_job_done(job, NULL);
}


/* --- what this service holds of a user ----------------------------------- */

static ngx_http_north_pg_stmt_t  north_privacy_export_jobs =
    ngx_http_north_pg_stmt_rows("north_privacy_export_jobs",
        "select id::text, north.json_times(to_jsonb(j))::text from north.jobs j"
        " where user_id = $1 and ($2::bigint is null or id > $2::bigint)"
        " order by j.id limit $3::int", 3, 2);

static ngx_http_north_pg_stmt_t  north_privacy_erase_jobs =
    ngx_http_north_pg_stmt("north_privacy_erase_jobs",
        "delete from north.jobs where user_id = $1"
        " and kind <> 'privacy.erase'", 1, 0);

static ngx_http_north_pg_stmt_t  north_privacy_export_erasures =
    ngx_http_north_pg_stmt_rows("north_privacy_export_erasures",
        "select user_id::text,"
        " north.json_times(to_jsonb(e))::text from north.erasures e"
        " where user_id = $1 and ($2::uuid is null or user_id > $2::uuid)"
        " order by e.user_id limit $3::int", 3, 2);

/* the audit rows are kept, whose subject is then an id nothing maps */
static ngx_http_north_pg_stmt_t  north_privacy_export_audit =
    ngx_http_north_pg_stmt_rows("north_privacy_export_audit",
        "select id::text,"
        " north.json_times(to_jsonb(a) - 'record' - 'hash' - 'prev_hash')::text"
        " from north.audit_log a"
        " where subject = $1 and ($2::bigint is null or id > $2::bigint)"
        " order by a.subject, a.id limit $3::int", 3, 2);


ngx_http_north_privacy_part_t  north_privacy_parts[] = {
    ngx_http_north_privacy_table("consents", "north.consents", "id", "bigint"),
    ngx_http_north_privacy_table("privacy_requests", "north.privacy_requests",
                                 "id", "uuid"),
    ngx_http_north_privacy_table("idempotency_keys", "north.idempotency_keys",
                                 "key", "text"),
    { "jobs", "north.jobs", &north_privacy_export_jobs,
      &north_privacy_erase_jobs },
    ngx_http_north_privacy_table("events", "north.events", "id", "bigint"),
    { "erasure", "north.erasures", &north_privacy_export_erasures, NULL },
    { "audit_log", "north.audit_log", &north_privacy_export_audit, NULL },
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_job_kind_t  north_privacy_jobs[] = {
    { ngx_string("privacy.erase"), north_privacy_erase },
    { ngx_null_string, NULL }
};


ngx_http_north_route_t  north_privacy_routes[] = {

    { ngx_string("privacy.consents"), NGX_HTTP_GET, north_privacy_consents },

    { ngx_string("privacy.consent"), NGX_HTTP_PUT, north_privacy_consent },

    { ngx_string("privacy.export"), NGX_HTTP_POST, north_privacy_export },

    { ngx_string("privacy.access_log"), NGX_HTTP_GET,
      north_privacy_access_log },

    { ngx_string("privacy.requests"), NGX_HTTP_GET|NGX_HTTP_POST,
      north_privacy_requests },

    { ngx_string("privacy.policy"), NGX_HTTP_GET, north_privacy_policy },

    { ngx_string("privacy.contact"), NGX_HTTP_GET, north_privacy_contact },

    { ngx_null_string, 0, NULL }
};
