/*
 * Plaid webhook verification, as Plaid documents it: ES256 only, the key
 * by kid, iat at most 5 minutes old, the body's SHA-256 in the claims.
 */

#include "north_plaid_webhook.h"

#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>


int
north_plaid_webhook_verify(const char *token, size_t len,
    const north_jwt_key_t *key, const unsigned char *body, size_t body_len,
    long long now, const char **why)
{
    int            rc;
    size_t         i;
    json_t        *claims, *v;
    unsigned char  md[SHA256_DIGEST_LENGTH];
    char           hex[SHA256_DIGEST_LENGTH * 2 + 1];

    static const char  digits[] = "0123456789abcdef";

    if (key->alg != NORTH_JWT_ES256) {
        *why = "not an ES256 key";
        return -1;
    }

    claims = north_jws_open(token, len, key, 1, why);
    if (claims == NULL) {
        return -1;
    }

    rc = -1;

    v = json_object_get(claims, "iat");
    if (!json_is_integer(v)) {
        *why = "no iat";
        goto done;
    }

    if (json_integer_value(v) > now + 30
        || now - json_integer_value(v) > NORTH_PLAID_WEBHOOK_MAX_AGE)
    {
        *why = "iat more than 5 minutes old, or in the future";
        goto done;
    }

    SHA256(body, body_len, md);

    for (i = 0; i < sizeof(md); i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }

    hex[2 * sizeof(md)] = '\0';

    v = json_object_get(claims, "request_body_sha256");
    if (!json_is_string(v) || json_string_length(v) != 2 * sizeof(md)
        || CRYPTO_memcmp(json_string_value(v), hex, 2 * sizeof(md)) != 0)
    {
        *why = "request_body_sha256 is not the body's";
        goto done;
    }

    rc = 0;

done:

    json_decref(claims);

    return rc;
}
