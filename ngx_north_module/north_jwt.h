/*
 * North JWT: compact JWS tokens, HS256 and ES256, verified and signed with
 * OpenSSL. Pure C (no nginx header), unit-tested in t/unit/test_jwt.c.
 */

#ifndef NORTH_JWT_H
#define NORTH_JWT_H

#include <stddef.h>
#include <openssl/evp.h>


#define NORTH_JWT_HS256      1
#define NORTH_JWT_ES256      2

#define NORTH_JWT_MAX_TOKEN  4096


typedef struct {
    char            kid[65];
    int             alg;
    unsigned char  *secret;        /* HS256 */
    size_t          secret_len;
    EVP_PKEY       *pkey;          /* ES256: public, or private to sign */
} north_jwt_key_t;

typedef struct {
    const char     *issuer;
    const char     *audience;
    long            leeway;        /* seconds of clock skew allowed */
    long            max_age;       /* seconds since iat; 0: no limit */
} north_jwt_policy_t;

typedef struct {
    char            sub[65];
    char            sid[65];
    char            jti[65];
    long long       iat;
    long long       exp;
} north_jwt_claims_t;


/*
 * 0 when token is signed by one of keys (matched by kid, the header's alg
 * pinned to the key's before any signature check) and its claims hold at
 * now; else -1 and *why says which check failed.
 */
int north_jwt_verify(const char *token, size_t len, const north_jwt_key_t *keys,
    size_t nkeys, const north_jwt_policy_t *policy, long long now,
    north_jwt_claims_t *claims, const char **why);

struct json_t;

/*
 * A compact JWS's claims (a JSON object the caller decrefs) when one of
 * keys signed it (kid and alg as north_jwt_verify() checks them); else NULL
 * and *why. The claims themselves are not looked at.
 */
struct json_t *north_jws_open(const char *token, size_t len,
    const north_jwt_key_t *keys, size_t nkeys, const char **why);

/* The header's kid, unverified, to pick the key with; -1 when none. */
int north_jws_kid(const char *token, size_t len, char *kid, size_t size);

/* A P-256 public key from a JWK's x and y (base64url), or NULL. */
EVP_PKEY *north_jwk_p256(const char *x, const char *y);

/* Signs a token for sub and sid into out; its length, or 0 on failure. */
size_t north_jwt_sign(const north_jwt_key_t *key, const char *issuer,
    const char *audience, const char *sub, const char *sid, long long now,
    long ttl, char *out, size_t size);

/*
 * An OAuth2 JWT-bearer assertion of a service account (RFC 7523, Google's
 * server-to-server flow): RS256 over {"alg":"RS256","typ":"JWT"} and
 * {iss, scope, aud, iat, exp = iat + ttl} with key (an RSA private key).
 * A malloc()ed NUL-terminated token the caller frees, or NULL.
 */
char *north_jwt_assertion(EVP_PKEY *key, const char *iss, const char *scope,
    const char *aud, long long now, long ttl);

/* base64url without padding; lengths returned, or (size_t) -1 if invalid. */
size_t north_b64url_encode(const unsigned char *in, size_t len, char *out);
size_t north_b64url_decode(const char *in, size_t len, unsigned char *out);

#endif /* NORTH_JWT_H */
