/*
 * Banking API through Plaid: Link tokens, linking and unlinking items,
 * their health, syncs on demand, verified webhooks, accounts and
 * transactions with the user's own edits. The sync itself runs as a job
 * (plaid_sync.c).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_cache.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "ngx_north_audit.h"
#include "ngx_north_crypto.h"
#include "north_check.h"
#include "north_category.h"
#include "north_plaid_webhook.h"
#include "plaid_client.h"


#define NORTH_PLAID_LIST_MAX  500


/* A request's state across its continuations. */
typedef struct {
    const char                  *public_token;
    const char                  *institution_id;
    ngx_str_t                    access_token;
    ngx_str_t                    plaid_item_id;
    ngx_str_t                    kid;
    char                        *key_x;         /* its key, as fetched */
    char                        *key_y;
    ngx_str_t                    verification;  /* Plaid-Verification */
    json_t                      *body;          /* a webhook's */
} north_plaid_ctx_t;


static ngx_int_t north_plaid_link_token_state(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_link_token_done(ngx_http_request_t *r,
    north_plaid_call_t *call);
static ngx_int_t north_plaid_link_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_plaid_link_consent(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_link_exchanged(ngx_http_request_t *r,
    north_plaid_call_t *call);
static ngx_int_t north_plaid_link_accounts(ngx_http_request_t *r,
    north_plaid_call_t *call);
static ngx_int_t north_plaid_link_stored(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_item_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_sync_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_transactions_args(ngx_http_request_t *r,
    const char **values);
static ngx_int_t north_plaid_tx_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_plaid_tx_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_webhook_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_plaid_webhook_key(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_webhook_fetched(ngx_http_request_t *r,
    north_plaid_call_t *call);
static ngx_int_t north_plaid_webhook_stored(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_webhook_check(ngx_http_request_t *r,
    north_plaid_ctx_t *ctx, const char *x, const char *y);
static ngx_int_t north_plaid_webhook_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_plaid_upstream(ngx_http_request_t *r,
    north_plaid_call_t *call);
static ngx_int_t north_plaid_consent_problem(ngx_http_request_t *r);
static ngx_int_t north_plaid_login_problem(ngx_http_request_t *r);
static ngx_int_t north_plaid_linked_problem(ngx_http_request_t *r);
static ngx_int_t north_plaid_item_query(ngx_http_request_t *r,
    ngx_uint_t from_end, ngx_http_north_pg_stmt_t *stmt,
    ngx_http_north_pg_done_pt done);
static ngx_int_t north_plaid_not_found(ngx_http_request_t *r,
    const char *what);
static north_plaid_ctx_t *north_plaid_ctx(ngx_http_request_t *r);


static ngx_http_north_pg_stmt_t  north_plaid_link_state_stmt =
    ngx_http_north_pg_stmt("north_plaid_link_state",
        "select north.consent_granted(u.id, 'bank_data'), u.locale,"
        " i.access_token, i.token_key_id, i.plaid_item_id,"
        " $2::uuid is null or i.id is not null"
        " from north.users u"
        " left join north.plaid_items i on i.id = $2::uuid"
        "                              and i.user_id = u.id"
        " where u.id = $1", 2, 6);

static ngx_http_north_pg_stmt_t  north_plaid_consent_stmt =
    ngx_http_north_pg_stmt("north_plaid_consent",
        "select north.consent_granted($1, 'bank_data'),"
        " exists (select 1 from north.plaid_items"
        "         where user_id = $1 and institution_id = $2)", 2, 2);

static ngx_http_north_pg_stmt_t  north_plaid_link_stmt =
    ngx_http_north_pg_stmt("north_plaid_link",
        "select status, item_id from north.plaid_link($1, $2, $3, $4, $5,"
        " $6::jsonb)", 6, 2);

static ngx_http_north_pg_stmt_t  north_plaid_item_stmt =
    ngx_http_north_pg_stmt("north_plaid_item",
        "select json_build_object("
        " 'item', json_build_object('id', i.id,"
        "   'institution_id', i.institution_id, 'health', i.health,"
        "   'created_at', north.rfc3339(i.created_at)),"
        " 'accounts', coalesce((select json_agg(json_build_object("
        "     'id', a.id, 'name', a.name, 'official_name', a.official_name,"
        "     'type', a.type, 'subtype', a.subtype, 'mask', a.mask,"
        "     'currency', a.currency, 'balance_cents', a.balance_cents,"
        "     'available_cents', a.available_cents,"
        "     'limit_cents', a.limit_cents) order by a.name)"
        "   from north.accounts a where a.item_id = i.id), '[]'))"
        " from north.plaid_items i where i.id = $1", 1, 1);

static ngx_http_north_pg_stmt_t  north_plaid_items_stmt =
    ngx_http_north_pg_stmt("north_plaid_items",
        "select json_build_object('items', coalesce(json_agg("
        " json_build_object('id', i.id, 'institution_id', i.institution_id,"
        "  'health', i.health, 'health_detail', i.health_detail,"
        "  'syncing', north.plaid_syncing(i.sync_job),"
        "  'last_synced_at', north.rfc3339(i.last_synced_at),"
        "  'created_at', north.rfc3339(i.created_at),"
        "  'accounts', (select count(*) from north.accounts a"
        "               where a.item_id = i.id))"
        " order by i.created_at), '[]'))"
        " from north.plaid_items i where i.user_id = $1", 1, 1);

static ngx_http_north_pg_stmt_t  north_plaid_unlink_stmt =
    ngx_http_north_pg_stmt_rows("north_plaid_unlink",
        "select * from north.plaid_unlink($1, $2::uuid)", 2, 1);

static ngx_http_north_pg_stmt_t  north_plaid_sync_stmt =
    ngx_http_north_pg_stmt_rows("north_plaid_sync",
        "select i.health, case when i.health <> 'login_required'"
        "                      then north.plaid_sync_queue(i.id)::text end"
        " from north.plaid_items i where i.id = $2::uuid and i.user_id = $1",
        2, 2);

static ngx_http_north_pg_stmt_t  north_plaid_accounts_stmt =
    ngx_http_north_pg_stmt("north_plaid_accounts",
        "select json_build_object('accounts', coalesce(json_agg("
        " json_build_object('id', a.id, 'item_id', a.item_id,"
        "  'institution_id', i.institution_id, 'name', a.name,"
        "  'official_name', a.official_name, 'type', a.type,"
        "  'subtype', a.subtype, 'mask', a.mask, 'currency', a.currency,"
        "  'balance_cents', a.balance_cents,"
        "  'available_cents', a.available_cents,"
        "  'limit_cents', a.limit_cents,"
        "  'balance_updated_at', north.rfc3339(a.balance_updated_at))"
        " order by i.institution_id, a.type, a.name), '[]'))"
        " from north.accounts a"
        " left join north.plaid_items i on i.id = a.item_id"
        " where a.user_id = $1", 1, 1);

static ngx_http_north_pg_stmt_t  north_plaid_transactions_stmt =
    ngx_http_north_pg_stmt("north_plaid_transactions",
        "with page as ("
        "  select t.date, t.id, north.transaction_json(t) j,"
        "   row_number() over (order by t.date desc, t.id desc) n"
        "  from north.transactions t"
        "  where t.user_id = $1"
        "    and ($2::date is null or t.date >= $2::date)"
        "    and ($3::date is null or t.date <= $3::date)"
        "    and ($4::uuid is null or t.account_id = $4::uuid)"
        "    and ($5::text is null or t.category = $5)"
        "    and ($6::text is null or (coalesce(t.merchant_name, '') || ' '"
        "         || t.name) ilike '%' || $6 || '%')"
        "    and ($7::boolean or not t.hidden)"
        "    and ($8::date is null or (t.date, t.id) < ($8::date, $9::uuid))"
        "  order by t.date desc, t.id desc limit $10::int + 1)"
        " select json_build_object("
        "  'transactions', coalesce(json_agg(t.j order by t.n)"
        "   filter (where t.n <= $10::int), '[]'),"
        "  'next_cursor', (max(t.date::text || '_' || t.id::text)"
        "                  filter (where t.n = $10::int))"
        "                 || case when count(*) > $10::int then '' end)"
        " from page t", 10, 1);

static ngx_http_north_pg_stmt_t  north_plaid_tx_update_stmt =
    ngx_http_north_pg_stmt("north_plaid_tx_update",
        "select status, body::text"
        " from north.transaction_edit($1, $2::uuid, $3::jsonb, $4)", 4, 2);

static ngx_http_north_pg_stmt_t  north_plaid_key_stmt =
    ngx_http_north_pg_stmt("north_plaid_key",
        "select x, y, expired, ask_plaid"
        " from north.plaid_webhook_key($1)", 1, 4);

static ngx_http_north_pg_stmt_t  north_plaid_key_store_stmt =
    ngx_http_north_pg_stmt_raw("north_plaid_key_store",
        "insert into north.plaid_webhook_keys (kid, x, y, expired_at)"
        " values ($1, $2, $3, to_timestamp($4::bigint))"
        " on conflict (kid) do update set x = excluded.x, y = excluded.y,"
        " expired_at = excluded.expired_at, fetched_at = now()", 4, 0);

static ngx_http_north_pg_stmt_t  north_plaid_webhook_stmt =
    ngx_http_north_pg_stmt_rows("north_plaid_webhook",
        "select user_id from north.plaid_webhook($1, $2, $3, $4)", 4, 1);


/* POST /v1/plaid/link-token: {"item_id"?} for update mode */

static ngx_int_t
north_plaid_link_token(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_plaid_link_body);
}


static ngx_int_t
north_plaid_link_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                   text;
    const char                 *values[2];
    north_plaid_ctx_t          *ctx;
    ngx_http_north_fields_t     f;

    static const char *const  link_token_fields[] = { "item_id", NULL };
    static const char *const  item_fields[] = {
        "public_token", "institution_id", NULL
    };

    values[0] = ngx_http_north_caller(r);
    ctx = north_plaid_ctx(r);

    if (values[0] == NULL || ctx == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the two endpoints share their first steps */
    if (ngx_strncmp(r->uri.data + r->uri.len - 10, "link-token", 10) == 0) {
        ngx_http_north_fields_only(&f, link_token_fields);
        values[1] = ngx_http_north_field_uuid(&f, "item_id", 0);

        if (ngx_http_north_fields_failed(&f)) {
            return ngx_http_north_fields_problem(r, &f);
        }

        return ngx_http_north_pg_query(r, &north_plaid_link_state_stmt,
                                       values, north_plaid_link_token_state,
                                       NULL);
    }

    ngx_http_north_fields_only(&f, item_fields);
    (void) ngx_http_north_field_string(&f, "public_token", 1, 1, 256, &text);
    ctx->public_token = (char *) text.data;
    (void) ngx_http_north_field_string(&f, "institution_id", 0, 1, 64, &text);
    ctx->institution_id = (char *) text.data;

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[1] = ctx->institution_id ? ctx->institution_id : "";

    return ngx_http_north_pg_query(r, &north_plaid_consent_stmt, values,
                                   north_plaid_link_consent, ctx);
}


static ngx_int_t
north_plaid_link_token_state(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    json_t                      *body;
    ngx_str_t                    sealed, key_id, aad, token;
    north_plaid_conf_t          *pcf;
    ngx_http_north_identity_t   *id;
    ngx_http_north_main_conf_t  *mcf;

    if (PQgetvalue(res, 0, 0)[0] != 't') {
        return north_plaid_consent_problem(r);
    }

    if (PQgetvalue(res, 0, 5)[0] != 't') {
        return north_plaid_not_found(r, "no such item");
    }

    id = ngx_http_north_jwt_identity(r);
    pcf = north_plaid_conf((ngx_cycle_t *) ngx_cycle);

    body = json_pack("{s:s%, s:s, s:[s], s:{s:s%}}",
                     "client_name", pcf->client_name.data,
                     pcf->client_name.len,
                     "language",
                     ngx_strcmp(PQgetvalue(res, 0, 1), "fr-CA") == 0
                     ? "fr" : "en",
                     "country_codes", "CA",
                     "user", "client_user_id", id->user_id.data,
                     id->user_id.len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (pcf->webhook.len) {
        json_object_set_new(body, "webhook",
                            json_stringn((char *) pcf->webhook.data,
                                         pcf->webhook.len));
    }

    if (PQgetisnull(res, 0, 2)) {
        json_object_set_new(body, "products", json_pack("[s]",
                                                        "transactions"));
        json_object_set_new(body, "transactions",
                            json_pack("{s:i}", "days_requested", 730));

    } else {
        /* update mode: the item's own access token, no products */
        mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);
        sealed.data = (u_char *) PQgetvalue(res, 0, 2);
        sealed.len = PQgetlength(res, 0, 2);
        key_id.data = (u_char *) PQgetvalue(res, 0, 3);
        key_id.len = PQgetlength(res, 0, 3);
        aad.data = (u_char *) PQgetvalue(res, 0, 4);
        aad.len = PQgetlength(res, 0, 4);

        if (ngx_http_north_open(mcf, r->pool, &sealed, &key_id, &aad, &token)
            != NGX_OK)
        {
            json_decref(body);
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "north plaid: the access token of item %s does "
                          "not open", aad.data);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        json_object_set_new(body, "access_token",
                            json_stringn((char *) token.data, token.len));
        ngx_explicit_memzero(token.data, token.len);
    }

    return north_plaid_request(r, "/link/token/create", body,
                               north_plaid_link_token_done);
}


static ngx_int_t
north_plaid_link_token_done(ngx_http_request_t *r, north_plaid_call_t *call)
{
    if (call->error_code) {
        return north_plaid_upstream(r, call);
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK,
               json_pack("{s:O, s:O}",
                         "link_token", json_object_get(call->json,
                                                       "link_token"),
                         "expiration", json_object_get(call->json,
                                                       "expiration")));
}


/* POST /v1/plaid/items: {"public_token", "institution_id"?} */

static ngx_int_t
north_plaid_link_consent(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_plaid_ctx_t  *ctx = data;

    if (PQgetvalue(res, 0, 0)[0] != 't') {
        return north_plaid_consent_problem(r);
    }

    /* known before the exchange: no second item is made at Plaid */
    if (PQgetvalue(res, 0, 1)[0] == 't') {
        return north_plaid_linked_problem(r);
    }

    return north_plaid_request(r, "/item/public_token/exchange",
                               json_pack("{s:s}", "public_token",
                                         ctx->public_token),
                               north_plaid_link_exchanged);
}


static ngx_int_t
north_plaid_link_exchanged(ngx_http_request_t *r, north_plaid_call_t *call)
{
    json_t             *token, *item;
    north_plaid_ctx_t  *ctx;

    if (north_plaid_error_is(call, "INVALID_PUBLIC_TOKEN")) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid-public-token",
                                      "Invalid public token",
                                      "the public token is unknown, used or "
                                      "expired: link again", NULL);
    }

    if (call->error_code) {
        return north_plaid_upstream(r, call);
    }

    ctx = north_plaid_ctx(r);
    token = json_object_get(call->json, "access_token");
    item = json_object_get(call->json, "item_id");

    if (!json_is_string(token) || !json_is_string(item)) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_GATEWAY, "plaid-error",
                                      "Bank link failed",
                                      "Plaid's answer was not understood",
                                      NULL);
    }

    ctx->access_token.len = json_string_length(token);
    ctx->access_token.data = (u_char *) json_string_value(token);
    ctx->plaid_item_id.len = json_string_length(item);
    ctx->plaid_item_id.data = (u_char *) json_string_value(item);

    /* the answer lives in r's pool until the request ends */
    return north_plaid_request(r, "/accounts/get",
                               json_pack("{s:s%}", "access_token",
                                         ctx->access_token.data,
                                         ctx->access_token.len),
                               north_plaid_link_accounts);
}


static ngx_int_t
north_plaid_link_accounts(ngx_http_request_t *r, north_plaid_call_t *call)
{
    char                        *accounts;
    ngx_str_t                    sealed, key_id;
    const char                  *values[6], *institution;
    north_plaid_ctx_t           *ctx;
    ngx_http_north_main_conf_t  *mcf;

    if (call->error_code) {
        return north_plaid_upstream(r, call);
    }

    ctx = north_plaid_ctx(r);
    values[0] = ngx_http_north_caller(r);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    institution = json_string_value(json_object_get(
                      json_object_get(call->json, "item"), "institution_id"));

    if (ngx_http_north_seal(mcf, r->pool, &ctx->access_token,
                            &ctx->plaid_item_id, &sealed, &key_id)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north plaid: an access token could not be sealed "
                      "(is north_data_key set?)");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    accounts = ngx_http_north_json_text(r->pool,
                                        json_object_get(call->json,
                                                        "accounts"));
    if (accounts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    values[1] = ngx_http_north_strdup(r->pool, &ctx->plaid_item_id);
    values[2] = institution ? institution
                : ctx->institution_id ? ctx->institution_id : "unknown";
    values[3] = (char *) sealed.data;
    values[4] = ngx_http_north_strdup(r->pool, &key_id);
    values[5] = accounts;

    return ngx_http_north_pg_query(r, &north_plaid_link_stmt, values,
                                   north_plaid_link_stored, ctx);
}


static ngx_int_t
north_plaid_link_stored(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    const char  *values[1];

    if (ngx_strcmp(PQgetvalue(res, 0, 0), "duplicate") == 0) {
        return north_plaid_linked_problem(r);
    }

    /* its first sync, or the removal of a duplicate, starts now */
    ngx_http_north_jobs_wake();

    values[0] = PQgetvalue(res, 0, 1);

    return ngx_http_north_pg_query(r, &north_plaid_item_stmt, values,
                                   ngx_http_north_pg_json_done,
                                   (void *) NGX_HTTP_CREATED);
}


/* GET /v1/plaid/items */

static ngx_int_t
north_plaid_items(ngx_http_request_t *r)
{
    const char                 *values[1];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_north_json_read(r, north_plaid_link_body);
    }

    return ngx_http_north_pg_query(r, &north_plaid_items_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/* DELETE /v1/plaid/items/{id}: gone here at once, at Plaid by a job */

static ngx_int_t
north_plaid_item(ngx_http_request_t *r)
{
    return north_plaid_item_query(r, 0, &north_plaid_unlink_stmt,
                                  north_plaid_item_done);
}


static ngx_int_t
north_plaid_item_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return north_plaid_not_found(r, "no such item");
    }

    ngx_http_north_jobs_wake();

    /* its accounts went with it: the user's cached net worth is stale */
    return ngx_http_north_cache_send(r,
                                     &ngx_http_north_jwt_identity(r)->user_id,
                                     NGX_HTTP_NO_CONTENT, NULL, 0);
}


/* POST /v1/plaid/items/{id}/sync */

static ngx_int_t
north_plaid_sync(ngx_http_request_t *r)
{
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return north_plaid_item_query(r, 1, &north_plaid_sync_stmt,
                                  north_plaid_sync_done);
}


static ngx_int_t
north_plaid_sync_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return north_plaid_not_found(r, "no such item");
    }

    if (ngx_strcmp(PQgetvalue(res, 0, 0), "login_required") == 0) {
        return north_plaid_login_problem(r);
    }

    ngx_http_north_jobs_wake();

    return ngx_http_north_json_send(r, NGX_HTTP_ACCEPTED,
                                    json_pack("{s:s}", "status", "queued"));
}


/* GET /v1/accounts */

static ngx_int_t
north_plaid_accounts(ngx_http_request_t *r)
{
    const char                 *values[1];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_plaid_accounts_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/*
 * GET /v1/transactions?from=&to=&account_id=&category=&q=&include_hidden=
 * &limit=&cursor=
 */

static ngx_int_t
north_plaid_transactions(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    const char                 *values[10];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    rc = north_plaid_transactions_args(r, values);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_north_pg_query(r, &north_plaid_transactions_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


static ngx_int_t
north_plaid_transactions_args(ngx_http_request_t *r, const char **values)
{
    int64_t                  day;
    ngx_int_t                n, rc;
    ngx_str_t                v, arg;
    ngx_uint_t               i;
    ngx_http_north_fields_t  f;

    static struct {
        const char  *name;
        ngx_uint_t   index;
        ngx_uint_t   kind;      /* 0 date, 1 uuid, 2 text, 3 flag */
    } args[] = {
        { "from", 1, 0 }, { "to", 2, 0 }, { "account_id", 3, 1 },
        { "category", 4, 2 }, { "q", 5, 2 }, { "include_hidden", 6, 3 },
    };

    if (ngx_http_north_fields_init(&f, r, NULL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 1; i < 10; i++) {
        values[i] = NULL;
    }

    values[6] = "false";
    values[9] = "100";

    for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        rc = ngx_http_north_arg(r, args[i].name, &v);

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        switch (args[i].kind) {

        case 0:
            /* a day of the calendar: 2026-02-30 is none */
            if (v.len != 10 || north_date_parse((char *) v.data, &day) != 0) {
                ngx_http_north_fields_error(&f, args[i].name,
                                            "must be a date (YYYY-MM-DD)");
                continue;
            }
            break;

        case 1:
            if (!north_check_uuid(v.data, v.len)) {
                ngx_http_north_fields_error(&f, args[i].name,
                                            "must be a UUID");
                continue;
            }
            break;

        case 2:
            if (v.len == 0 || v.len > 100
                || north_utf8_length(v.data, v.len) < 0)
            {
                ngx_http_north_fields_error(&f, args[i].name,
                                            "must be 1 to 100 characters");
                continue;
            }
            break;

        default:
            if (!(v.len == 4 && ngx_strncmp(v.data, "true", 4) == 0)
                && !(v.len == 5 && ngx_strncmp(v.data, "false", 5) == 0))
            {
                ngx_http_north_fields_error(&f, args[i].name,
                                            "must be true or false");
                continue;
            }
        }

        values[args[i].index] = (char *) v.data;
    }

    if (ngx_http_arg(r, (u_char *) "limit", 5, &v) == NGX_OK) {
        n = ngx_atoi(v.data, v.len);

        if (n < 1 || n > NORTH_PLAID_LIST_MAX) {
            ngx_http_north_fields_error(&f, "limit",
                                        "must be between 1 and 500");
        } else {
            values[9] = ngx_http_north_strdup(r->pool, &v);
        }
    }

    /* the cursor is the last row's date and id: DATE_UUID */
    if (ngx_http_arg(r, (u_char *) "cursor", 6, &v) == NGX_OK) {
        arg.data = v.data;
        arg.len = 10;
        values[7] = v.len == 10 + 1 + 36
                    ? ngx_http_north_strdup(r->pool, &arg) : NULL;

        if (v.len != 10 + 1 + 36 || v.data[10] != '_'
            || !north_check_uuid(v.data + 11, 36)
            || values[7] == NULL || north_date_parse(values[7], &day) != 0)
        {
            ngx_http_north_fields_error(&f, "cursor",
                                        "is not a cursor this list gave");
        } else {
            arg.data = v.data + 11;
            arg.len = 36;
            values[8] = ngx_http_north_strdup(r->pool, &arg);
        }
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return NGX_OK;
}


/* PATCH /v1/transactions/{id}: {"category"?, "notes"?, "hidden"?} */

static ngx_int_t
north_plaid_transaction(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_plaid_tx_body);
}


static ngx_int_t
north_plaid_tx_body(ngx_http_request_t *r, json_t *body)
{
    char                       *changes;
    json_t                     *v, *similar;
    ngx_str_t                   tx;
    ngx_str_t                   category;
    const char                 *values[4];
    ngx_http_north_fields_t     f;

    static const char *const  fields[] = {
        "category", "notes", "hidden", "apply_to_similar", NULL
    };

    values[0] = ngx_http_north_caller(r);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_string(&f, "notes", 0, 0, 1000, NULL);

    /* a category of the tree, or null to give it back to the rules */
    v = json_object_get(body, "category");
    ngx_str_null(&category);

    if (v != NULL && !json_is_null(v)
        && ngx_http_north_field_string(&f, "category", 0, 1, 64, &category)
           == NGX_OK)
    {
        if (north_category_find((char *) category.data) == NULL) {
            ngx_http_north_fields_error(&f, "category",
                                        "is not a category (GET "
                                        "/v1/categories lists them)");
        }
    }

    v = json_object_get(body, "hidden");
    if (v != NULL && !json_is_boolean(v)) {
        ngx_http_north_fields_error(&f, "hidden", "must be true or false");
    }

    similar = json_object_get(body, "apply_to_similar");

    if (similar != NULL && !json_is_boolean(similar)) {
        ngx_http_north_fields_error(&f, "apply_to_similar",
                                    "must be true or false");

    } else if (json_is_true(similar) && category.data == NULL) {
        ngx_http_north_fields_error(&f, "apply_to_similar",
                                    "needs a category");
    }

    if (json_object_size(body) == 0) {
        ngx_http_north_fields_error(&f, "category",
                                    "category, notes or hidden is required");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    if (ngx_http_north_path_uuid(r, 0, &tx) != NGX_OK) {
        return north_plaid_not_found(r, "no such transaction");
    }

    changes = ngx_http_north_json_text(r->pool, body);
    if (changes == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    values[1] = ngx_http_north_strdup(r->pool, &tx);
    values[2] = changes;
    values[3] = json_is_true(similar) ? "true" : "false";

    return ngx_http_north_pg_query(r, &north_plaid_tx_update_stmt, values,
                                   north_plaid_tx_done, NULL);
}


static ngx_int_t
north_plaid_tx_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    const char  *st;

    st = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(st, "not_found") == 0) {
        return north_plaid_not_found(r, "no such transaction");
    }

    if (ngx_strcmp(st, "no_pattern") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NORTH_UNPROCESSABLE,
                                      "no-similar-pattern",
                                      "Nothing to match similar ones by",
                                      "the transaction's description has "
                                      "no word without digits to make a "
                                      "rule of", NULL);
    }

    /* its domain event is handed on now, not at the next tick */
    ngx_http_north_jobs_wake();

    return ngx_http_north_pg_json(r, NGX_HTTP_OK, res, 1);
}


/* POST /v1/webhooks/plaid: verified before anything is done */

static ngx_int_t
north_plaid_webhook(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_plaid_webhook_body);
}


static ngx_int_t
north_plaid_webhook_body(ngx_http_request_t *r, json_t *body)
{
    const char         *values[1];
    ngx_table_elt_t    *h;
    north_plaid_ctx_t  *ctx;
    char                kid[128];

    static ngx_str_t  name = ngx_string("Plaid-Verification");

    ctx = north_plaid_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body = body;
    h = ngx_http_north_header_in(r, &name);

    if (h == NULL
        || north_jws_kid((char *) h->value.data, h->value.len, kid,
                         sizeof(kid)) != 0)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north plaid: webhook without a verification JWT");
        return ngx_http_north_problem(r, NGX_HTTP_UNAUTHORIZED,
                                      "invalid-webhook-signature",
                                      "Unverified webhook",
                                      "the Plaid-Verification header is "
                                      "missing or malformed", NULL);
    }

    ctx->verification = h->value;
    ctx->kid.data = (u_char *) kid;
    ctx->kid.len = ngx_strlen(kid);
    ctx->kid.data = (u_char *) ngx_http_north_strdup(r->pool, &ctx->kid);
    if (ctx->kid.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    values[0] = (char *) ctx->kid.data;

    return ngx_http_north_pg_query(r, &north_plaid_key_stmt, values,
                                   north_plaid_webhook_key, ctx);
}


static ngx_int_t
north_plaid_webhook_key(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_plaid_ctx_t  *ctx = data;

    if (!PQgetisnull(res, 0, 0)) {
        if (PQgetvalue(res, 0, 2)[0] == 't') {
            return north_plaid_webhook_check(r, ctx, NULL, NULL);
        }

        return north_plaid_webhook_check(r, ctx, PQgetvalue(res, 0, 0),
                                         PQgetvalue(res, 0, 1));
    }

    /* a kid asked about lately, or the fetch slot is taken: unverified */
    if (PQgetvalue(res, 0, 3)[0] != 't') {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north plaid: webhook key \"%V\" not fetched "
                      "(asked about lately, or another fetch was)",
                      &ctx->kid);
        return north_plaid_webhook_check(r, ctx, NULL, NULL);
    }

    /* a kid not seen yet: Plaid says whether it is theirs */
    return north_plaid_request(r, "/webhook_verification_key/get",
                               json_pack("{s:s}", "key_id", ctx->kid.data),
                               north_plaid_webhook_fetched);
}


static ngx_int_t
north_plaid_webhook_fetched(ngx_http_request_t *r, north_plaid_call_t *call)
{
    json_t                      *key, *x, *y, *alg, *expired;
    ngx_str_t                    text;
    const char                  *values[4];
    north_plaid_ctx_t           *ctx;
    u_char                       at[NGX_INT64_LEN + 1];

    ctx = north_plaid_ctx(r);

    if (call->error_code && !north_plaid_error_is(call, "NO_ANSWER")
        && call->status / 100 == 4)
    {
        return north_plaid_webhook_check(r, ctx, NULL, NULL);
    }

    if (call->error_code) {
        return north_plaid_upstream(r, call);
    }

    key = json_object_get(call->json, "key");
    x = json_object_get(key, "x");
    y = json_object_get(key, "y");
    alg = json_object_get(key, "alg");
    expired = json_object_get(key, "expired_at");

    if (!json_is_string(x) || !json_is_string(y) || !json_is_string(alg)
        || ngx_strcmp(json_string_value(alg), "ES256") != 0)
    {
        return north_plaid_webhook_check(r, ctx, NULL, NULL);
    }

    if (json_is_integer(expired)) {
        ngx_sprintf(at, "%L%Z", (int64_t) json_integer_value(expired));

        if (json_integer_value(expired) <= ngx_time()) {
            return north_plaid_webhook_check(r, ctx, NULL, NULL);
        }
    }

    values[0] = (char *) ctx->kid.data;
    values[1] = json_string_value(x);
    values[2] = json_string_value(y);
    values[3] = json_is_integer(expired) ? (char *) at : NULL;

    text.data = (u_char *) values[1];
    text.len = json_string_length(x);
    ctx->key_x = ngx_http_north_strdup(r->pool, &text);
    text.data = (u_char *) values[2];
    text.len = json_string_length(y);
    ctx->key_y = ngx_http_north_strdup(r->pool, &text);

    if (ctx->key_x == NULL || ctx->key_y == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Plaid's own key is kept before this webhook is judged: the next ones
     * find it, whatever becomes of this one (its kid is not fetched again)
     */
    return ngx_http_north_pg_query(r, &north_plaid_key_store_stmt, values,
                                   north_plaid_webhook_stored, ctx);
}


static ngx_int_t
north_plaid_webhook_stored(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_plaid_ctx_t  *ctx = data;

    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north plaid: webhook key \"%V\" not kept: %s",
                      &ctx->kid, ngx_http_north_pg_why(res, status));
    }

    return north_plaid_webhook_check(r, ctx, ctx->key_x, ctx->key_y);
}


/* The signature, its age and the body's hash; then what it says is done. */

static ngx_int_t
north_plaid_webhook_check(ngx_http_request_t *r, north_plaid_ctx_t *ctx,
    const char *x, const char *y)
{
    u_char           *text;
    size_t            len;
    json_t           *error;
    const char       *why, *values[4];
    north_jwt_key_t   key;

    ngx_memzero(&key, sizeof(key));
    key.pkey = north_jwk_p256(x, y);
    why = "unknown, expired or malformed key";

    if (key.pkey) {
        ngx_cpystrn((u_char *) key.kid, ctx->kid.data, sizeof(key.kid));
        key.alg = NORTH_JWT_ES256;

        text = ngx_http_north_body_text(r, &len);

        if (text == NULL
            || north_plaid_webhook_verify((char *) ctx->verification.data,
                                          ctx->verification.len, &key, text,
                                          len, ngx_time(), &why)
               != 0)
        {
            EVP_PKEY_free(key.pkey);
            key.pkey = NULL;
        }
    }

    if (key.pkey == NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north plaid: webhook refused: %s", why);
        return ngx_http_north_problem(r, NGX_HTTP_UNAUTHORIZED,
                                      "invalid-webhook-signature",
                                      "Unverified webhook",
                                      "the webhook's signature does not "
                                      "verify", NULL);
    }

    EVP_PKEY_free(key.pkey);

    error = json_object_get(ctx->body, "error");

    values[0] = json_string_value(json_object_get(ctx->body, "item_id"));
    values[1] = json_string_value(json_object_get(ctx->body,
                                                  "webhook_type"));
    values[2] = json_string_value(json_object_get(ctx->body,
                                                  "webhook_code"));
    values[3] = json_string_value(json_object_get(error, "error_code"));

    if (values[0] == NULL || values[1] == NULL || values[2] == NULL) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "validation-failed", "Invalid request",
                                      "a webhook names its item, type and "
                                      "code", NULL);
    }

    return ngx_http_north_pg_query(r, &north_plaid_webhook_stmt, values,
                                   north_plaid_webhook_done, ctx);
}


static ngx_int_t
north_plaid_webhook_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_str_t  user;

    ngx_http_north_jobs_wake();

    /* the audit record names whose bank data this was */
    if (PQntuples(res) == 1) {
        user.data = (u_char *) PQgetvalue(res, 0, 0);
        user.len = PQgetlength(res, 0, 0);
        user.data = (u_char *) ngx_http_north_strdup(r->pool, &user);

        if (user.data) {
            ngx_http_north_audit_subject(r, &user);
        }
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK,
                                    json_pack("{s:b}", "received", 1));
}


/* --- shared by the endpoints above --------------------------------------- */

/* Plaid could not do it: 503 when it is away or busy, else 502. */

static ngx_int_t
north_plaid_upstream(ngx_http_request_t *r, north_plaid_call_t *call)
{
    if (north_plaid_error_is(call, "NO_ANSWER")
        || ngx_strcmp(call->error_type, "RATE_LIMIT_EXCEEDED") == 0
        || ngx_strcmp(call->error_type, "INSTITUTION_ERROR") == 0)
    {
        return ngx_http_north_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "plaid-unavailable",
                                      "Bank connection unavailable",
                                      "Plaid or the bank did not answer: "
                                      "try again shortly", NULL);
    }

    if (north_plaid_error_is(call, "ITEM_LOGIN_REQUIRED")) {
        return north_plaid_login_problem(r);
    }

    return ngx_http_north_problem(r, NGX_HTTP_BAD_GATEWAY, "plaid-error",
                                  "Bank link failed",
                                  "Plaid refused the request", NULL);
}


static ngx_int_t
north_plaid_login_problem(ngx_http_request_t *r)
{
    return ngx_http_north_problem(r, NGX_HTTP_CONFLICT, "item-login-required",
                                  "Bank login required",
                                  "the bank asks its user to log in again: "
                                  "open Link in update mode with a link "
                                  "token for this item", NULL);
}


static ngx_int_t
north_plaid_linked_problem(ngx_http_request_t *r)
{
    return ngx_http_north_problem(r, NGX_HTTP_CONFLICT,
                                  "institution-already-linked",
                                  "Institution already linked",
                                  "this institution is linked already: "
                                  "repair it with a link token for its item",
                                  NULL);
}


static ngx_int_t
north_plaid_consent_problem(ngx_http_request_t *r)
{
    return ngx_http_north_consent_problem(r, "bank_data",
                                          "linking banks needs the bank_data "
                                          "consent: grant it with PUT "
                                          "/v1/privacy/consents/bank_data");
}


static ngx_int_t
north_plaid_not_found(ngx_http_request_t *r, const char *what)
{
    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", what, NULL);
}


/* stmt with the caller and the item the URI names; a 404 for a bad id. */

static ngx_int_t
north_plaid_item_query(ngx_http_request_t *r, ngx_uint_t from_end,
    ngx_http_north_pg_stmt_t *stmt, ngx_http_north_pg_done_pt done)
{
    ngx_int_t  rc;

    rc = ngx_http_north_pg_query_path(r, from_end, stmt, NULL, done, NULL);

    return rc == NGX_DECLINED ? north_plaid_not_found(r, "no such item") : rc;
}


static north_plaid_ctx_t *
north_plaid_ctx(ngx_http_request_t *r)
{
    return ngx_http_north_service(r, sizeof(north_plaid_ctx_t));
}


/* --- what this service holds of a user ----------------------------------- */

static ngx_http_north_pg_stmt_t  north_plaid_export_items =
    ngx_http_north_pg_stmt_rows("north_plaid_export_items",
        "select i.id::text,"
        " north.json_times(to_jsonb(i) - 'access_token' - 'token_key_id')::text"
        " from north.plaid_items i"
        " where i.user_id = $1 and ($2::uuid is null or i.id > $2::uuid)"
        " order by i.id limit $3::int", 3, 2);

/* unlinked here at once, removed at Plaid by the plaid.remove job */
static ngx_http_north_pg_stmt_t  north_plaid_erase_items =
    ngx_http_north_pg_stmt("north_plaid_erase_items",
        "select * from north.plaid_unlink($1, null)", 1, 1);


ngx_http_north_privacy_part_t  north_plaid_privacy[] = {
    { "plaid_items", "north.plaid_items", &north_plaid_export_items,
      &north_plaid_erase_items },
    ngx_http_north_privacy_table("accounts", "north.accounts", "id", "uuid"),
    ngx_http_north_privacy_table("transactions", "north.transactions",
                                 "id", "uuid"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_plaid_routes[] = {

    { ngx_string("plaid.link_token"), NGX_HTTP_POST, north_plaid_link_token },

    { ngx_string("plaid.items"), NGX_HTTP_GET|NGX_HTTP_POST,
      north_plaid_items },

    { ngx_string("plaid.item"), NGX_HTTP_DELETE, north_plaid_item },

    { ngx_string("plaid.sync"), NGX_HTTP_POST, north_plaid_sync },

    { ngx_string("plaid.webhook"), NGX_HTTP_POST, north_plaid_webhook },

    { ngx_string("plaid.accounts"), NGX_HTTP_GET, north_plaid_accounts },

    { ngx_string("plaid.transactions"), NGX_HTTP_GET,
      north_plaid_transactions },

    { ngx_string("plaid.transaction"), NGX_HTTP_PATCH,
      north_plaid_transaction },

    { ngx_null_string, 0, NULL }
};
