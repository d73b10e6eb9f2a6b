/*
 * Authentication API: registration (confirmed by a code e-mailed to the
 * address), login, refresh-token rotation, logout and sessions, and the
 * helpers the password change (auth_password.c) and biometric login
 * (auth_biometric.c) share. Passwords are hashed with Argon2id in the
 * thread pool; every write is one SQL function.
 */

#include "auth.h"
#include "ngx_north_jobs.h"
#include "ngx_north_jwt.h"
#include "ngx_north_audit.h"
#include "north_check.h"
#include "north_jwt.h"
#include "north_password.h"

#include <openssl/rand.h>
#include <openssl/sha.h>


static void north_auth_hash_hex(const u_char *token, size_t len, char *out);
static ngx_int_t north_auth_device(ngx_http_north_fields_t *f,
    north_auth_ctx_t *ctx);
static const char *north_auth_ip(ngx_http_request_t *r);
static const char *north_auth_ttl(ngx_http_request_t *r, time_t ttl);
static ngx_int_t north_auth_retry_after(ngx_http_request_t *r,
    const char *seconds);
static ngx_int_t north_auth_email(ngx_http_request_t *r,
    ngx_http_north_fields_t *f, north_auth_ctx_t *ctx);
static ngx_int_t north_auth_register_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_auth_register_hashed(ngx_http_request_t *r,
    void *data);
static ngx_int_t north_auth_register_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static void north_auth_forget_code(void *data);
static ngx_int_t north_auth_register_verify(ngx_http_request_t *r);
static ngx_int_t north_auth_verify_code_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_auth_verify_code_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_login_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_auth_login_user(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_login_checked(ngx_http_request_t *r, void *data);
static ngx_int_t north_auth_login_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_refresh_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_auth_refresh_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_revoked(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);


const char *const  north_auth_platforms[] = {
    "ios", "android", "web", NULL
};

static const char *const  north_auth_locales[] = { "en-CA", "fr-CA", NULL };


static ngx_http_north_pg_stmt_t  north_auth_register_stmt =
    ngx_http_north_pg_stmt("north_auth_register",
        "select north.registration_start($1, $2, $3::text[], $4, $5, $6, $7)",
        7, 1);

static ngx_http_north_pg_stmt_t  north_auth_register_verify_stmt =
    ngx_http_north_pg_stmt("north_auth_register_verify",
        "select status, user_id, session_id, email"
        " from north.registration_verify($1, $2, $3::inet, $4, $5, $6,"
        " $7::bytea, $8::interval)", 8, 4);

/* the throttling is by address, known or not (auth_login_gate.sql) */
static ngx_http_north_pg_stmt_t  north_auth_user_stmt =
    ngx_http_north_pg_stmt("north_auth_user",
        "select user_id, email, password_hash, wait"
        " from north.auth_login_gate($1, $2)", 2, 4);

static ngx_http_north_pg_stmt_t  north_auth_login_stmt =
    ngx_http_north_pg_stmt("north_auth_login",
        "select status, session_id, retry_after from north.auth_login_attempt("
        "$1, $2, $3, $4::inet, $5, $6, $7, $8::bytea, $9::interval)", 9, 3);

static ngx_http_north_pg_stmt_t  north_auth_refresh_stmt =
    ngx_http_north_pg_stmt("north_auth_refresh",
        "select status, user_id, session_id, email from north.auth_refresh("
        "$1::bytea, $2::bytea, $3::interval)", 3, 4);

static ngx_http_north_pg_stmt_t  north_auth_revoke_stmt =
    ngx_http_north_pg_stmt("north_auth_revoke",
        "select north.auth_session_revoke($1, $2, $3)", 3, 1);

static ngx_http_north_pg_stmt_t  north_auth_sessions_stmt =
    ngx_http_north_pg_stmt("north_auth_sessions",
        "select json_build_object('sessions', coalesce(json_agg("
        " json_build_object('id', id, 'auth_method', auth_method,"
        "  'device', json_build_object('id', device_id, 'name', device_name,"
        "                              'platform', platform),"
        "  'ip', host(ip),"
        "  'created_at', north.rfc3339(created_at),"
        "  'last_seen_at', north.rfc3339(last_seen_at),"
        "  'current', id = $2)"
        " order by created_at desc), '[]'))"
        " from (select * from north.sessions s"
        "       where s.user_id = $1 and s.revoked_at is null"
        "         and exists (select 1 from north.refresh_tokens t"
        "                     where t.session_id = s.id and t.used_at is null"
        "                       and t.expires_at > now())"
        "       order by s.created_at desc limit 100) s", 2, 1);

/* POST /v1/auth/register */

static ngx_int_t
north_auth_register(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_register_body);
}


static ngx_int_t
north_auth_register_body(ngx_http_request_t *r, json_t *body)
{
    int                       k;
    u_char                   *p;
    size_t                    i;
    json_t                   *consents, *v;
    ngx_str_t                 text;
    const char               *why;
    north_auth_ctx_t         *ctx;
    ngx_uint_t                terms, privacy;
    ngx_http_north_fields_t   f;

    /* the device goes with the code: the session opens then */
    static const char *const  fields[] = {
        "email", "password", "consents", "locale", "province", NULL
    };

    ctx = north_auth_fields(r, body, &f, fields);
    if (ctx == NULL || north_auth_email(r, &f, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_north_field_string(&f, "password", 1, 0,
                                    NGX_HTTP_NORTH_PASSWORD_CHARS, &text)
        == NGX_OK)
    {
        why = north_password_check((char *) text.data, text.len, ctx->email,
                                   ctx->email ? ngx_strlen(ctx->email) : 0);
        if (why) {
            ngx_http_north_fields_error(&f, "password", why);

        } else {
            ctx->password = (char *) text.data;
        }
    }

    ctx->locale = ngx_http_north_field_enum(&f, "locale", 0,
                                            north_auth_locales);
    ctx->province = ngx_http_north_field_enum(&f, "province", 0,
                                              north_provinces);

    /* the consents, as a text[] literal of known purposes */
    consents = json_object_get(body, "consents");
    terms = 0;
    privacy = 0;

    if (!json_is_array(consents)) {
        ngx_http_north_fields_error(&f, "consents",
                                    "is required: a list of purposes");

    } else {
        p = ngx_pnalloc(r->pool, json_array_size(consents) * 32 + 3);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->consents = (char *) p;
        *p++ = '{';

        json_array_foreach(consents, i, v) {
            k = json_is_string(v) ? north_check_purpose(json_string_value(v))
                                  : -1;

            if (k < 0) {
                ngx_http_north_fields_error(&f, "consents",
                                            "names an unknown purpose");
                break;
            }

            terms |= (k == 0);
            privacy |= (k == 1);

            if (p[-1] != '{') {
                *p++ = ',';
            }

            p = ngx_cpymem(p, north_consent_purposes[k],
                           ngx_strlen(north_consent_purposes[k]));
        }

        *p++ = '}';
        *p = '\0';

        if (!terms || !privacy) {
            ngx_http_north_fields_error(&f, "consents",
                                        "must include terms and "
                                        "privacy_policy");
        }
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    return ngx_http_north_hash_post(r, NULL, NULL, ctx->password,
                                    north_auth_register_hashed);
}


/*
 * The password is hashed whether or not the address has an account, and
 * the answer is the same: what happens is PostgreSQL's to decide, in
 * private (a code to a new address, a notice to an account's).
 */

static ngx_int_t
north_auth_register_hashed(ngx_http_request_t *r, void *data)
{
    ngx_http_north_hash_t  *h = data;

    uint32_t                     n;
    struct {
        const char              *email, *hash, *consents, *policy_version,
                                *locale, *province, *code;
    } p;
    north_auth_ctx_t            *ctx;
    ngx_pool_cleanup_t          *cln;
    ngx_http_north_main_conf_t  *mcf;

    ctx = north_auth_ctx(r);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    if (!h->hashed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->hash, h->hash, sizeof(ctx->hash));

    /* a uniform code: draws past the last whole million are drawn again */
    do {
        if (RAND_bytes((u_char *) &n, sizeof(n)) != 1) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    } while (n >= 4294000000U);

    /* the code is the user's secret: cleared when the request ends */
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = north_auth_forget_code;
    cln->data = ctx;

    ngx_sprintf((u_char *) ctx->code, "%06uD%Z", (uint32_t) (n % 1000000));

    p.email = ctx->email;
    p.hash = ctx->hash;
    p.consents = ctx->consents;
    p.policy_version = (char *) mcf->policy_version.data;
    p.locale = ctx->locale;
    p.province = ctx->province;
    p.code = ctx->code;

    return ngx_http_north_pg_query_named(r, &north_auth_register_stmt, &p,
                                         north_auth_register_done, ctx);
}


static ngx_int_t
north_auth_register_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    /* the mail, if any, goes now */
    ngx_http_north_jobs_wake();

    return ngx_http_north_json_send(r, NGX_HTTP_ACCEPTED,
               json_pack("{s:s, s:s, s:i}",
                         "status", "verification-sent",
                         "email", ctx->email,
                         "expires_in", NORTH_AUTH_CODE_TTL));
}


static void
north_auth_forget_code(void *data)
{
    north_auth_ctx_t  *ctx = data;

    ngx_explicit_memzero(ctx->code, sizeof(ctx->code));
}


/* POST /v1/auth/register/verify */

static ngx_int_t
north_auth_register_verify(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_verify_code_body);
}


static ngx_int_t
north_auth_verify_code_body(ngx_http_request_t *r, json_t *body)
{
    size_t                    i;
    ngx_str_t                 code;
    north_auth_ctx_t         *ctx;
    ngx_http_north_fields_t   f;

    struct {
        const char                   *email, *code;
        north_auth_session_params_t   session;
    } p;

    static const char *const  fields[] = { "email", "code", "device", NULL };

    ctx = north_auth_fields(r, body, &f, fields);
    if (ctx == NULL || north_auth_email(r, &f, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_north_field_string(&f, "code", 1, NORTH_AUTH_CODE_DIGITS,
                                    NORTH_AUTH_CODE_DIGITS, &code)
        == NGX_OK)
    {
        for (i = 0; i < code.len; i++) {
            if (code.data[i] < '0' || code.data[i] > '9') {
                ngx_http_north_fields_error(&f, "code",
                                            "must be the 6 digits e-mailed");
                break;
            }
        }
    }

    (void) north_auth_device(&f, ctx);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    if (north_auth_new_refresh(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p.email = ctx->email;
    p.code = (char *) code.data;
    north_auth_session_params(r, ctx, &p.session);

    return ngx_http_north_pg_query_named(r, &north_auth_register_verify_stmt,
                                         &p, north_auth_verify_code_done, ctx);
}


static ngx_int_t
north_auth_verify_code_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    /* unknown, expired or wrong: one answer */
    if (ngx_strcmp(PQgetvalue(res, 0, 0), "ok") != 0) {
        return north_auth_problem(r, NGX_HTTP_UNAUTHORIZED, "invalid-code",
                                  "Invalid or expired code",
                                  "register again for a new code");
    }

    north_auth_str(r, &ctx->user_id, PQgetvalue(res, 0, 1));
    north_auth_str(r, &ctx->session_id, PQgetvalue(res, 0, 2));
    ctx->email = north_auth_dup(r, PQgetvalue(res, 0, 3));

    return north_auth_tokens(r, NGX_HTTP_CREATED, ctx);
}


/* The "email" field, trimmed, its domain lowercased, and checked. */

static ngx_int_t
north_auth_email(ngx_http_request_t *r, ngx_http_north_fields_t *f,
    north_auth_ctx_t *ctx)
{
    u_char     *p;
    size_t      n;
    ngx_str_t   text;

    if (ngx_http_north_field_string(f, "email", 1, 1, 254, &text) != NGX_OK) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, text.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = north_email_normalize((char *) text.data, text.len, (char *) p);
    p[n] = '\0';

    if (north_check_email(p, n)) {
        ctx->email = (char *) p;

    } else {
        ngx_http_north_fields_error(f, "email", "must be an e-mail address");
    }

    return NGX_OK;
}


/* POST /v1/auth/login */

static ngx_int_t
north_auth_login(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_login_body);
}


static ngx_int_t
north_auth_login_body(ngx_http_request_t *r, json_t *body)
{
    u_char                   *p;
    size_t                    n;
    ngx_str_t                 email, password;
    const char               *values[2];
    north_auth_ctx_t         *ctx;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "email", "password", "device", NULL
    };

    ctx = north_auth_fields(r, body, &f, fields);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    (void) ngx_http_north_field_string(&f, "email", 1, 1, 254, &email);
    (void) ngx_http_north_field_string(&f, "password", 1, 1,
                                       NGX_HTTP_NORTH_PASSWORD_CHARS,
                                       &password);
    (void) north_auth_device(&f, ctx);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    ctx->password = (char *) password.data;

    p = ngx_pnalloc(r->pool, email.len + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = north_email_normalize((char *) email.data, email.len, (char *) p);
    p[n] = '\0';
    ctx->email = (char *) p;

    values[0] = ctx->email;
    values[1] = (char *) ctx->device_id.data;

    return ngx_http_north_pg_query(r, &north_auth_user_stmt, values,
                                   north_auth_login_user, ctx);
}


static ngx_int_t
north_auth_login_user(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    char               *wait;
    const char         *check;

    /* held back: the same answer whether or not the address has an account */
    wait = PQgetvalue(res, 0, 3);

    if (ngx_atoi((u_char *) wait, ngx_strlen(wait)) > 0) {
        return north_auth_retry_after(r, wait);
    }

    check = NORTH_AUTH_DUMMY_HASH;

    if (!PQgetisnull(res, 0, 0)) {
        ctx->known = 1;
        north_auth_str(r, &ctx->user_id, PQgetvalue(res, 0, 0));

        /* a login attempt touches that account's credentials */
        ngx_http_north_audit_subject(r, &ctx->user_id);
        north_auth_str(r, &ctx->session_id, "");
        ctx->email = north_auth_dup(r, PQgetvalue(res, 0, 1));
        if (ctx->email == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        check = PQgetvalue(res, 0, 2);
    }

    return ngx_http_north_hash_post(r, ctx->password, check, NULL,
                                    north_auth_login_checked);
}


static ngx_int_t
north_auth_login_checked(ngx_http_request_t *r, void *data)
{
    ngx_http_north_hash_t  *h = data;

    north_auth_ctx_t  *ctx;

    struct {
        const char                   *email, *user_id, *verified;
        north_auth_session_params_t   session;
    } p;

    ctx = north_auth_ctx(r);

    if (north_auth_new_refresh(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* an unknown address fails the same way, and counts the same */
    p.email = ctx->email;
    p.user_id = ctx->known ? (char *) ctx->user_id.data : NULL;
    p.verified = ctx->known && h->verified ? "true" : "false";
    north_auth_session_params(r, ctx, &p.session);

    return ngx_http_north_pg_query_named(r, &north_auth_login_stmt, &p,
                                         north_auth_login_done, ctx);
}


static ngx_int_t
north_auth_login_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    char      *outcome;

    outcome = PQgetvalue(res, 0, 0);

    if (ngx_strcmp(outcome, "wait") == 0) {
        return north_auth_retry_after(r, PQgetvalue(res, 0, 2));
    }

    if (ngx_strcmp(outcome, "ok") != 0) {
        return north_auth_problem(r, NGX_HTTP_UNAUTHORIZED,
                                  "invalid-credentials", "Login failed",
                                  "the e-mail or the password is wrong");
    }

    north_auth_str(r, &ctx->session_id, PQgetvalue(res, 0, 1));

    /* a new device's notice is handed on now */
    ngx_http_north_jobs_wake();

    return north_auth_tokens(r, NGX_HTTP_OK, ctx);
}


/* POST /v1/auth/refresh */

static ngx_int_t
north_auth_refresh(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_refresh_body);
}


static ngx_int_t
north_auth_refresh_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                 token;
    const char               *values[3];
    char                     *old_hash;
    north_auth_ctx_t         *ctx;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = { "refresh_token", NULL };

    ctx = north_auth_fields(r, body, &f, fields);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    (void) ngx_http_north_field_string(&f, "refresh_token", 1, 43, 43,
                                       &token);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    old_hash = ngx_pnalloc(r->pool, sizeof(ctx->refresh_hash));
    if (old_hash == NULL || north_auth_new_refresh(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    north_auth_hash_hex(token.data, token.len, old_hash);

    values[0] = old_hash;
    values[1] = ctx->refresh_hash;
    values[2] = north_auth_ttl(r, ngx_http_north_jwt_refresh_ttl(r));

    return ngx_http_north_pg_query(r, &north_auth_refresh_stmt, values,
                                   north_auth_refresh_done, ctx);
}


static ngx_int_t
north_auth_refresh_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    char      *outcome;

    outcome = PQgetvalue(res, 0, 0);

    if (!PQgetisnull(res, 0, 1)) {
        north_auth_str(r, &ctx->user_id, PQgetvalue(res, 0, 1));
        north_auth_str(r, &ctx->session_id, PQgetvalue(res, 0, 2));
        ctx->email = PQgetvalue(res, 0, 3);
    }

    if (ngx_strcmp(outcome, "ok") == 0) {
        return north_auth_tokens(r, NGX_HTTP_OK, ctx);
    }

    if (ngx_strcmp(outcome, "reused") == 0) {
        /* a rotated token came back: someone else has it */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north auth: refresh token reused, session %V revoked",
                      &ctx->session_id);
        ngx_http_north_session_cache(r, &ctx->user_id, &ctx->session_id, 0);
    }

    return north_auth_problem(r, NGX_HTTP_UNAUTHORIZED, "invalid-grant",
                              "Invalid refresh token",
                              "the refresh token is not valid");
}


/* POST /v1/auth/logout */

static ngx_int_t
north_auth_logout(ngx_http_request_t *r)
{
    const char                 *values[3];
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);
    if (id == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    values[0] = (char *) id->user_id.data;
    values[1] = (char *) id->session_id.data;
    values[2] = "logout";

    return ngx_http_north_pg_query(r, &north_auth_revoke_stmt, values,
                                   north_auth_revoked, &id->session_id);
}


/* The end of a logout or of DELETE /v1/auth/sessions/{id}. */

static ngx_int_t
north_auth_revoked(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    ngx_str_t                  *session = data;

    ngx_http_north_identity_t  *id;

    if (PQgetvalue(res, 0, 0)[0] != 't') {
        return north_auth_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such session");
    }

    id = ngx_http_north_jwt_identity(r);
    ngx_http_north_session_cache(r, &id->user_id, session, 0);

    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


/* GET /v1/auth/sessions */

static ngx_int_t
north_auth_sessions(ngx_http_request_t *r)
{
    const char                 *values[2];
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);
    if (id == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    values[0] = (char *) id->user_id.data;
    values[1] = (char *) id->session_id.data;

    return ngx_http_north_pg_query(r, &north_auth_sessions_stmt, values,
                                   ngx_http_north_pg_json_done, NULL);
}


/* DELETE /v1/auth/sessions/{id} */

static ngx_int_t
north_auth_session_delete(ngx_http_request_t *r)
{
    const char                 *values[3];
    ngx_str_t                  *session, segment;

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    session = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (session == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_path_id(r, &segment);

    if (!north_check_uuid(segment.data, segment.len)) {
        return north_auth_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such session");
    }

    north_auth_strn(r, session, segment.data, segment.len);

    values[1] = (char *) session->data;
    values[2] = "revoked_by_user";

    return ngx_http_north_pg_query(r, &north_auth_revoke_stmt, values,
                                   north_auth_revoked, session);
}


/* --- shared by the endpoints above --------------------------------------- */

north_auth_ctx_t *
north_auth_ctx(ngx_http_request_t *r)
{
    return ngx_http_north_service(r, sizeof(north_auth_ctx_t));
}


/* The request's state, with its body's members checked against allowed. */

north_auth_ctx_t *
north_auth_fields(ngx_http_request_t *r, json_t *body,
    ngx_http_north_fields_t *f, const char *const *allowed)
{
    north_auth_ctx_t  *ctx;

    ctx = north_auth_ctx(r);

    if (ctx == NULL || ngx_http_north_fields_init(f, r, body) != NGX_OK) {
        return NULL;
    }

    ngx_http_north_fields_only(f, allowed);

    return ctx;
}


/* NUL-terminated copies in r->pool; a NULL v gives an empty string. */

void
north_auth_strn(ngx_http_request_t *r, ngx_str_t *s, u_char *data, size_t len)
{
    s->data = ngx_pnalloc(r->pool, len + 1);

    if (s->data == NULL) {
        s->len = 0;
        return;
    }

    ngx_memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->len = len;
}


void
north_auth_str(ngx_http_request_t *r, ngx_str_t *s, const char *v)
{
    north_auth_strn(r, s, (u_char *) v, v ? ngx_strlen(v) : 0);
}


char *
north_auth_dup(ngx_http_request_t *r, const char *v)
{
    ngx_str_t  s;

    north_auth_str(r, &s, v);

    return (char *) s.data;
}


static ngx_int_t
north_auth_device(ngx_http_north_fields_t *f, north_auth_ctx_t *ctx)
{
    json_t                   *device;
    ngx_str_t                 name;
    ngx_http_north_fields_t   d;

    static const char *const  fields[] = { "id", "name", "platform", NULL };

    device = json_object_get(f->object, "device");

    if (device == NULL || json_is_null(device)) {
        return NGX_OK;
    }

    if (!json_is_object(device)) {
        ngx_http_north_fields_error(f, "device", "must be an object");
        return NGX_ERROR;
    }

    /* its errors are the parent's, named device.FIELD */
    d.object = device;
    d.errors = json_array();
    d.fr = f->fr;
    if (d.errors == NULL) {
        return NGX_ERROR;
    }

    ngx_http_north_fields_only(&d, fields);
    (void) ngx_http_north_field_string(&d, "id", 1, 1, 128, &ctx->device_id);
    (void) ngx_http_north_field_string(&d, "name", 0, 0, 128, &name);
    ctx->device_name = (char *) name.data;
    ctx->platform = ngx_http_north_field_enum(&d, "platform", 0,
                                              north_auth_platforms);

    {
        size_t   i;
        json_t  *e;
        char     name[80];

        json_array_foreach(d.errors, i, e) {
            ngx_snprintf((u_char *) name, sizeof(name) - 1, "device.%s%Z",
                         json_string_value(json_object_get(e, "field")));
            ngx_http_north_fields_error(f, name, json_string_value(
                                            json_object_get(e, "message")));
        }
    }

    json_decref(d.errors);

    return NGX_OK;
}


/* 256 random bits for the client, their SHA-256 (bytea hex) for us. */

ngx_int_t
north_auth_new_refresh(ngx_http_request_t *r, north_auth_ctx_t *ctx)
{
    u_char  rnd[32];

    ctx->refresh.data = ngx_pnalloc(r->pool, 44);
    if (ctx->refresh.data == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_ERROR;
    }

    ctx->refresh.len = north_b64url_encode(rnd, sizeof(rnd),
                                           (char *) ctx->refresh.data);
    ctx->refresh.data[ctx->refresh.len] = '\0';

    north_auth_hash_hex(ctx->refresh.data, ctx->refresh.len,
                        ctx->refresh_hash);

    return NGX_OK;
}


static void
north_auth_hash_hex(const u_char *token, size_t len, char *out)
{
    size_t  i;
    u_char  md[SHA256_DIGEST_LENGTH];

    SHA256(token, len, md);

    out[0] = '\\';
    out[1] = 'x';

    for (i = 0; i < sizeof(md); i++) {
        ngx_sprintf((u_char *) out + 2 + 2 * i, "%02xd", md[i]);
    }

    out[2 + 2 * sizeof(md)] = '\0';
}


ngx_int_t
north_auth_tokens(ngx_http_request_t *r, ngx_uint_t status,
    north_auth_ctx_t *ctx)
{
    ngx_str_t  access;

    if (ngx_http_north_jwt_issue(r, &ctx->user_id, &ctx->session_id, &access)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_session_cache(r, &ctx->user_id, &ctx->session_id, 1);
    ngx_http_north_audit_subject(r, &ctx->user_id);

    return ngx_http_north_json_send(r, status,
               json_pack("{s:s%, s:s, s:s, s:I, s:{s:s, s:s}}",
                         "access_token", access.data, access.len,
                         "refresh_token", (char *) ctx->refresh.data,
                         "token_type", "Bearer",
                         "expires_in",
                         (json_int_t) ngx_http_north_jwt_ttl(r),
                         "user", "id", (char *) ctx->user_id.data,
                         "email", ctx->email));
}


/* A new session's parameters, as north.auth_session_open() takes them. */

void
north_auth_session_params(ngx_http_request_t *r, north_auth_ctx_t *ctx,
    north_auth_session_params_t *session)
{
    session->ip = north_auth_ip(r);
    session->device_id = (char *) ctx->device_id.data;
    session->device_name = ctx->device_name;
    session->platform = ctx->platform;
    session->refresh_hash = ctx->refresh_hash;
    session->refresh_ttl = north_auth_ttl(r, ngx_http_north_jwt_refresh_ttl(r));
}


static const char *
north_auth_ip(ngx_http_request_t *r)
{
    return ngx_http_north_strdup(r->pool, &r->connection->addr_text);
}


static const char *
north_auth_ttl(ngx_http_request_t *r, time_t ttl)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + sizeof(" seconds"));
    if (p == NULL) {
        return NULL;
    }

    ngx_sprintf(p, "%T seconds%Z", ttl);

    return (char *) p;
}


ngx_int_t
north_auth_problem(ngx_http_request_t *r, ngx_uint_t status, const char *type,
    const char *title, const char *detail)
{
    return ngx_http_north_problem(r, status, type, title, detail, NULL);
}


static ngx_int_t
north_auth_retry_after(ngx_http_request_t *r, const char *seconds)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    h->value.len = ngx_strlen(seconds);
    h->value.data = ngx_pnalloc(r->pool, h->value.len);
    if (h->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(h->value.data, seconds, h->value.len);

    return ngx_http_north_problem(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                  "too-many-attempts", "Too many attempts",
                                  "too many failed logins: try again later",
                                  NULL);
}


/* --- what this service holds of a user ----------------------------------- */

/* the tokens' hashes are credentials, not the user's data: left out */
static ngx_http_north_pg_stmt_t  north_auth_export_refresh =
    ngx_http_north_pg_stmt_rows("north_auth_export_refresh",
        "select encode(t.token_hash, 'hex'),"
        " north.json_times(to_jsonb(t) - 'token_hash')::text"
        " from north.refresh_tokens t"
        " join north.sessions s on s.id = t.session_id"
        " where s.user_id = $1"
        "   and ($2::text is null or t.token_hash > decode($2, 'hex'))"
        " order by t.token_hash limit $3::int", 3, 2);

static ngx_http_north_pg_stmt_t  north_auth_erase_refresh =
    ngx_http_north_pg_stmt("north_auth_erase_refresh",
        "delete from north.refresh_tokens where session_id in"
        " (select id from north.sessions where user_id = $1)", 1, 0);

static ngx_http_north_pg_stmt_t  north_auth_export_devices =
    ngx_http_north_pg_stmt_rows("north_auth_export_devices",
        "select device_id, north.json_times(to_jsonb(d) - 'public_key'"
        " || jsonb_build_object('public_key',"
        "                       encode(public_key, 'base64')))::text"
        " from north.devices d"
        " where user_id = $1 and ($2::text is null or device_id > $2::text)"
        " order by d.device_id limit $3::int", 3, 2);

static ngx_http_north_pg_stmt_t  north_auth_erase_devices =
    ngx_http_north_pg_stmt("north_auth_erase_devices",
        "delete from north.devices where user_id = $1", 1, 0);


ngx_http_north_privacy_part_t  north_auth_privacy[] = {
    ngx_http_north_privacy_table("sessions", "north.sessions", "id", "uuid"),
    { "refresh_tokens", "north.refresh_tokens", &north_auth_export_refresh,
      &north_auth_erase_refresh },
    { "devices", "north.devices", &north_auth_export_devices,
      &north_auth_erase_devices },
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_auth_routes[] = {

    { ngx_string("auth.register"), NGX_HTTP_POST, north_auth_register },

    { ngx_string("auth.register_verify"), NGX_HTTP_POST,
      north_auth_register_verify },

    { ngx_string("auth.login"), NGX_HTTP_POST, north_auth_login },

    { ngx_string("auth.refresh"), NGX_HTTP_POST, north_auth_refresh },

    { ngx_string("auth.logout"), NGX_HTTP_POST, north_auth_logout },

    { ngx_string("auth.sessions"), NGX_HTTP_GET, north_auth_sessions },

    { ngx_string("auth.session"), NGX_HTTP_DELETE, north_auth_session_delete },

    { ngx_string("auth.password"), NGX_HTTP_POST, north_auth_password },

    { ngx_string("auth.biometric_enroll"), NGX_HTTP_POST, north_auth_enroll },

    { ngx_string("auth.biometric_challenge"), NGX_HTTP_POST,
      north_auth_challenge },

    { ngx_string("auth.biometric_verify"), NGX_HTTP_POST, north_auth_verify },

    { ngx_string("auth.biometric_remove"), NGX_HTTP_DELETE,
      north_auth_remove },

    { ngx_null_string, 0, NULL }
};
