/*
 * Biometric login: a device enrols a P-256 public key made in its secure
 * hardware; a login is a single-use challenge (in Redis, 60 s) signed by
 * that key and verified with OpenSSL; a device's key can be removed.
 */

#include "auth.h"
#include "ngx_north_redis.h"
#include "ngx_north_jwt.h"
#include "north_jwt.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/core_names.h>


static ngx_int_t north_auth_enroll_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_auth_enroll_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_challenge_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_auth_challenge_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status);
static ngx_int_t north_auth_verify_body(ngx_http_request_t *r, json_t *body);
static ngx_int_t north_auth_verify_claimed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status);
static ngx_int_t north_auth_verify_key(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_verify_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);
static ngx_int_t north_auth_remove_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status);


static ngx_http_north_pg_stmt_t  north_auth_enroll_stmt =
    ngx_http_north_pg_stmt("north_auth_enroll",
        "insert into north.devices (user_id, device_id, name, platform,"
        " public_key) values ($1, $2, $3, $4, $5::bytea)"
        " on conflict (user_id, device_id) do update"
        " set public_key = excluded.public_key, name = excluded.name,"
        "     platform = excluded.platform, enrolled_at = now()"
        " returning north.rfc3339(enrolled_at)", 5, 1);

static ngx_http_north_pg_stmt_t  north_auth_device_key_stmt =
    ngx_http_north_pg_stmt_rows("north_auth_device_key",
        "select d.public_key, d.name, d.platform, u.email"
        " from north.devices d join north.users u on u.id = d.user_id"
        " where d.user_id = $1 and d.device_id = $2", 2, 4);

static ngx_http_north_pg_stmt_t  north_auth_bio_session_stmt =
    ngx_http_north_pg_stmt("north_auth_bio_session",
        "select north.auth_session_open($1, 'biometric', $2::inet, $3, $4, $5,"
        " $6::bytea, $7::interval)", 7, 1);

static ngx_http_north_pg_stmt_t  north_auth_remove_stmt =
    ngx_http_north_pg_stmt_rows("north_auth_remove",
        "delete from north.devices where user_id = $1 and device_id = $2"
        " returning 1", 2, 1);


/* POST /v1/auth/biometric/enroll */

ngx_int_t
north_auth_enroll(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_enroll_body);
}


static ngx_int_t
north_auth_enroll_body(ngx_http_request_t *r, json_t *body)
{
    u_char                     *hex, *p;
    const char                 *values[5];
    size_t                      i;
    EVP_PKEY                   *pkey;
    ngx_str_t                   b64, der, name;
    north_auth_ctx_t           *ctx;
    ngx_http_north_fields_t     f;
    const u_char               *dp;
    char                        group[64];
    size_t                      glen;

    static const char *const  fields[] = {
        "device_id", "public_key", "name", "platform", NULL
    };

    ngx_str_null(&der);

    values[0] = ngx_http_north_caller(r);
    ctx = north_auth_fields(r, body, &f, fields);

    if (values[0] == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    (void) ngx_http_north_field_string(&f, "device_id", 1, 1, 128,
                                       &ctx->device_id);
    (void) ngx_http_north_field_string(&f, "name", 0, 0, 128, &name);
    ctx->device_name = (char *) name.data;
    ctx->platform = ngx_http_north_field_enum(&f, "platform", 0,
                                              north_auth_platforms);

    if (ngx_http_north_field_string(&f, "public_key", 1, 1, 1024, &b64)
        == NGX_OK)
    {
        der.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(b64.len));
        if (der.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        pkey = NULL;

        if (ngx_decode_base64(&der, &b64) == NGX_OK) {
            dp = der.data;
            pkey = d2i_PUBKEY(NULL, &dp, der.len);
        }

        if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC
            || !EVP_PKEY_get_utf8_string_param(pkey,
                                               OSSL_PKEY_PARAM_GROUP_NAME,
                                               group, sizeof(group), &glen)
            || ngx_strcmp(group, "prime256v1") != 0)
        {
            ngx_http_north_fields_error(&f, "public_key",
                                        "must be a base64 P-256 "
                                        "SubjectPublicKeyInfo");
        }

        EVP_PKEY_free(pkey);
    }

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    /* bytea in hex: \x and two digits a byte */
    hex = ngx_pnalloc(r->pool, 2 + der.len * 2 + 1);
    if (hex == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(hex, "\\x", 2);
    for (i = 0; i < der.len; i++) {
        p = ngx_sprintf(p, "%02xd", der.data[i]);
    }
    *p = '\0';

    values[1] = (char *) ctx->device_id.data;
    values[2] = ctx->device_name;
    values[3] = ctx->platform;
    values[4] = (char *) hex;

    return ngx_http_north_pg_query(r, &north_auth_enroll_stmt, values,
                                   north_auth_enroll_done, ctx);
}


static ngx_int_t
north_auth_enroll_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    return ngx_http_north_json_send(r, NGX_HTTP_CREATED,
               json_pack("{s:s, s:s}", "device_id",
                         (char *) ctx->device_id.data,
                         "enrolled_at", PQgetvalue(res, 0, 0)));
}


/* POST /v1/auth/biometric/challenge */

ngx_int_t
north_auth_challenge(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_challenge_body);
}


static ngx_int_t
north_auth_challenge_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                 key;
    size_t                    n;
    const char               *argv[6];
    size_t                    argvlen[6];
    north_auth_ctx_t         *ctx;
    ngx_http_north_fields_t   f;
    u_char                    rnd[32];
    char                     *challenge;

    static const char *const  fields[] = { "user_id", "device_id", NULL };

    ctx = north_auth_fields(r, body, &f, fields);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    north_auth_str(r, &ctx->user_id,
                   ngx_http_north_field_uuid(&f, "user_id", 1));
    (void) ngx_http_north_field_string(&f, "device_id", 1, 1, 128,
                                       &ctx->device_id);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    challenge = ngx_pnalloc(r->pool, 44);

    if (challenge == NULL || RAND_bytes(rnd, 32) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = north_b64url_encode(rnd, 32, challenge);
    challenge[n] = '\0';
    ctx->challenge.data = (u_char *) challenge;
    ctx->challenge.len = n;

    if (ngx_http_north_user_key(r->pool, &ctx->user_id, "bio",
                                &ctx->challenge, &key)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Single use: verify takes it with GETDEL. Given whether or not the
     * device exists, so that the answer tells nothing about accounts.
     */
    argv[0] = "SET";
    argv[1] = (char *) key.data;
    argvlen[1] = key.len;
    argv[2] = (char *) ctx->device_id.data;
    argv[3] = "EX";
    argv[4] = "60";
    argv[5] = "NX";

    argvlen[0] = 3;
    argvlen[2] = ctx->device_id.len;
    argvlen[3] = 2;
    argvlen[4] = 2;
    argvlen[5] = 2;

    return ngx_http_north_redis_query(r, 6, argv, argvlen,
                                      north_auth_challenge_done, ctx);
}


static ngx_int_t
north_auth_challenge_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
        return north_auth_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                  "unavailable",
                                  "Service temporarily unavailable",
                                  reply ? "the challenge was not stored"
                                  : ngx_http_north_redis_status_text(status));
    }

    return ngx_http_north_json_send(r, NGX_HTTP_OK,
               json_pack("{s:s, s:i}", "challenge",
                         (char *) ctx->challenge.data,
                         "expires_in", NORTH_AUTH_CHALLENGE_TTL));
}


/* POST /v1/auth/biometric/verify */

ngx_int_t
north_auth_verify(ngx_http_request_t *r)
{
    return ngx_http_north_json_read(r, north_auth_verify_body);
}


static ngx_int_t
north_auth_verify_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                 key;
    const char               *argv[2];
    size_t                    argvlen[2];
    north_auth_ctx_t         *ctx;
    ngx_http_north_fields_t   f;

    static const char *const  fields[] = {
        "user_id", "device_id", "challenge", "signature", NULL
    };

    ctx = north_auth_fields(r, body, &f, fields);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    north_auth_str(r, &ctx->user_id,
                   ngx_http_north_field_uuid(&f, "user_id", 1));
    (void) ngx_http_north_field_string(&f, "device_id", 1, 1, 128,
                                       &ctx->device_id);
    (void) ngx_http_north_field_string(&f, "challenge", 1, 43, 43,
                                       &ctx->challenge);
    (void) ngx_http_north_field_string(&f, "signature", 1, 1, 256,
                                       &ctx->signature);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    /* sized by what came, in bytes: 43 characters may be 172 of them */
    if (ngx_http_north_user_key(r->pool, &ctx->user_id, "bio",
                                &ctx->challenge, &key)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* take the challenge: a second use finds nothing */
    argv[0] = "GETDEL";
    argvlen[0] = 6;
    argv[1] = (char *) key.data;
    argvlen[1] = key.len;

    return ngx_http_north_redis_query(r, 2, argv, argvlen,
                                      north_auth_verify_claimed, ctx);
}


static ngx_int_t
north_auth_verify_claimed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    const char  *values[2];

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        return north_auth_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                  "unavailable",
                                  "Service temporarily unavailable",
                                  reply ? "the challenge could not be read"
                                  : ngx_http_north_redis_status_text(status));
    }

    if (reply->type != REDIS_REPLY_STRING
        || reply->len != ctx->device_id.len
        || ngx_strncmp(reply->str, ctx->device_id.data, reply->len) != 0)
    {
        return north_auth_problem(r, NGX_HTTP_UNAUTHORIZED,
                                  "invalid-challenge", "Biometric login failed",
                                  "the challenge is unknown, used, expired or "
                                  "for another device");
    }

    values[0] = (char *) ctx->user_id.data;
    values[1] = (char *) ctx->device_id.data;

    return ngx_http_north_pg_query(r, &north_auth_device_key_stmt, values,
                                   north_auth_verify_key, ctx);
}


static ngx_int_t
north_auth_verify_key(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    int            ok;
    size_t         len;
    u_char        *der;
    EVP_PKEY      *pkey;
    ngx_str_t      b64, sig;
    EVP_MD_CTX    *md;
    const u_char  *dp;

    struct {
        const char                   *user_id;
        north_auth_session_params_t   session;
    } p;

    ok = 0;

    if (PQntuples(res) == 1) {
        der = PQunescapeBytea((u_char *) PQgetvalue(res, 0, 0), &len);
        dp = der;
        pkey = der ? d2i_PUBKEY(NULL, &dp, len) : NULL;
        PQfreemem(der);

        b64 = ctx->signature;
        sig.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(b64.len));

        /* ECDSA P-256 over the challenge's text, SHA-256, DER signature */
        if (pkey != NULL && sig.data != NULL
            && ngx_decode_base64(&sig, &b64) == NGX_OK)
        {
            md = EVP_MD_CTX_new();
            ok = md != NULL
                 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey)
                    == 1
                 && EVP_DigestVerify(md, sig.data, sig.len,
                                     ctx->challenge.data,
                                     ctx->challenge.len) == 1;
            EVP_MD_CTX_free(md);
        }

        EVP_PKEY_free(pkey);
    }

    if (!ok) {
        return north_auth_problem(r, NGX_HTTP_UNAUTHORIZED,
                                  "invalid-signature", "Biometric login failed",
                                  "the signature does not verify");
    }

    ctx->device_name = PQgetisnull(res, 0, 1)
                       ? NULL : north_auth_dup(r, PQgetvalue(res, 0, 1));
    ctx->platform = PQgetisnull(res, 0, 2)
                    ? NULL : north_auth_dup(r, PQgetvalue(res, 0, 2));
    ctx->email = north_auth_dup(r, PQgetvalue(res, 0, 3));

    if (ctx->email == NULL || north_auth_new_refresh(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p.user_id = (char *) ctx->user_id.data;
    north_auth_session_params(r, ctx, &p.session);

    return ngx_http_north_pg_query_named(r, &north_auth_bio_session_stmt, &p,
                                         north_auth_verify_done, ctx);
}


static ngx_int_t
north_auth_verify_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    north_auth_ctx_t  *ctx = data;

    north_auth_str(r, &ctx->session_id, PQgetvalue(res, 0, 0));

    return north_auth_tokens(r, NGX_HTTP_OK, ctx);
}


/* DELETE /v1/auth/biometric/{device_id} */

ngx_int_t
north_auth_remove(ngx_http_request_t *r)
{
    ngx_str_t                   device;
    const char                 *values[2];

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    ngx_http_north_path_id(r, &device);

    if (device.len == 0 || device.len > 128) {
        return north_auth_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such device");
    }

    north_auth_strn(r, &device, device.data, device.len);

    values[1] = (char *) device.data;

    if (values[1] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r, &north_auth_remove_stmt, values,
                                   north_auth_remove_done, NULL);
}


static ngx_int_t
north_auth_remove_done(ngx_http_request_t *r, void *data, PGresult *res,
    ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return north_auth_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", "no such device");
    }

    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}
