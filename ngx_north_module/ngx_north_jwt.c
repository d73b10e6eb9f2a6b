/*
 * North edge JWT module: verifies the bearer token in the rewrite phase
 * (before `return`, and before the limiter so that limits can key on the
 * user), then checks that its session is live: Redis first, PostgreSQL on a
 * miss or when Redis is down.
 */

#include "ngx_north_jwt.h"
#include "ngx_north_pg.h"
#include "ngx_north_redis.h"
#include "ngx_north_json.h"
#include "ngx_north_trace.h"
#include "north_jwt.h"

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>


#define NGX_HTTP_NORTH_JWT_OFF       0
#define NGX_HTTP_NORTH_JWT_ON        1
#define NGX_HTTP_NORTH_JWT_OPTIONAL  2


typedef struct {
    ngx_array_t                 *keys;         /* north_jwt_key_t */
    ngx_str_t                    issuer;
    ngx_str_t                    audience;
    time_t                       leeway;
    time_t                       max_age;
    time_t                       ttl;
    time_t                       refresh_ttl;
    ngx_uint_t                   used;         /* some location wants it */
    north_jwt_policy_t           policy;
} ngx_http_north_jwt_main_conf_t;


typedef struct {
    ngx_uint_t                   mode;
} ngx_http_north_jwt_loc_conf_t;


typedef struct {
    ngx_http_north_identity_t    identity;
    ngx_uint_t                   verified;
    ngx_uint_t                   done;
    ngx_uint_t                   waiting;      /* the phase handler left */
    ngx_int_t                    live;         /* 1, 0, or -1: no answer */
    ngx_int_t                    status;       /* why no answer */
    ngx_uint_t                   redis_up;     /* re-cache after PostgreSQL */
    ngx_str_t                    cache_key;
} ngx_http_north_jwt_ctx_t;


static ngx_int_t ngx_http_north_jwt_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_north_jwt_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_north_jwt_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_north_jwt_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_north_jwt_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_north_jwt_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_north_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_north_jwt_key_file(ngx_conf_t *cf, north_jwt_key_t *key,
    ngx_str_t *file);
static void ngx_http_north_jwt_key_cleanup(void *data);

static ngx_int_t ngx_http_north_jwt_verify(ngx_http_request_t *r,
    ngx_str_t *token, north_jwt_claims_t *claims, const char **why);
static ngx_int_t ngx_http_north_jwt_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_jwt_reject(ngx_http_request_t *r,
    const char *error, const char *detail);
static void ngx_http_north_jwt_redis_done(void *data, redisReply *reply,
    ngx_int_t status);
static void ngx_http_north_jwt_pg_done(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_jwt_resume(ngx_http_request_t *r,
    ngx_int_t live, ngx_int_t status);
static ngx_int_t ngx_http_north_jwt_finish(ngx_http_request_t *r,
    ngx_int_t live, ngx_int_t status);
static ngx_int_t ngx_http_north_jwt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_north_session_key(ngx_pool_t *pool,
    ngx_str_t *user_id, ngx_str_t *session_id, ngx_str_t *key);
static void ngx_http_north_jwt_revoked(ngx_http_north_pg_op_t *op,
    PGresult *res, ngx_int_t status);
static void ngx_http_north_session_set(ngx_pool_t *pool, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_uint_t live,
    ngx_http_north_redis_handler_pt handler, void *data);
static void ngx_http_north_session_cached(void *data, redisReply *reply,
    ngx_int_t status);


static ngx_conf_enum_t  ngx_http_north_jwt_modes[] = {
    { ngx_string("off"), NGX_HTTP_NORTH_JWT_OFF },
    { ngx_string("on"), NGX_HTTP_NORTH_JWT_ON },
    { ngx_string("optional"), NGX_HTTP_NORTH_JWT_OPTIONAL },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_north_jwt_commands[] = {

    { ngx_string("north_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_loc_conf_t, mode),
      &ngx_http_north_jwt_modes },

    { ngx_string("north_jwt_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3|NGX_CONF_TAKE4,
      ngx_http_north_jwt_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("north_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_main_conf_t, issuer),
      NULL },

    { ngx_string("north_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_main_conf_t, audience),
      NULL },

    { ngx_string("north_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_main_conf_t, leeway),
      NULL },

    { ngx_string("north_jwt_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_main_conf_t, max_age),
      NULL },

    { ngx_string("north_jwt_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_main_conf_t, ttl),
      NULL },

    { ngx_string("north_jwt_refresh_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_north_jwt_main_conf_t, refresh_ttl),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_north_jwt_module_ctx = {
    ngx_http_north_jwt_preconfiguration,   /* preconfiguration */
    ngx_http_north_jwt_postconfiguration,  /* postconfiguration */

    ngx_http_north_jwt_create_main_conf,   /* create main configuration */
    ngx_http_north_jwt_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_north_jwt_create_loc_conf,    /* create location configuration */
    ngx_http_north_jwt_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_north_jwt_module = {
    NGX_MODULE_V1,
    &ngx_http_north_jwt_module_ctx,        /* module context */
    ngx_http_north_jwt_commands,           /* module directives */
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


static ngx_http_variable_t  ngx_http_north_jwt_vars[] = {

    { ngx_string("north_user_id"), NULL, ngx_http_north_jwt_variable,
      offsetof(ngx_http_north_identity_t, user_id), 0, 0 },

    { ngx_string("north_session_id"), NULL, ngx_http_north_jwt_variable,
      offsetof(ngx_http_north_identity_t, session_id), 0, 0 },

      ngx_http_null_variable
};


/*
 * Tokens this worker verified: a client sends the same one for 15 minutes,
 * so its signature and claims are checked once; the clock-bound checks and
 * the session check still run on every request. Direct-mapped by hash.
 */
#define NGX_HTTP_NORTH_JWT_CACHE  1024

typedef struct {
    u_char                      *token;        /* heap copy; NULL: empty */
    size_t                       len;
    north_jwt_claims_t           claims;
} ngx_http_north_jwt_cached_t;

static ngx_http_north_jwt_cached_t  *ngx_http_north_jwt_cache;

/* Redis came back: its "live" entries wait until the revocations it missed
 * are written again */
static ngx_uint_t                    ngx_http_north_jwt_cache_suspect;
static volatile ngx_cycle_t         *ngx_http_north_jwt_cache_cycle;


static ngx_http_north_pg_stmt_t  ngx_http_north_jwt_revoked_stmt =
    ngx_http_north_pg_stmt("north_jwt_revoked",
        "select user_id::text, id::text from north.sessions"
        " where revoked_at >= to_timestamp($1::bigint) - interval '5 seconds'",
        1, 2);

static ngx_http_north_pg_stmt_t  ngx_http_north_jwt_session_stmt =
    ngx_http_north_pg_stmt("north_jwt_session",
        "select revoked_at is null from north.sessions"
        " where id = $1 and user_id = $2", 2, 1);


static ngx_int_t
ngx_http_north_jwt_preconfiguration(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_north_jwt_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, NGX_HTTP_VAR_NOCACHEABLE);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_north_jwt_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt             *h;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_http_north_jwt_main_conf_t  *jmcf;

    jmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_jwt_module);

    if (jmcf->used && jmcf->keys->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"north_jwt\" is on but no \"north_jwt_key\" "
                           "is configured");
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * The rewrite phase, not preaccess: `return` and `rewrite` run there,
     * and must not answer for a protected location before its token is
     * checked. Registered after ngx_http_rewrite_module's, ours runs first.
     */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_north_jwt_handler;

    return NGX_OK;
}


static void *
ngx_http_north_jwt_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_north_jwt_main_conf_t  *jmcf;

    jmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_jwt_main_conf_t));
    if (jmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     jmcf->issuer = { 0, NULL };
     *     jmcf->audience = { 0, NULL };
     *     jmcf->used = 0;
     *     jmcf->policy = { 0 };
     */

    jmcf->keys = ngx_array_create(cf->pool, 2, sizeof(north_jwt_key_t));
    if (jmcf->keys == NULL) {
        return NULL;
    }

    jmcf->leeway = NGX_CONF_UNSET;
    jmcf->max_age = NGX_CONF_UNSET;
    jmcf->ttl = NGX_CONF_UNSET;
    jmcf->refresh_ttl = NGX_CONF_UNSET;

    return jmcf;
}


static char *
ngx_http_north_jwt_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_north_jwt_main_conf_t  *jmcf = conf;

    if (jmcf->issuer.data == NULL) {
        ngx_str_set(&jmcf->issuer, "north");
    }

    if (jmcf->audience.data == NULL) {
        ngx_str_set(&jmcf->audience, "north-app");
    }

    ngx_conf_init_value(jmcf->leeway, 30);
    ngx_conf_init_value(jmcf->ttl, 900);
    ngx_conf_init_value(jmcf->max_age, jmcf->ttl);
    ngx_conf_init_value(jmcf->refresh_ttl, 30 * 86400);

    /* ngx_conf_set_str_slot() leaves the values NUL-terminated */
    jmcf->policy.issuer = (char *) jmcf->issuer.data;
    jmcf->policy.audience = (char *) jmcf->audience.data;
    jmcf->policy.leeway = jmcf->leeway;
    jmcf->policy.max_age = jmcf->max_age;

    return NGX_CONF_OK;
}


static void *
ngx_http_north_jwt_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_north_jwt_loc_conf_t  *jlcf;

    jlcf = ngx_palloc(cf->pool, sizeof(ngx_http_north_jwt_loc_conf_t));
    if (jlcf == NULL) {
        return NULL;
    }

    jlcf->mode = NGX_CONF_UNSET_UINT;

    return jlcf;
}


static char *
ngx_http_north_jwt_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_north_jwt_loc_conf_t  *prev = parent;
    ngx_http_north_jwt_loc_conf_t  *conf = child;

    ngx_http_north_jwt_main_conf_t  *jmcf;

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_NORTH_JWT_OFF);

    if (conf->mode != NGX_HTTP_NORTH_JWT_OFF) {
        jmcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_north_jwt_module);
        jmcf->used = 1;
    }

    return NGX_CONF_OK;
}


/*
 * north_jwt_key kid=ID|auto alg=HS256 env=NAME|secret=S [optional], or
 * alg=ES256 file=PEM. kid=auto names an HS256 key by a digest of it, so
 * that a rotation moves secrets, not configuration; with optional, an
 * env=NAME that is not set names no key (the one being retired).
 */

static char *
ngx_http_north_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_jwt_main_conf_t  *jmcf = conf;

    char                        *env;
    u_char                       auto_kid[17], md[EVP_MAX_MD_SIZE];
    unsigned int                 mdlen;
    ngx_str_t                   *value, kid, alg, src, secret, shown, file;
    ngx_uint_t                   i, n, optional, hs256;
    north_jwt_key_t             *key;
    ngx_http_north_main_conf_t  *mcf;

    value = cf->args->elts;

    ngx_str_null(&kid);
    ngx_str_null(&alg);
    ngx_str_null(&src);
    ngx_str_null(&file);
    ngx_str_null(&secret);
    optional = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "kid=", 4) == 0) {
            kid.data = value[i].data + 4;
            kid.len = value[i].len - 4;

        } else if (ngx_strncmp(value[i].data, "alg=", 4) == 0) {
            alg.data = value[i].data + 4;
            alg.len = value[i].len - 4;

        } else if (ngx_strncmp(value[i].data, "env=", 4) == 0) {
            src = value[i];

        } else if (ngx_strncmp(value[i].data, "secret=", 7) == 0) {
            src.data = value[i].data + 7;
            src.len = value[i].len - 7;

        } else if (ngx_strncmp(value[i].data, "file=", 5) == 0) {
            file.data = value[i].data + 5;
            file.len = value[i].len - 5;

        } else if (ngx_strcmp(value[i].data, "optional") == 0) {
            optional = 1;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"north_jwt_key\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (kid.len == 0 || kid.len > 64) {
        return "needs kid=ID of 1 to 64 characters";
    }

    if (optional) {
        if (src.len <= 4 || ngx_strncmp(src.data, "env=", 4) != 0) {
            return "is optional only with env=NAME";
        }

        mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_module);
        mcf->env_read = 1;

        env = getenv((char *) src.data + 4);
        if (env == NULL || *env == '\0') {
            return NGX_CONF_OK;
        }
    }

    hs256 = (alg.len == 5 && ngx_strncmp(alg.data, "HS256", 5) == 0);

    if (!hs256 && !(alg.len == 5 && ngx_strncmp(alg.data, "ES256", 5) == 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unsupported alg \"%V\" in \"north_jwt_key\": "
                           "HS256 or ES256", &alg);
        return NGX_CONF_ERROR;
    }

    if (hs256) {
        if (src.len == 0) {
            return "with alg=HS256 needs env=NAME or secret=VALUE";
        }

        if (ngx_http_north_conf_value(cf, &src, &secret, &shown)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        /* RFC 7518 §3.2: a key at least as long as the hash */
        if (secret.len < 32) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the HS256 secret of kid \"%V\" in "
                               "\"north_jwt_key\" is %uz bytes: 32 or more "
                               "are needed", &kid, secret.len);
            return NGX_CONF_ERROR;
        }

        /* auto: 8 bytes of an HMAC of a fixed text, which tells nothing */
        if (kid.len == 4 && ngx_strncmp(kid.data, "auto", 4) == 0) {
            if (HMAC(EVP_sha256(), secret.data, (int) secret.len,
                     (u_char *) "north jwt kid", 13, md, &mdlen)
                == NULL)
            {
                return "could not name the key (HMAC failed)";
            }

            *ngx_hex_dump(auto_kid, md, 8) = '\0';
            kid.data = auto_kid;
            kid.len = 16;
        }

    } else if (kid.len == 4 && ngx_strncmp(kid.data, "auto", 4) == 0) {
        return "takes kid=auto for alg=HS256 keys only";
    }

    key = jmcf->keys->elts;

    for (n = 0; n < jmcf->keys->nelts; n++) {
        if (ngx_strlen(key[n].kid) == kid.len
            && ngx_strncmp(key[n].kid, kid.data, kid.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate kid \"%V\" in \"north_jwt_key\"",
                               &kid);
            return NGX_CONF_ERROR;
        }
    }

    key = ngx_array_push(jmcf->keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(key, sizeof(north_jwt_key_t));
    ngx_memcpy(key->kid, kid.data, kid.len);

    if (hs256) {
        key->alg = NORTH_JWT_HS256;
        key->secret = secret.data;
        key->secret_len = secret.len;
        return NGX_CONF_OK;
    }

    key->alg = NORTH_JWT_ES256;

    if (file.len == 0) {
        return "with alg=ES256 needs file=PEM";
    }

    return ngx_http_north_jwt_key_file(cf, key, &file);
}


static char *
ngx_http_north_jwt_key_file(ngx_conf_t *cf, north_jwt_key_t *key,
    ngx_str_t *file)
{
    BIO                 *bio;
    EVP_PKEY            *pkey;
    ngx_pool_cleanup_t  *cln;
    char                 group[64];
    size_t               glen;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    bio = BIO_new_file((char *) file->data, "r");
    if (bio == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot open \"%V\" in \"north_jwt_key\"", file);
        return NGX_CONF_ERROR;
    }

    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

    if (pkey == NULL) {
        (void) BIO_reset(bio);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }

    BIO_free(bio);

    if (pkey == NULL
        || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC
        || !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), &glen)
        || ngx_strcmp(group, "prime256v1") != 0)
    {
        EVP_PKEY_free(pkey);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" in \"north_jwt_key\" is not a P-256 key "
                           "in PEM", file);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        EVP_PKEY_free(pkey);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_north_jwt_key_cleanup;
    cln->data = pkey;

    key->pkey = pkey;

    return NGX_CONF_OK;
}


static void
ngx_http_north_jwt_key_cleanup(void *data)
{
    EVP_PKEY_free(data);
}


static ngx_int_t
ngx_http_north_jwt_handler(ngx_http_request_t *r)
{
    u_char                          *p, *last;
    size_t                           len;
    ngx_int_t                        rc;
    ngx_str_t                        token;
    const char                      *why;
    const char                      *argv[2];
    size_t                           argvlen[2];
    north_jwt_claims_t               claims;
    ngx_http_north_jwt_ctx_t        *ctx;
    ngx_http_north_main_conf_t      *mcf;
    ngx_http_north_jwt_loc_conf_t   *jlcf;

    jlcf = ngx_http_get_module_loc_conf(r, ngx_http_north_jwt_module);

    if (jlcf->mode == NGX_HTTP_NORTH_JWT_OFF || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_jwt_module);

    if (ctx != NULL) {
        /* resumed after the session check: it was live */
        return ctx->done ? NGX_DECLINED : NGX_DONE;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_north_jwt_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_north_jwt_module);

    if (r->headers_in.authorization == NULL) {
        if (jlcf->mode == NGX_HTTP_NORTH_JWT_OPTIONAL) {
            ctx->done = 1;
            return NGX_DECLINED;
        }

        return ngx_http_north_jwt_reject(r, NULL,
                                         "an access token is required");
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    if (last - p < 7 || ngx_strncasecmp(p, (u_char *) "Bearer ", 7) != 0) {
        return ngx_http_north_jwt_reject(r, "invalid_request",
                                         "use the Bearer scheme");
    }

    p += 7;

    while (p < last && *p == ' ') {
        p++;
    }

    token.data = p;
    token.len = last - p;

    if (ngx_http_north_jwt_verify(r, &token, &claims, &why) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "north jwt: token refused: %s", why);
        return ngx_http_north_jwt_reject(r, "invalid_token",
                                         "the access token is not valid");
    }

    len = ngx_strlen(claims.sub);
    ctx->identity.user_id.data = ngx_pnalloc(r->pool, len + 1);
    len = ngx_strlen(claims.sid);
    ctx->identity.session_id.data = ngx_pnalloc(r->pool, len + 1);

    if (ctx->identity.user_id.data == NULL
        || ctx->identity.session_id.data == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->identity.user_id.len = ngx_cpystrn(ctx->identity.user_id.data,
                                            (u_char *) claims.sub, 65)
                                - ctx->identity.user_id.data;
    ctx->identity.session_id.len = ngx_cpystrn(ctx->identity.session_id.data,
                                               (u_char *) claims.sid, 65)
                                   - ctx->identity.session_id.data;
    ctx->verified = 1;

    /* is the session still live? Redis first */
    if (ngx_http_north_session_key(r->pool, &ctx->identity.user_id,
                                   &ctx->identity.session_id, &ctx->cache_key)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    argv[0] = "GET";
    argvlen[0] = 3;
    argv[1] = (char *) ctx->cache_key.data;
    argvlen[1] = ctx->cache_key.len;

    rc = ngx_http_north_redis_send(mcf->rd, r->pool, 2, argv, argvlen,
                                   ngx_http_north_jwt_redis_done, r);

    if (rc == NGX_OK) {
        ngx_http_north_wait_begin(r, NGX_HTTP_NORTH_WAIT_REDIS);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        /* Redis is down: ask PostgreSQL */
        ngx_http_north_jwt_redis_done(r, NULL, rc);

        if (ctx->done) {
            return ngx_http_north_jwt_finish(r, ctx->live, ctx->status);
        }
    }

    ctx->waiting = 1;

    if (r->read_event_handler == ngx_http_block_reading) {
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_north_jwt_verify(ngx_http_request_t *r, ngx_str_t *token,
    north_jwt_claims_t *claims, const char **why)
{
    time_t                           now;
    ngx_uint_t                       i;
    ngx_http_north_jwt_cached_t     *c;
    ngx_http_north_jwt_main_conf_t  *jmcf;

    jmcf = ngx_http_get_module_main_conf(r, ngx_http_north_jwt_module);
    now = ngx_time();

    /* a reload in this process may have changed the keys: start afresh */
    if (ngx_http_north_jwt_cache_cycle != ngx_cycle) {
        if (ngx_http_north_jwt_cache) {
            for (i = 0; i < NGX_HTTP_NORTH_JWT_CACHE; i++) {
                ngx_free(ngx_http_north_jwt_cache[i].token);
            }

            ngx_free(ngx_http_north_jwt_cache);
        }

        ngx_http_north_jwt_cache = ngx_calloc(NGX_HTTP_NORTH_JWT_CACHE
                                              * sizeof(ngx_http_north_jwt_cached_t),
                                              ngx_cycle->log);
        ngx_http_north_jwt_cache_cycle = ngx_cycle;
    }

    c = NULL;

    if (ngx_http_north_jwt_cache) {
        c = &ngx_http_north_jwt_cache[ngx_murmur_hash2(token->data, token->len)
                                      % NGX_HTTP_NORTH_JWT_CACHE];

        if (c->token && c->len == token->len
            && ngx_memcmp(c->token, token->data, token->len) == 0)
        {
            /* what time changes; the rest held when it was verified */
            if (c->claims.exp + jmcf->policy.leeway <= now) {
                *why = "expired";
                return NGX_DECLINED;
            }

            if (jmcf->policy.max_age
                && now - c->claims.iat > jmcf->policy.max_age
                                         + jmcf->policy.leeway)
            {
                *why = "too old (iat)";
                return NGX_DECLINED;
            }

            *claims = c->claims;
            return NGX_OK;
        }
    }

    if (north_jwt_verify((char *) token->data, token->len, jmcf->keys->elts,
                         jmcf->keys->nelts, &jmcf->policy, now, claims, why)
        != 0)
    {
        return NGX_DECLINED;
    }

    if (c) {
        ngx_free(c->token);
        c->token = ngx_alloc(token->len, ngx_cycle->log);

        if (c->token) {
            ngx_memcpy(c->token, token->data, token->len);
            c->len = token->len;
            c->claims = *claims;
        }
    }

    return NGX_OK;
}


/* 401 problem with the RFC 6750 challenge; the request ends here. */

static ngx_int_t
ngx_http_north_jwt_reject(ngx_http_request_t *r, const char *error,
    const char *detail)
{
    u_char           *p;
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, 64);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;
    h->value.len = error
                   ? ngx_sprintf(p, "Bearer realm=\"north\", error=\"%s\"",
                                 error) - p
                   : ngx_sprintf(p, "Bearer realm=\"north\"") - p;

    rc = ngx_http_north_problem(r, NGX_HTTP_UNAUTHORIZED, "unauthorized",
                                "Unauthorized", detail, NULL);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


static void
ngx_http_north_jwt_redis_done(void *data, redisReply *reply, ngx_int_t status)
{
    ngx_http_request_t  *r = data;

    ngx_int_t                    rc;
    const char                  *values[2];
    ngx_http_north_jwt_ctx_t    *ctx;
    ngx_http_north_main_conf_t  *mcf;

    ngx_http_north_wait_end(r, NGX_HTTP_NORTH_WAIT_REDIS);

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_jwt_module);

    /* a "live" entry is not trusted while missed revocations are rewritten */
    if (reply != NULL && reply->type == REDIS_REPLY_STRING
        && !(ngx_http_north_jwt_cache_suspect
             && reply->len == 1 && reply->str[0] == '1'))
    {
        ngx_http_north_jwt_resume(r, reply->len == 1 && reply->str[0] == '1',
                                  NGX_OK);
        return;
    }

    /* a miss, or Redis is down: PostgreSQL holds the truth */
    ctx->redis_up = (reply != NULL && reply->type == REDIS_REPLY_NIL);

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);

    values[0] = (char *) ctx->identity.session_id.data;
    values[1] = (char *) ctx->identity.user_id.data;

    rc = ngx_http_north_pg_send(mcf->pg, r->pool,
                                &ngx_http_north_jwt_session_stmt, values,
                                ngx_http_north_jwt_pg_done, r);

    if (rc != NGX_OK) {
        ngx_http_north_jwt_resume(r, -1, rc);
        return;
    }

    ngx_http_north_wait_begin(r, NGX_HTTP_NORTH_WAIT_PG);
}


static void
ngx_http_north_jwt_pg_done(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_int_t                  live;
    ngx_http_request_t        *r;
    ngx_http_north_jwt_ctx_t  *ctx;

    r = op->data;

    ngx_http_north_wait_end(r, NGX_HTTP_NORTH_WAIT_PG);

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_http_north_jwt_resume(r, -1, res ? NGX_HTTP_NORTH_PG_FAILED
                                             : status);
        return;
    }

    live = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';

    ctx = ngx_http_get_module_ctx(r, ngx_http_north_jwt_module);

    if (ctx->redis_up) {
        ngx_http_north_session_cache(r, &ctx->identity.user_id,
                                     &ctx->identity.session_id, live);
    }

    ngx_http_north_jwt_resume(r, live, NGX_OK);
}


/*
 * The session check ended: live 1 goes on to the next phase, 0 is a 401,
 * -1 (no answer: status says why) a 503. Called from the handler itself
 * when nothing had to wait.
 */

static void
ngx_http_north_jwt_resume(ngx_http_request_t *r, ngx_int_t live,
    ngx_int_t status)
{
    ngx_int_t                  rc;
    ngx_connection_t          *c;
    ngx_http_north_jwt_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_north_jwt_module);
    ctx->done = 1;

    if (!ctx->waiting) {
        /* still inside the phase handler, which finishes */
        ctx->live = live;
        ctx->status = status;
        return;
    }

    if (live == 1 && r->read_event_handler == ngx_http_test_reading) {
        r->read_event_handler = ngx_http_block_reading;
    }

    /* the request may be gone after this: ctx with it */
    rc = ngx_http_north_jwt_finish(r, live, status);

    if (rc == NGX_DECLINED) {
        ngx_http_core_run_phases(r);
    }

    ngx_http_run_posted_requests(c);
}


/*
 * What the phase handler returns for a session check's outcome: on to the
 * next handler when live, else the request is answered and finalized here.
 */

static ngx_int_t
ngx_http_north_jwt_finish(ngx_http_request_t *r, ngx_int_t live,
    ngx_int_t status)
{
    ngx_http_north_jwt_ctx_t  *ctx;

    if (live == 1) {
        return NGX_DECLINED;
    }

    if (live == 0) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_north_jwt_module);
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "north jwt: session %V is not live",
                      &ctx->identity.session_id);

        return ngx_http_north_jwt_reject(r, "invalid_token",
                                         "the session has ended");
    }

    ngx_http_finalize_request(r, ngx_http_north_pg_problem(r, status));

    return NGX_DONE;
}


ngx_http_north_identity_t *
ngx_http_north_jwt_identity(ngx_http_request_t *r)
{
    ngx_http_north_jwt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_north_jwt_module);

    if (ctx == NULL || !ctx->verified) {
        return NULL;
    }

    return &ctx->identity;
}


char *
ngx_http_north_caller(ngx_http_request_t *r)
{
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);

    return id ? (char *) id->user_id.data : NULL;
}


static ngx_int_t
ngx_http_north_jwt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                  *s;
    ngx_http_north_identity_t  *id;

    id = ngx_http_north_jwt_identity(r);

    if (id == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((u_char *) id + data);

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_north_jwt_issue(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_str_t *token)
{
    u_char                          *sub, *sid;
    ngx_http_north_jwt_main_conf_t  *jmcf;

    jmcf = ngx_http_get_module_main_conf(r, ngx_http_north_jwt_module);

    if (jmcf->keys->nelts == 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "north jwt: no north_jwt_key to sign with");
        return NGX_ERROR;
    }

    sub = ngx_pnalloc(r->pool, user_id->len + 1);
    sid = ngx_pnalloc(r->pool, session_id->len + 1);
    token->data = ngx_pnalloc(r->pool, NORTH_JWT_MAX_TOKEN);

    if (sub == NULL || sid == NULL || token->data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(sub, user_id->data, user_id->len + 1);
    ngx_cpystrn(sid, session_id->data, session_id->len + 1);

    /* the first key signs; the others only verify (rotation) */
    token->len = north_jwt_sign(jmcf->keys->elts, jmcf->policy.issuer,
                                jmcf->policy.audience, (char *) sub,
                                (char *) sid, ngx_time(), jmcf->ttl,
                                (char *) token->data, NORTH_JWT_MAX_TOKEN);

    return token->len ? NGX_OK : NGX_ERROR;
}


time_t
ngx_http_north_jwt_ttl(ngx_http_request_t *r)
{
    ngx_http_north_jwt_main_conf_t  *jmcf;

    jmcf = ngx_http_get_module_main_conf(r, ngx_http_north_jwt_module);

    return jmcf->ttl;
}


time_t
ngx_http_north_jwt_refresh_ttl(ngx_http_request_t *r)
{
    ngx_http_north_jwt_main_conf_t  *jmcf;

    jmcf = ngx_http_get_module_main_conf(r, ngx_http_north_jwt_module);

    return jmcf->refresh_ttl;
}


/* north:{USER}:session:SID */

static ngx_int_t
ngx_http_north_session_key(ngx_pool_t *pool, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_str_t *key)
{
    return ngx_http_north_user_key(pool, user_id, "session", session_id, key);
}


void
ngx_http_north_session_cache(ngx_http_request_t *r, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_uint_t live)
{
    /* the request may end first: the reply is then dropped, not lost */
    ngx_http_north_session_set(r->pool, user_id, session_id, live,
                               ngx_http_north_session_cached, r);
}


/*
 * The session's cache entry set to live ("1") or revoked ("0"), for as long
 * as an access token of it lasts; the command, allocated in pool, is in the
 * link's buffer at once and runs even if pool (and handler) go first.
 */

static void
ngx_http_north_session_set(ngx_pool_t *pool, ngx_str_t *user_id,
    ngx_str_t *session_id, ngx_uint_t live,
    ngx_http_north_redis_handler_pt handler, void *data)
{
    ngx_str_t                        key;
    const char                      *argv[5];
    size_t                           argvlen[5];
    u_char                           ttl[NGX_TIME_T_LEN];
    ngx_http_north_main_conf_t      *mcf;
    ngx_http_north_jwt_main_conf_t  *jmcf;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_north_module);
    jmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_north_jwt_module);

    if (ngx_http_north_session_key(pool, user_id, session_id, &key)
        != NGX_OK)
    {
        return;
    }

    /* an entry outlives no access token of the session */
    argv[0] = "SET";
    argv[1] = (char *) key.data;
    argv[2] = live ? "1" : "0";
    argv[3] = "EX";
    argv[4] = (char *) ttl;

    argvlen[0] = 3;
    argvlen[1] = key.len;
    argvlen[2] = 1;
    argvlen[3] = 2;
    argvlen[4] = ngx_sprintf(ttl, "%T", jmcf->ttl + jmcf->ttl / 10 + 60)
                 - ttl;

    (void) ngx_http_north_redis_send(mcf->rd, pool, 5, argv, argvlen,
                                     handler, data);
}


void
ngx_http_north_jwt_redis_recovered(ngx_http_north_main_conf_t *mcf,
    time_t since)
{
    ngx_pool_t  *pool;
    const char  *values[1];
    u_char       at[NGX_TIME_T_LEN + 1];

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    ngx_http_north_jwt_cache_suspect = 1;

    ngx_sprintf(at, "%T%Z", since);
    values[0] = (char *) at;

    if (ngx_http_north_pg_send(mcf->pg, pool, &ngx_http_north_jwt_revoked_stmt,
                               values, ngx_http_north_jwt_revoked, pool)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "north jwt: revocations since Redis failed not "
                      "replayed: no database");
        ngx_http_north_jwt_cache_suspect = 0;
        ngx_destroy_pool(pool);
    }
}


/* Each revoked session's entry set to "0", for as long as a live one lasts. */

static void
ngx_http_north_jwt_revoked(ngx_http_north_pg_op_t *op, PGresult *res,
    ngx_int_t status)
{
    ngx_pool_t  *pool = op->data;

    int        i, n;
    ngx_str_t  user_id, session_id;

    n = (res && PQresultStatus(res) == PGRES_TUPLES_OK) ? PQntuples(res) : 0;

    if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "north jwt: revocations since Redis failed not "
                      "replayed: %s",
                      ngx_http_north_pg_why(res, status));
    }

    for (i = 0; i < n; i++) {
        user_id.data = (u_char *) PQgetvalue(res, i, 0);
        user_id.len = PQgetlength(res, i, 0);
        session_id.data = (u_char *) PQgetvalue(res, i, 1);
        session_id.len = PQgetlength(res, i, 1);

        /* no reply is awaited: the pool goes below */
        ngx_http_north_session_set(pool, &user_id, &session_id, 0, NULL,
                                   NULL);
    }

    if (n) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "north jwt: %d sessions revoked since Redis failed "
                      "written to it again", n);
    }

    /* the SETs are ahead of any later GET in the link's pipeline */
    ngx_http_north_jwt_cache_suspect = 0;
    ngx_destroy_pool(pool);
}


static void
ngx_http_north_session_cached(void *data, redisReply *reply, ngx_int_t status)
{
    ngx_http_request_t  *r = data;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "north jwt: session cache not written: %s",
                      reply ? reply->str
                            : ngx_http_north_redis_status_text(status));
    }
}
