/*
 * Sync API: the app's copy of the user's data kept current.
 *
 * GET /v1/sync hands what changed after a cursor (north.sync_feed), or the
 * whole state a page at a time (north.sync_full) with no cursor or with
 * full=1; POST /v1/sync merges offline edits (north.sync_apply) and, given
 * the client's cursor, answers with the changes after it, its own among
 * them. The change log, its clocks and its commit-safe order are SQL's
 * (sql/0023_sync.sql); here are the HTTP edges: arguments, the cursor's
 * opaque text, the edits' shape, ETag, and the page assembled around the
 * changes PostgreSQL rendered, which are not parsed again.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_check.h"
#include "sync.h"


#define NORTH_SYNC_LIMIT       500      /* changes a page by default */
#define NORTH_SYNC_LIMIT_MAX   1000
#define NORTH_SYNC_MUTATIONS   500      /* offline edits a request */
#define NORTH_SYNC_FIELDS      64       /* fields an edit */
#define NORTH_SYNC_VALUE_MAX   4096     /* bytes of a field's text */
#define NORTH_SYNC_WAIT_MAX    60       /* seconds a long poll may wait */


typedef struct {
    north_sync_cursor_t          cursor;      /* the request's */
    ngx_uint_t                   given;       /* a cursor was given */
    char                         limit[NGX_INT_T_LEN + 1];
    ngx_str_t                    outcome;     /* a push's, as SQL wrote it */
    ngx_msec_t                   deadline;    /* a long poll's, else 0 */
    void                        *waiter;      /* the long poll's */
} north_sync_ctx_t;


static ngx_int_t north_sync_handler(ngx_http_request_t *r);
static ngx_int_t north_sync_args(ngx_http_request_t *r,
    north_sync_ctx_t *ctx);
static ngx_int_t north_sync_arg_count(ngx_http_request_t *r,
    ngx_http_north_fields_t *f, const char *name, ngx_int_t max,
    const char *message, ngx_int_t *n);
static ngx_int_t north_sync_read(ngx_http_request_t *r,
    north_sync_ctx_t *ctx);
static ngx_int_t north_sync_page(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_sync_push(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_sync_mutation(ngx_http_north_fields_t *f,
    ngx_http_request_t *r, size_t i, json_t *m);
static ngx_int_t north_sync_pushed(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static void north_sync_woken(ngx_http_request_t *r, ngx_uint_t timed_out);
static ngx_int_t north_sync_etag(ngx_http_request_t *r, ngx_str_t *cursor);


static ngx_http_north_pg_stmt_t  north_sync_feed_stmt =
    ngx_http_north_pg_stmt("north_sync_feed",
        "select status, changes, has_more, xid::text, seq, pending"
        " from north.sync_feed($1, $2::xid8, $3::bigint, $4::int)", 4, 6);

static ngx_http_north_pg_stmt_t  north_sync_full_stmt =
    ngx_http_north_pg_stmt("north_sync_full",
        "select 'ok', changes, has_more, xid::text, entity, id::text"
        " from north.sync_full($1, $2, $3::uuid, $4::xid8, $5::int)", 5, 6);

static ngx_http_north_pg_stmt_t  north_sync_apply_stmt =
    ngx_http_north_pg_stmt("north_sync_apply",
        "select north.sync_apply($1, $2::jsonb)::text", 2, 1);


/* GET, POST /v1/sync */

static ngx_int_t
north_sync_handler(ngx_http_request_t *r)
{
    ngx_int_t          rc;
    north_sync_ctx_t  *ctx;

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_north_json_read(r, north_sync_push);
    }

    ctx = ngx_http_north_service(r, sizeof(north_sync_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = north_sync_args(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    return north_sync_read(r, ctx);
}


/* ?limit=, ?cursor=, ?full=1: a bad one is answered 400 */
static ngx_int_t
north_sync_args(ngx_http_request_t *r, north_sync_ctx_t *ctx)
{
    ngx_int_t                 n;
    ngx_str_t                 v;
    ngx_http_north_fields_t   f;

    if (ngx_http_north_fields_init(&f, r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) ctx->limit, "%d%Z", NORTH_SYNC_LIMIT);

    if (north_sync_arg_count(r, &f, "limit", NORTH_SYNC_LIMIT_MAX,
                             "must be between 1 and 1000", &n)
        == NGX_OK)
    {
        ngx_sprintf((u_char *) ctx->limit, "%i%Z", n);
    }

    if (ngx_http_arg(r, (u_char *) "cursor", 6, &v) == NGX_OK) {
        if (north_sync_cursor_decode(&v, &ctx->cursor) != NGX_OK) {
            ngx_http_north_fields_error(&f, "cursor",
                                        "is not a cursor this list gave");
        } else {
            ctx->given = 1;
        }
    }

    if (north_sync_arg_count(r, &f, "wait", NORTH_SYNC_WAIT_MAX,
                             "must be between 1 and 60", &n)
        == NGX_OK)
    {
        ctx->deadline = ngx_current_msec + n * 1000;
    }

    if (ngx_http_arg(r, (u_char *) "full", 4, &v) == NGX_OK) {
        if (v.len != 1 || (v.data[0] != '0' && v.data[0] != '1')) {
            ngx_http_north_fields_error(&f, "full", "must be 0 or 1");

        } else if (v.data[0] == '1' && !(ctx->given && ctx->cursor.full)) {
            /* the snapshot from its start */
            ngx_memzero(&ctx->cursor, sizeof(north_sync_cursor_t));
            ctx->cursor.full = 1;
            ctx->given = 0;
        }
    }

    if (ctx->deadline && !(ctx->given && !ctx->cursor.full)) {
        ngx_http_north_fields_error(&f, "wait",
                                    "is taken with a cursor of the feed");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    if (!ctx->given) {
        ctx->cursor.full = 1;
    }

    return NGX_OK;
}


/*
 * ?name=, a count of 1 to max: NGX_OK with *n; NGX_DECLINED when absent or
 * not one (then named in f with message)
 */
static ngx_int_t
north_sync_arg_count(ngx_http_request_t *r, ngx_http_north_fields_t *f,
    const char *name, ngx_int_t max, const char *message, ngx_int_t *n)
{
    ngx_str_t  v;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &v) != NGX_OK) {
        return NGX_DECLINED;
    }

    *n = ngx_atoi(v.data, v.len);

    if (*n < 1 || *n > max) {
        ngx_http_north_fields_error(f, name, message);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the page after ctx->cursor, answered by north_sync_page */
static ngx_int_t
north_sync_read(ngx_http_request_t *r, north_sync_ctx_t *ctx)
{
    char                    xid[NGX_INT64_LEN + 1], seq[NGX_INT64_LEN + 1];
    north_sync_cursor_t    *c;
    const char             *values[5];

    c = &ctx->cursor;

    ngx_sprintf((u_char *) xid, "%uL%Z", (uint64_t) c->xid);
    ngx_sprintf((u_char *) seq, "%L%Z", (int64_t) c->seq);

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!c->full) {
        values[1] = xid;
        values[2] = seq;
        values[3] = ctx->limit;

        return ngx_http_north_pg_query(r, &north_sync_feed_stmt, values,
                                       north_sync_page, ctx);
    }

    /* a snapshot's first page takes where the feed will go on */
    values[1] = ctx->given ? c->entity : NULL;
    values[2] = ctx->given ? c->id : NULL;
    values[3] = ctx->given ? xid : NULL;
    values[4] = ctx->limit;

    return ngx_http_north_pg_query(r, &north_sync_full_stmt, values,
                                   north_sync_page, ctx);
}


/*
 * {"changes": [...], "cursor": "...", "has_more": bool}, after a push's
 * outcome when there is one; a long poll with nothing new waits instead.
 * The feed's columns: status, changes, has_more, xid, seq, pending; the
 * snapshot's: status, changes, has_more, xid, entity, id.
 */
static ngx_int_t
north_sync_page(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    u_char               *text, *p;
    size_t                len;
    ngx_str_t             cursor;
    ngx_uint_t            more;
    const char           *changes;
    ngx_uint_t            same;
    north_sync_ctx_t     *ctx;
    north_sync_cursor_t   next;

    ctx = data;

    if (ngx_strcmp(PQgetvalue(res, 0, 0), "resync") == 0) {
        return ngx_http_north_problem(r, 410, "resync-required",
                                      "Resync required",
                                      "changes after this cursor are no "
                                      "longer kept: read everything again "
                                      "with full=1", NULL);
    }

    changes = PQgetvalue(res, 0, 1);
    more = (*PQgetvalue(res, 0, 2) == 't');

    ngx_memzero(&next, sizeof(north_sync_cursor_t));
    next.xid = ngx_atoof((u_char *) PQgetvalue(res, 0, 3),
                         PQgetlength(res, 0, 3));

    if (!ctx->cursor.full) {
        next.seq = ngx_atoof((u_char *) PQgetvalue(res, 0, 4),
                             PQgetlength(res, 0, 4));

    } else if (more) {
        /* the snapshot's next page */
        next.full = 1;
        ngx_cpystrn((u_char *) next.entity, (u_char *) PQgetvalue(res, 0, 4),
                    sizeof(next.entity));
        ngx_cpystrn((u_char *) next.id, (u_char *) PQgetvalue(res, 0, 5),
                    sizeof(next.id));
    }

    if ((off_t) next.xid == NGX_ERROR || next.seq == NGX_ERROR
        || north_sync_cursor_encode(r->pool, &next, &cursor) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    same = (!ctx->cursor.full && ctx->outcome.len == 0
            && next.xid == ctx->cursor.xid && next.seq == ctx->cursor.seq);

    if (same && ctx->deadline && ngx_current_msec < ctx->deadline) {
        return north_sync_wait(r, &ctx->waiter, ctx->deadline,
                               *PQgetvalue(res, 0, 5) == 't',
                               north_sync_woken);
    }

    /* the push's outcome, its closing brace left off, then the page */
    len = sizeof("{,\"changes\":,\"cursor\":\"\",\"has_more\":false}")
          + ctx->outcome.len + ngx_strlen(changes) + cursor.len;

    text = ngx_pnalloc(r->pool, len);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->outcome.len) {
        p = ngx_cpymem(text, ctx->outcome.data, ctx->outcome.len - 1);
        *p++ = ',';
    } else {
        p = ngx_cpymem(text, "{", 1);
    }

    p = ngx_sprintf(p, "\"changes\":%s,\"cursor\":\"%V\",\"has_more\":%s}",
                    changes, &cursor, more ? "true" : "false");

    /* nothing new since the cursor: a later read may be answered 304 */
    if (same && north_sync_etag(r, &cursor) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_json_send_text(r, NGX_HTTP_OK, text, p - text);
}


/* a long poll's end: the feed read again, or 304 when its time is up */
static void
north_sync_woken(ngx_http_request_t *r, ngx_uint_t timed_out)
{
    ngx_int_t          rc;
    ngx_str_t          cursor;
    north_sync_ctx_t  *ctx;

    ctx = ngx_http_north_service(r, sizeof(north_sync_ctx_t));

    if (!timed_out) {
        ngx_http_north_async_end(r, north_sync_read(r, ctx));
        return;
    }

    if (north_sync_cursor_encode(r->pool, &ctx->cursor, &cursor) != NGX_OK
        || north_sync_etag(r, &cursor) != NGX_OK)
    {
        ngx_http_north_async_end(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->headers_out.status = NGX_HTTP_NOT_MODIFIED;
    r->headers_out.content_length_n = -1;
    r->header_only = 1;

    rc = ngx_http_send_header(r);

    ngx_http_north_async_end(r, rc == NGX_ERROR || rc > NGX_OK
                                ? rc : NGX_OK);
}


/* ETag: "cursor", for an answer with nothing new after cursor */
static ngx_int_t
north_sync_etag(ngx_http_request_t *r, ngx_str_t *cursor)
{
    ngx_str_t  value;

    value.len = cursor->len + 2;
    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(value.data, "\"%V\"", cursor);

    r->headers_out.etag = ngx_http_north_header_out(r, "ETag", &value);

    return r->headers_out.etag ? NGX_OK : NGX_ERROR;
}


/* POST /v1/sync: {"mutations": [...], "cursor"?} */

static ngx_int_t
north_sync_push(ngx_http_request_t *r, json_t *body)
{
    size_t                    i;
    json_t                   *mutations, *v;
    ngx_str_t                 text;
    const char               *values[2];
    north_sync_ctx_t         *ctx;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = { "mutations", "cursor", NULL };

    ctx = ngx_http_north_service(r, sizeof(north_sync_ctx_t));

    if (ctx == NULL || ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    ngx_sprintf((u_char *) ctx->limit, "%d%Z", NORTH_SYNC_LIMIT);

    mutations = json_object_get(body, "mutations");

    if (!json_is_array(mutations)) {
        ngx_http_north_fields_error(&f, "mutations",
                                    mutations == NULL ? "is required"
                                                      : "must be an array");

    } else if (json_array_size(mutations) < 1
               || json_array_size(mutations) > NORTH_SYNC_MUTATIONS)
    {
        ngx_http_north_fields_error(&f, "mutations",
                                    "must hold 1 to 500 edits");
    } else {
        json_array_foreach(mutations, i, v) {
            if (north_sync_mutation(&f, r, i, v) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    v = json_object_get(body, "cursor");

    if (v != NULL && !json_is_null(v)) {
        text.data = (u_char *) json_string_value(v);
        text.len = json_string_length(v);

        if (text.data == NULL
            || north_sync_cursor_decode(&text, &ctx->cursor) != NGX_OK
            || ctx->cursor.full)
        {
            ngx_http_north_fields_error(&f, "cursor",
                                        "is not a cursor this list gave");
        } else {
            ctx->given = 1;
        }
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[0] = ngx_http_north_caller(r);
    values[1] = ngx_http_north_json_text(r->pool, mutations);

    if (values[0] == NULL || values[1] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_sync_apply_stmt, values,
                                   north_sync_pushed, ctx);
}


/*
 * One edit's shape (what it may write is SQL's to say): errors are named
 * "mutations[i].member". Its clock is rewritten in the spelling that
 * compares in order.
 */
static ngx_int_t
north_sync_mutation(ngx_http_north_fields_t *f, ngx_http_request_t *r,
    size_t i, json_t *m)
{
    char                      name[64], hlc[NORTH_SYNC_HLC_LEN + 1];
    size_t                    k;
    json_t                   *v, *e;
    ngx_str_t                 s;
    const char               *key, *op;
    json_int_t                n;
    ngx_http_north_fields_t   g;

    static const char *const  members[] = {
        "client_mutation_id", "entity", "id", "base_version", "hlc", "op",
        "fields", NULL
    };

    static const char *const  ops[] = { "upsert", "delete", NULL };

    if (!json_is_object(m)) {
        ngx_snprintf((u_char *) name, sizeof(name), "mutations[%uz]%Z", i);
        ngx_http_north_fields_error(f, name, "must be an object");
        return NGX_OK;
    }

    if (ngx_http_north_fields_init(&g, r, m) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_north_fields_only(&g, members);

    if (ngx_http_north_field_string(&g, "client_mutation_id", 1, 1, 64, &s)
        == NGX_OK && !north_check_request_id(s.data, s.len))
    {
        ngx_http_north_fields_error(&g, "client_mutation_id",
                                    "must be 1 to 64 of A-Z a-z 0-9 . _ : -");
    }

    if (ngx_http_north_field_string(&g, "entity", 1, 1, 32, &s) == NGX_OK) {
        for (k = 0; k < s.len; k++) {
            if ((s.data[k] < 'a' || s.data[k] > 'z') && s.data[k] != '_') {
                ngx_http_north_fields_error(&g, "entity",
                                            "is not an entity the app syncs");
                break;
            }
        }
    }

    (void) ngx_http_north_field_uuid(&g, "id", 1);
    (void) ngx_http_north_field_integer(&g, "base_version", 0, 0,
                                        NGX_MAX_INT_T_VALUE, &n);
    op = ngx_http_north_field_enum(&g, "op", 0, ops);

    if (ngx_http_north_field_string(&g, "hlc", 1, NORTH_SYNC_HLC_LEN,
                                    NORTH_SYNC_HLC_LEN, &s) == NGX_OK)
    {
        if (north_sync_hlc_normalise((char *) s.data, s.len, hlc) != 0) {
            ngx_http_north_fields_error(&g, "hlc",
                                        "must be a clock like "
                                        "2026-11-30T14:05:09.123Z-0000-"
                                        "0123456789abcdef");
        } else if (json_object_set_new(m, "hlc", json_string(hlc)) != 0) {
            return NGX_ERROR;
        }
    }

    v = json_object_get(m, "fields");

    if (v == NULL && (op == NULL || ngx_strcmp(op, "delete") != 0)) {
        ngx_http_north_fields_error(&g, "fields", "is required");

    } else if (v != NULL && !json_is_object(v)) {
        ngx_http_north_fields_error(&g, "fields", "must be an object");

    } else if (json_object_size(v) > NORTH_SYNC_FIELDS) {
        ngx_http_north_fields_error(&g, "fields",
                                    "must hold at most 64 fields");
    } else {
        json_object_foreach(v, key, e) {
            if (json_is_object(e) || json_is_array(e)
                || (json_is_string(e)
                    && json_string_length(e) > NORTH_SYNC_VALUE_MAX))
            {
                ngx_http_north_fields_error(&g, "fields",
                                            "each must be a string of at "
                                            "most 4096 bytes, a number, "
                                            "true, false or null");
                break;
            }
        }
    }

    /* the edit's errors, named within the request */
    json_array_foreach(g.errors, k, e) {
        ngx_snprintf((u_char *) name, sizeof(name), "mutations[%uz].%s%Z", i,
                     json_string_value(json_object_get(e, "field")));
        json_object_set_new(e, "field", json_string(name));
        json_array_append(f->errors, e);
    }

    return NGX_OK;
}


/* the outcome kept; the page after the client's cursor follows it */
static ngx_int_t
north_sync_pushed(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    u_char            *text, *p;
    north_sync_ctx_t  *ctx;

    ctx = data;

    if (ngx_http_north_pg_copy(r, res, 0, &ctx->outcome) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->given) {
        return north_sync_read(r, ctx);
    }

    /* no cursor to go on from: the outcome alone */
    text = ngx_pnalloc(r->pool, ctx->outcome.len + sizeof(",\"cursor\":null"));
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(text, ctx->outcome.data, ctx->outcome.len - 1);
    p = ngx_cpymem(p, ",\"cursor\":null}", sizeof(",\"cursor\":null}") - 1);

    return ngx_http_north_json_send_text(r, NGX_HTTP_OK, text, p - text);
}


/* the cursor's opaque text: base64url of north_sync_cursor_format's */
ngx_int_t
north_sync_cursor_decode(ngx_str_t *text, north_sync_cursor_t *c)
{
    u_char     buf[ngx_base64_decoded_length(
                   ngx_base64_encoded_length(NORTH_SYNC_CURSOR_LEN))];
    ngx_str_t  plain;

    if (text->len == 0 || text->len > ngx_base64_encoded_length(
                                          NORTH_SYNC_CURSOR_LEN))
    {
        return NGX_DECLINED;
    }

    plain.data = buf;

    if (ngx_decode_base64url(&plain, text) != NGX_OK
        || north_sync_cursor_parse((char *) plain.data, plain.len, c) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
north_sync_cursor_encode(ngx_pool_t *pool, north_sync_cursor_t *c,
    ngx_str_t *text)
{
    char       buf[NORTH_SYNC_CURSOR_LEN + 1];
    ngx_str_t  plain;

    plain.data = (u_char *) buf;
    plain.len = north_sync_cursor_format(c, buf);

    text->data = ngx_pnalloc(pool, ngx_base64_encoded_length(plain.len));
    if (plain.len == 0 || text->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64url(text, &plain);

    return NGX_OK;
}


/* what the user holds here, for the export and the erasure */

/* keyed by entity and id: "goal/uuid" */
static ngx_http_north_pg_stmt_t  north_sync_export_changes =
    ngx_http_north_pg_stmt_rows("north_sync_export_changes",
        "select c.entity || '/' || c.id,"
        " north.json_times(to_jsonb(c) - 'xid' - 'seq')::text"
        " from north.sync_changes c"
        " where c.user_id = $1 and ($2::text is null"
        "   or (c.entity, c.id) > (split_part($2, '/', 1),"
        "                          split_part($2, '/', 2)::uuid))"
        " order by c.entity, c.id limit $3::int", 3, 2);

static ngx_http_north_pg_stmt_t  north_sync_erase_changes =
    ngx_http_north_pg_stmt("north_sync_erase_changes",
        "delete from north.sync_changes where user_id = $1", 1, 0);


ngx_http_north_privacy_part_t  north_sync_privacy[] = {
    { "sync_changes", "north.sync_changes",
      &north_sync_export_changes, &north_sync_erase_changes },
    ngx_http_north_privacy_table("sync_mutations", "north.sync_mutations",
                                 "client_mutation_id", "text"),
    ngx_http_north_privacy_table("sync_pruned", "north.sync_pruned",
                                 "user_id", "uuid"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_sync_routes[] = {

    { ngx_string("sync.feed"), NGX_HTTP_GET|NGX_HTTP_POST,
      north_sync_handler },

    { ngx_null_string, 0, NULL }
};
