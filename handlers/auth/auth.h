/*
 * The authentication service's shared parts: a request's state, the new
 * session's parameters, and the helpers its three files use (auth.c:
 * accounts, logins and sessions; auth_password.c: the password change;
 * auth_biometric.c: device keys and biometric login).
 */

#ifndef _NORTH_AUTH_H_INCLUDED_
#define _NORTH_AUTH_H_INCLUDED_


#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_crypto.h"


#define NORTH_AUTH_CHALLENGE_TTL   60

/* a registration waits this long for its code (registration_start.sql) */
#define NORTH_AUTH_CODE_TTL        900
#define NORTH_AUTH_CODE_DIGITS     6

/* verified against when an e-mail is unknown, so that it takes as long */
#define NORTH_AUTH_DUMMY_HASH                                                 \
    "$argon2id$v=19$m=19456,t=2,p=1$bm9ydGgtZHVtbXktc2FsdA"                 \
    "$aaKeMLWUMFyDYSy4MnuBHhy4et1VzQvT/imeqVaSiR8"


/* A request's state across its continuations. */
typedef struct {
    json_t                    *body;
    const char                *email;
    const char                *password;
    const char                *new_password;
    const char                *consents;       /* a text[] literal */
    const char                *locale;
    const char                *province;
    ngx_str_t                  device_id;
    const char                *device_name;
    const char                *platform;
    ngx_str_t                  challenge;
    ngx_str_t                  signature;
    ngx_str_t                  user_id;
    ngx_str_t                  session_id;
    ngx_str_t                  refresh;        /* the token handed out */
    char                       refresh_hash[2 + 64 + 1];   /* \x + hex */
    char                       hash[NGX_HTTP_NORTH_HASH_LEN];
    char                       code[NORTH_AUTH_CODE_DIGITS + 1];
    ngx_uint_t                 known;          /* the e-mail has a user */
} north_auth_ctx_t;

/* The parameters of a new session, by name, in the order SQL takes them. */
typedef struct {
    const char                *ip;
    const char                *device_id;
    const char                *device_name;
    const char                *platform;
    const char                *refresh_hash;
    const char                *refresh_ttl;
} north_auth_session_params_t;


extern const char *const  north_auth_platforms[];


ngx_int_t north_auth_new_refresh(ngx_http_request_t *r,
    north_auth_ctx_t *ctx);
ngx_int_t north_auth_tokens(ngx_http_request_t *r, ngx_uint_t status,
    north_auth_ctx_t *ctx);
void north_auth_session_params(ngx_http_request_t *r,
    north_auth_ctx_t *ctx, north_auth_session_params_t *session);
north_auth_ctx_t *north_auth_ctx(ngx_http_request_t *r);
north_auth_ctx_t *north_auth_fields(ngx_http_request_t *r,
    json_t *body, ngx_http_north_fields_t *f, const char *const *allowed);
ngx_int_t north_auth_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const char *title, const char *detail);
void north_auth_strn(ngx_http_request_t *r, ngx_str_t *s,
    u_char *data, size_t len);
void north_auth_str(ngx_http_request_t *r, ngx_str_t *s,
    const char *v);
char *north_auth_dup(ngx_http_request_t *r, const char *v);

/* the endpoints of auth_password.c and auth_biometric.c */
ngx_int_t north_auth_password(ngx_http_request_t *r);
ngx_int_t north_auth_enroll(ngx_http_request_t *r);
ngx_int_t north_auth_challenge(ngx_http_request_t *r);
ngx_int_t north_auth_verify(ngx_http_request_t *r);
ngx_int_t north_auth_remove(ngx_http_request_t *r);


#endif /* _NORTH_AUTH_H_INCLUDED_ */
