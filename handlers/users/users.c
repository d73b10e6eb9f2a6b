/*
 * Users API: the profile (GET and PATCH /v1/me, with ETag and If-Match),
 * and the erasure of an account (DELETE /v1/me), which the privacy
 * service's job carries out.
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_cache.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_crypto.h"
#include "ngx_north_jobs.h"
#include "north_check.h"


/* A biometric login this recent stands for a password (DELETE /v1/me). */
#define NORTH_USERS_REAUTH_WINDOW  "5 minutes"


typedef struct {
    json_t                      *changes;     /* the profile's new values */
    const char                  *password;
    const char                  *reauth;      /* password | biometric */
} north_users_ctx_t;


static ngx_int_t north_users_get(ngx_http_request_t *r);
static ngx_int_t north_users_get_cached(ngx_http_request_t *r,
    ngx_http_north_cache_t *c);
static ngx_int_t north_users_get_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_users_patch_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_users_patch_user(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_users_patch_checked(ngx_http_request_t *r,
    void *data);
static ngx_int_t north_users_patch_send(ngx_http_request_t *r,
    north_users_ctx_t *ctx);
static ngx_int_t north_users_patch_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_users_delete_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_users_delete_user(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_users_delete_checked(ngx_http_request_t *r,
    void *data);
static ngx_int_t north_users_delete_send(ngx_http_request_t *r,
    north_users_ctx_t *ctx);
static ngx_int_t north_users_delete_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static north_users_ctx_t *north_users_ctx(ngx_http_request_t *r);
static ngx_int_t north_users_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *etag, ngx_str_t *profile);
static ngx_int_t north_users_profile(ngx_http_request_t *r,
    ngx_uint_t status, PGresult *res);


/* the profile's entry in the user's cache: "ETAG\nPROFILE" */
static ngx_str_t  north_users_entry = ngx_string("profile");

static const char *const  north_users_locales[] = { "en-CA", "fr-CA", NULL };

static const char *const  north_users_employment[] = {
    "employed", "self_employed", "unemployed", "student", "retired", "other",
    NULL
};


static ngx_http_north_pg_stmt_t  north_users_get_stmt =
    ngx_http_north_pg_stmt_rows("north_users_get",
        "select north.profile_json(u)::text,"
        " north.profile_etag(north.profile_json(u))"
        " from north.users u"
        " where u.id = $1 and u.erasure_requested_at is null", 1, 2);

static ngx_http_north_pg_stmt_t  north_users_password_stmt =
    ngx_http_north_pg_stmt("north_users_password",
        "select password_hash from north.users"
        " where id = $1 and erasure_requested_at is null", 1, 1);

static ngx_http_north_pg_stmt_t  north_users_update_stmt =
    ngx_http_north_pg_stmt("north_users_update",
        "select status, profile::text, etag from north.profile_update("
        "$1, $2, $3::jsonb, $4::inet)", 4, 3);

static ngx_http_north_pg_stmt_t  north_users_reauth_stmt =
    ngx_http_north_pg_stmt("north_users_reauth",
        "select u.password_hash,"
        " s.auth_method = 'biometric'"
        "   and s.created_at > now() - interval '"
        NORTH_USERS_REAUTH_WINDOW "'"
        " from north.users u join north.sessions s on s.user_id = u.id"
        " where u.id = $1 and s.id = $2 and u.erasure_requested_at is null",
        2, 2);

static ngx_http_north_pg_stmt_t  north_users_erase_stmt =
    ngx_http_north_pg_stmt_rows("north_users_erase",
        "select revoked_session, north.rfc3339(requested_at)"
        " from north.erasure_request($1, $2)", 2, 2);


/* /v1/me: one location, three methods */

static ngx_int_t
north_users_me(ngx_http_request_t *r)
{
    switch (r->method) {

    case NGX_HTTP_PATCH:
        return ngx_http_north_json_read(r, north_users_patch_body);

    case NGX_HTTP_DELETE:
        if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
            return ngx_http_north_json_read(r, north_users_delete_body);
        }

        return north_users_delete_body(r, NULL);

    default:
        return north_users_get(r);
    }
}


/* GET /v1/me: from the user's cache, else from PostgreSQL and cached */

static ngx_int_t
north_users_get(ngx_http_request_t *r)
{
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);
    if (id == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_cache_get(r, &id->user_id, &north_users_entry,
                                    north_users_get_cached, NULL);
}


static ngx_int_t
north_users_get_cached(ngx_http_request_t *r, ngx_http_north_cache_t *c)
{
    u_char     *nl, *end;
    ngx_str_t   etag, profile;
    const char *values[1];

    if (c->value.data) {
        end = c->value.data + c->value.len;
        nl = ngx_strlchr(c->value.data, end, '\n');

        if (nl) {
            etag.data = c->value.data;
            etag.len = nl - c->value.data;
            profile.data = nl + 1;
            profile.len = end - nl - 1;

            return north_users_send(r, NGX_HTTP_OK, &etag, &profile);
        }
    }

    values[0] = (char *) ngx_http_north_jwt_identity(r)->user_id.data;

    return ngx_http_north_pg_query(r, &north_users_get_stmt, values,
                                   north_users_get_done, c);
}


static ngx_int_t
north_users_get_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_http_north_cache_t *c = data;

    u_char     *entry, *p;
    ngx_str_t   etag, profile;

    if (PQntuples(res) == 0) {
        return north_users_profile(r, NGX_HTTP_OK, res);
    }

    if (ngx_http_north_pg_copy(r, res, 0, &profile) != NGX_OK
        || ngx_http_north_pg_copy(r, res, 1, &etag) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    entry = ngx_pnalloc(r->pool, etag.len + 1 + profile.len);
    if (entry == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(ngx_cpymem(entry, etag.data, etag.len), "\n", 1);
    p = ngx_cpymem(p, profile.data, profile.len);

    ngx_http_north_cache_set(r, c, entry, p - entry);

    return north_users_send(r, NGX_HTTP_OK, &etag, &profile);
}


/* PATCH /v1/me */

static ngx_int_t
north_users_patch_body(ngx_http_request_t *r, json_t *body)
{
    u_char                     *p;
    size_t                      n;
    json_t                     *v;
    json_int_t                  year, income;
    ngx_str_t                   email_in, password, tz;
    const char                 *email, *values[1];
    north_users_ctx_t          *ctx;
    ngx_http_north_fields_t     f;

    static const char *const  fields[] = {
        "display_name", "email", "password", "province", "time_zone",
        "locale", "birth_year", "annual_income_cents", "employment_status",
        NULL
    };

    static const char *const  not_null[] = { "email", "locale", NULL };
    const char *const        *nn;

    values[0] = ngx_http_north_caller(r);
    ctx = north_users_ctx(r);

    if (values[0] == NULL || ctx == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);

    for (nn = not_null; *nn; nn++) {
        v = json_object_get(body, *nn);

        if (v != NULL && json_is_null(v)) {
            ngx_http_north_fields_error(&f, *nn, "must not be null");
        }
    }

    (void) ngx_http_north_field_string(&f, "display_name", 0, 1, 100, NULL);
    (void) ngx_http_north_field_string(&f, "email", 0, 1, 254, &email_in);
    (void) ngx_http_north_field_string(&f, "password", 0, 1,
                                       NGX_HTTP_NORTH_PASSWORD_CHARS,
                                       &password);
    (void) ngx_http_north_field_enum(&f, "province", 0,
                                     north_provinces);
    (void) ngx_http_north_field_enum(&f, "locale", 0, north_users_locales);
    (void) ngx_http_north_field_integer(&f, "birth_year", 0, 1900,
                                        ngx_time() / 31556952 + 1970,
                                        &year);
    (void) ngx_http_north_field_integer(&f, "annual_income_cents", 0, 0,
                                        100000000000LL, &income);
    (void) ngx_http_north_field_enum(&f, "employment_status", 0,
                                     north_users_employment);

    if (ngx_http_north_field_string(&f, "time_zone", 0, 1, 64, &tz) == NGX_OK
        && !north_check_time_zone(tz.data, tz.len))
    {
        ngx_http_north_fields_error(&f, "time_zone",
                                    "must be an IANA time zone such as "
                                    "America/Toronto");
    }

    /* as registration has it: trimmed, the domain in lower case */
    email = NULL;

    if (email_in.data) {
        p = ngx_pnalloc(r->pool, email_in.len + 1);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        n = north_email_normalize((char *) email_in.data, email_in.len,
                                  (char *) p);
        p[n] = '\0';
        email = (char *) p;

        if (!north_check_email(p, n)) {
            ngx_http_north_fields_error(&f, "email",
                                        "must be an e-mail address");
        }
    }

    /* an e-mail change asks for the password, and only it does */
    if (email && password.data == NULL
        && json_object_get(body, "password") == NULL)
    {
        ngx_http_north_fields_error(&f, "password",
                                    "is required to change the e-mail");
    }

    if (email == NULL && json_object_get(body, "password")) {
        ngx_http_north_fields_error(&f, "password",
                                    "is only taken with a new e-mail");
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    if (email == NULL) {
        ctx->changes = body;
        return north_users_patch_send(r, ctx);
    }

    /* the body less the password, which the hashing task takes a copy of */
    ctx->password = ngx_pnalloc(r->pool, password.len + 1);
    if (ctx->password == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy((char *) ctx->password, password.data, password.len + 1);

    ctx->changes = body;
    (void) json_object_del(body, "password");
    (void) json_object_set_new(body, "email", json_string(email));

    return ngx_http_north_pg_query(r, &north_users_password_stmt, values,
                                   north_users_patch_user, ctx);
}


static ngx_int_t
north_users_patch_user(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_users_ctx_t  *ctx = data;

    return ngx_http_north_hash_post(r, ctx->password, PQgetvalue(res, 0, 0),
                                    NULL, north_users_patch_checked);
}


static ngx_int_t
north_users_patch_checked(ngx_http_request_t *r, void *data)
{
    ngx_http_north_hash_t  *h = data;

    if (!h->verified) {
        return ngx_http_north_problem(r, NGX_HTTP_FORBIDDEN,
                                      "invalid-credentials", "Wrong password",
                                      "the current password is wrong", NULL);
    }

    return north_users_patch_send(r, north_users_ctx(r));
}


static ngx_int_t
north_users_patch_send(ngx_http_request_t *r, north_users_ctx_t *ctx)
{
    char                       *changes, *ip, *match;
    size_t                      i;
    const char                 *values[4];
    ngx_table_elt_t            *h;

    values[0] = ngx_http_north_caller(r);

    changes = ngx_http_north_json_text(r->pool, ctx->changes);
    ip = ngx_http_north_strdup(r->pool, &r->connection->addr_text);

    if (changes == NULL || ip == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    match = NULL;
    h = r->headers_in.if_match;

    if (h) {
        /* an entity tag is visible ASCII: anything else matches nothing */
        for (i = 0; i < h->value.len; i++) {
            if (h->value.data[i] < 0x20 || h->value.data[i] > 0x7e) {
                return ngx_http_north_problem(r,
                                              NGX_HTTP_PRECONDITION_FAILED,
                                              "precondition-failed",
                                              "Precondition failed",
                                              "If-Match names no version "
                                              "of the profile", NULL);
            }
        }

        match = ngx_http_north_strdup(r->pool, &h->value);
        if (match == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* answered here, against the stored profile, not by nginx's filter */
        r->headers_in.if_match = NULL;
    }

    values[1] = (char *) match;
    values[2] = changes;
    values[3] = (char *) ip;

    return ngx_http_north_pg_query(r, &north_users_update_stmt, values,
                                   north_users_patch_done, ctx);
}


static ngx_int_t
north_users_patch_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    char                     *outcome;
    ngx_str_t                 etag, profile;
    ngx_http_north_fields_t   f;

    outcome = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(outcome, "ok") == 0) {
        if (ngx_http_north_pg_copy(r, res, 1, &profile) != NGX_OK
            || ngx_http_north_pg_copy(r, res, 2, &etag) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.etag = ngx_http_north_header_out(r, "ETag", &etag);
        if (r->headers_out.etag == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* a completed profile's domain event is handed on now */
        ngx_http_north_jobs_wake();

        /* no read that follows the answer sees the old profile */
        return ngx_http_north_cache_send(r,
                   &ngx_http_north_jwt_identity(r)->user_id, NGX_HTTP_OK,
                   profile.data, profile.len);
    }

    if (ngx_strcmp(outcome, "precondition_failed") == 0) {
        if (ngx_http_north_pg_copy(r, res, 2, &etag) != NGX_OK
            || ngx_http_north_header_out(r, "ETag", &etag) == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_north_problem(r, NGX_HTTP_PRECONDITION_FAILED,
                                      "precondition-failed",
                                      "Precondition failed",
                                      "the profile changed since it was "
                                      "read: read it again", NULL);
    }

    if (ngx_strcmp(outcome, "email_taken") == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_CONFLICT, "email-taken",
                                      "E-mail already registered",
                                      "an account with this e-mail exists",
                                      NULL);
    }

    if (ngx_strcmp(outcome, "bad_time_zone") == 0) {
        if (ngx_http_north_fields_init(&f, r, json_object()) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_north_fields_error(&f, "time_zone",
                                    "is not a time zone the server knows");

        return ngx_http_north_fields_problem(r, &f);
    }

    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such user", NULL);
}


/* DELETE /v1/me: a password in the body, or a fresh biometric login */

static ngx_int_t
north_users_delete_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                   password;
    const char                 *values[2];
    north_users_ctx_t          *ctx;
    ngx_http_north_fields_t     f;
    ngx_http_north_identity_t  *id;

    static const char *const  fields[] = { "password", NULL };

    id = ngx_http_north_jwt_identity(r);
    ctx = north_users_ctx(r);

    if (id == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (body) {
        if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_north_fields_only(&f, fields);
        (void) ngx_http_north_field_string(&f, "password", 1, 1,
                                           NGX_HTTP_NORTH_PASSWORD_CHARS,
                                           &password);

        if (ngx_http_north_fields_failed(&f)) {
            return ngx_http_north_fields_problem(r, &f);
        }

        ctx->password = (char *) password.data;
    }

    values[0] = (char *) id->user_id.data;
    values[1] = (char *) id->session_id.data;

    return ngx_http_north_pg_query(r, &north_users_reauth_stmt, values,
                                   north_users_delete_user, ctx);
}


static ngx_int_t
north_users_delete_user(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_users_ctx_t  *ctx = data;

    if (ctx->password) {
        return ngx_http_north_hash_post(r, ctx->password,
                                        PQgetvalue(res, 0, 0), NULL,
                                        north_users_delete_checked);
    }

    if (PQgetvalue(res, 0, 1)[0] != 't') {
        return ngx_http_north_problem(r, NGX_HTTP_FORBIDDEN,
                                      "reauthentication-required",
                                      "Confirmation required",
                                      "confirm with your password, or log "
                                      "in with biometrics first (within 5 "
                                      "minutes)", NULL);
    }

    ctx->reauth = "biometric";

    return north_users_delete_send(r, ctx);
}


static ngx_int_t
north_users_delete_checked(ngx_http_request_t *r, void *data)
{
    ngx_http_north_hash_t  *h = data;

    north_users_ctx_t  *ctx;

    if (!h->verified) {
        return ngx_http_north_problem(r, NGX_HTTP_FORBIDDEN,
                                      "invalid-credentials", "Wrong password",
                                      "the current password is wrong", NULL);
    }

    ctx = north_users_ctx(r);
    ctx->reauth = "password";

    return north_users_delete_send(r, ctx);
}


static ngx_int_t
north_users_delete_send(ngx_http_request_t *r, north_users_ctx_t *ctx)
{
    const char                 *values[2];

    values[0] = ngx_http_north_caller(r);

    values[1] = ctx->reauth;

    return ngx_http_north_pg_query(r, &north_users_erase_stmt, values,
                                   north_users_delete_done, ctx);
}


static ngx_int_t
north_users_delete_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    int                         i;
    ngx_str_t                   sid;
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);

    ngx_http_north_jobs_wake();

    /* what the cache holds of the user goes now, not when it expires */
    ngx_http_north_cache_erase(&id->user_id);
    ngx_http_north_user_keys_erase(&id->user_id);

    /* every session ends at the edge on its next request, this one too */
    for (i = 0; i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 0)) {
            continue;
        }

        sid.len = PQgetlength(res, i, 0);
        sid.data = (u_char *) PQgetvalue(res, i, 0);
        sid.data = (u_char *) ngx_http_north_strdup(r->pool, &sid);
        if (sid.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_north_session_cache(r, &id->user_id, &sid, 0);
    }

    return ngx_http_north_json_send(r, NGX_HTTP_ACCEPTED,
               json_pack("{s:s, s:s, s:s}",
                         "status", "scheduled",
                         "requested_at", PQntuples(res)
                                         ? PQgetvalue(res, 0, 1) : "",
                         "detail", "every session has ended; the account "
                                   "and its personal data are being erased"));
}


/* --- shared by the endpoints above --------------------------------------- */

static north_users_ctx_t *
north_users_ctx(ngx_http_request_t *r)
{
    return ngx_http_north_service(r, sizeof(north_users_ctx_t));
}


/* The profile and its ETag, the last two columns of res, or a 404. */

static ngx_int_t
north_users_profile(ngx_http_request_t *r, ngx_uint_t status, PGresult *res)
{
    int        col;
    ngx_str_t  etag, profile;

    if (PQntuples(res) == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                      "Not found", "no such user", NULL);
    }

    col = PQnfields(res) - 2;

    if (ngx_http_north_pg_copy(r, res, col, &profile) != NGX_OK
        || ngx_http_north_pg_copy(r, res, col + 1, &etag) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return north_users_send(r, status, &etag, &profile);
}


/* The profile (in r->pool) with its ETag. */

static ngx_int_t
north_users_send(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *etag,
    ngx_str_t *profile)
{
    /* a GET with a matching If-None-Match gets a 304 from nginx */
    r->headers_out.etag = ngx_http_north_header_out(r, "ETag", etag);
    if (r->headers_out.etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_json_send_text(r, status, profile->data,
                                         profile->len);
}


/* --- what this service holds of a user ----------------------------------- */

static ngx_http_north_pg_stmt_t  north_users_export_profile =
    ngx_http_north_pg_stmt_rows("north_users_export_profile",
        "select id::text, north.json_times(to_jsonb(u) - 'password_hash')::text"
        " from north.users u"
        " where id = $1 and ($2::uuid is null or id > $2::uuid)"
        " order by u.id limit $3::int", 3, 2);

/* the user row goes last: whatever a service left behind cascades */
/* the mail to the address goes with it (the outbox keeps no user id) */
static ngx_http_north_pg_stmt_t  north_users_erase_profile =
    ngx_http_north_pg_stmt("north_users_erase_profile",
        "with mail as (delete from north.mail_outbox m using north.users u"
        " where u.id = $1 and lower(m.to_email) = lower(u.email))"
        " delete from north.users where id = $1", 1, 0);


ngx_http_north_privacy_part_t  north_users_privacy[] = {
    { "profile", "north.users", &north_users_export_profile,
      &north_users_erase_profile },
    ngx_http_north_privacy_table("profile_changes", "north.profile_changes",
                                 "id", "bigint"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_users_routes[] = {

    { ngx_string("users.me"), NGX_HTTP_GET|NGX_HTTP_PATCH|NGX_HTTP_DELETE,
      north_users_me },

    { ngx_null_string, 0, NULL }
};
