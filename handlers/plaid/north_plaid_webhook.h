/*
 * Plaid webhook verification: the Plaid-Verification JWT checked against
 * the request. Pure C, unit-tested in t/unit/test_plaid_webhook.c.
 */

#ifndef NORTH_PLAID_WEBHOOK_H
#define NORTH_PLAID_WEBHOOK_H

#include "north_jwt.h"


#define NORTH_PLAID_WEBHOOK_MAX_AGE  300     /* seconds since iat */


/*
 * 0 when token is an ES256 JWS signed by key (its kid and alg), issued at
 * most 5 minutes before now and not in the future, whose
 * request_body_sha256 is the SHA-256 (hex) of body, compared in constant
 * time; else -1 and *why.
 */
int north_plaid_webhook_verify(const char *token, size_t len,
    const north_jwt_key_t *key, const unsigned char *body, size_t body_len,
    long long now, const char **why);

#endif /* NORTH_PLAID_WEBHOOK_H */
