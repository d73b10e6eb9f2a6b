/*
 * POST /v1/auth/password: the current password checked (Argon2id, in the
 * thread pool), the new one checked and hashed, every other session ended.
 */

#include "auth.h"
#include "ngx_north_cache.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"
#include "north_password.h"


static ngx_int_t north_auth_password_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_auth_password_user(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_password_checked(ngx_http_request_t *r,
    void *data);
static ngx_int_t north_auth_password_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);


static ngx_http_north_pg_stmt_t  north_auth_password_user_stmt =
    ngx_http_north_pg_stmt("north_auth_password_user",
        "select email, password_hash from north.users where id = $1", 1, 2);

static ngx_http_north_pg_stmt_t  north_auth_password_stmt =
    ngx_http_north_pg_stmt_rows("north_auth_password",
        "select revoked_session from north.auth_password_change($1, $2, $3)",
        3, 1);


/* POST /v1/auth/password */

ngx_int_t
north_auth_password(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_password_body);
}


static ngx_int_t
north_auth_password_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                   password, new_password;
    const char                 *values[1];
    north_auth_ctx_t           *ctx;
    ngx_http_north_fields_t     f;
    ngx_http_north_identity_t  *id;

    static const char *const  fields[] = {
        "current_password", "new_password", NULL
    };

    id = ngx_http_north_jwt_identity(r);
    ctx = north_auth_fields(r, body, &f, fields);

    if (id == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    (void) ngx_http_north_field_string(&f, "current_password", 1, 1,
                                       NGX_HTTP_NORTH_PASSWORD_CHARS,
                                       &password);
    (void) ngx_http_north_field_string(&f, "new_password", 1, 0,
                                       NGX_HTTP_NORTH_PASSWORD_CHARS,
                                       &new_password);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    ctx->password = (char *) password.data;
    ctx->new_password = (char *) new_password.data;

    ctx->user_id = id->user_id;
    ctx->session_id = id->session_id;

    values[0] = (char *) id->user_id.data;

    return ngx_http_north_pg_query(r, &north_auth_password_user_stmt, values,
                                   north_auth_password_user, ctx);
}


static ngx_int_t
north_auth_password_user(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    const char              *why;
    ngx_http_north_fields_t  f;

    why = north_password_check(ctx->new_password,
                               ngx_strlen(ctx->new_password),
                               PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0));
    if (why) {
        if (ngx_http_north_fields_init(&f, r, json_object()) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_north_fields_error(&f, "new_password", why);

        return ngx_http_north_fields_problem(r, &f);
    }

    return ngx_http_north_hash_post(r, ctx->password, PQgetvalue(res, 0, 1),
                             ctx->new_password,
                                    north_auth_password_checked);
}


static ngx_int_t
north_auth_password_checked(ngx_http_request_t *r, void *data)
{
    ngx_http_north_hash_t  *h = data;

    const char        *values[3];
    north_auth_ctx_t  *ctx;

    ctx = north_auth_ctx(r);

    if (!h->verified) {
        return north_auth_problem(r, NGX_HTTP_FORBIDDEN,
                                  "invalid-credentials", "Wrong password",
                                  "the current password is wrong");
    }

    if (!h->hashed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->hash, h->hash, sizeof(ctx->hash));

    values[0] = (char *) ctx->user_id.data;
    values[1] = (char *) ctx->session_id.data;
    values[2] = ctx->hash;

    return ngx_http_north_pg_query(r, &north_auth_password_stmt, values,
                                   north_auth_password_done, ctx);
}


static ngx_int_t
north_auth_password_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    int        i;
    ngx_str_t  sid;

    /* the other sessions end at the edge on their next request */
    for (i = 0; i < PQntuples(res); i++) {
        north_auth_str(r, &sid, PQgetvalue(res, i, 0));
        ngx_http_north_session_cache(r, &ctx->user_id, &sid, 0);
    }

    /* the change's notice is handed on now */
    ngx_http_north_jobs_wake();

    /* the profile's updated_at moved: its cached copy is stale */
    return ngx_http_north_cache_send(r, &ctx->user_id, NGX_HTTP_NO_CONTENT,
                                     NULL, 0);
}
