/* Plaid webhook verification: a real ES256 JWS, then each way it fails. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "north_plaid_webhook.h"

#include <openssl/evp.h>
#include <openssl/ecdsa.h>
#include <openssl/sha.h>


static EVP_PKEY  *pkey;


/* header.claims.signature, signed with pkey (r || s) */
static void
sign(const char *header, const char *claims, char *out, size_t size)
{
    size_t         n, dlen;
    char           h[512], c[512], s[128];
    unsigned char  der[128], raw[64];
    const unsigned char  *p;
    EVP_MD_CTX    *md;
    ECDSA_SIG     *es;

    north_b64url_encode((const unsigned char *) header, strlen(header), h);
    h[north_b64url_encode((const unsigned char *) header, strlen(header), h)] = '\0';
    c[north_b64url_encode((const unsigned char *) claims, strlen(claims), c)] = '\0';
    n = snprintf(out, size, "%s.%s", h, c);

    md = EVP_MD_CTX_new();
    dlen = sizeof(der);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(md, der, &dlen, (unsigned char *) out, n), 1);
    EVP_MD_CTX_free(md);

    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, dlen);
    assert_non_null(es);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
    ECDSA_SIG_free(es);

    s[north_b64url_encode(raw, 64, s)] = '\0';
    snprintf(out + n, size - n, ".%s", s);
}


static void
body_hash(const char *body, char *hex)
{
    size_t         i;
    unsigned char  md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *) body, strlen(body), md);
    for (i = 0; i < sizeof(md); i++) {
        sprintf(hex + 2 * i, "%02x", md[i]);
    }
}


static void
test_webhook(void **state)
{
    char              tok[1024], claims[256], hex[65];
    const char       *why;
    north_jwt_key_t   key, hs;
    const char       *body = "{\"webhook_type\":\"TRANSACTIONS\"}";
    long long         now = 1790000000;

    memset(&key, 0, sizeof(key));
    strcpy(key.kid, "k1");
    key.alg = NORTH_JWT_ES256;
    key.pkey = pkey;

    body_hash(body, hex);
    snprintf(claims, sizeof(claims),
             "{\"iat\":%lld,\"request_body_sha256\":\"%s\"}", now - 10, hex);
    sign("{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}", claims, tok,
         sizeof(tok));

    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) body, strlen(body), now, &why), 0);

    /* another body */
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) "{}", 2, now, &why), -1);
    assert_string_equal(why, "request_body_sha256 is not the body's");

    /* 5 minutes later */
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) body, strlen(body), now + 300,
                     &why), -1);

    /* a signature byte changed */
    tok[strlen(tok) - 5] = tok[strlen(tok) - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) body, strlen(body), now, &why), -1);

    /* another kid */
    sign("{\"alg\":\"ES256\",\"kid\":\"k2\"}", claims, tok, sizeof(tok));
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) body, strlen(body), now, &why), -1);
    assert_string_equal(why, "unknown kid");

    /* HS256 in the header: refused before any signature check */
    sign("{\"alg\":\"HS256\",\"kid\":\"k1\"}", claims, tok, sizeof(tok));
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) body, strlen(body), now, &why), -1);
    assert_string_equal(why, "alg does not match the key");

    /* only an ES256 key will do */
    memset(&hs, 0, sizeof(hs));
    strcpy(hs.kid, "k1");
    hs.alg = NORTH_JWT_HS256;
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &hs,
                     (const unsigned char *) body, strlen(body), now, &why), -1);

    /* no iat */
    snprintf(claims, sizeof(claims), "{\"request_body_sha256\":\"%s\"}", hex);
    sign("{\"alg\":\"ES256\",\"kid\":\"k1\"}", claims, tok, sizeof(tok));
    assert_int_equal(north_plaid_webhook_verify(tok, strlen(tok), &key,
                     (const unsigned char *) body, strlen(body), now, &why), -1);
    assert_string_equal(why, "no iat");
}


static void
test_jwk(void **state)
{
    EVP_PKEY  *p;

    /* RFC 7515 A.3's P-256 public key */
    p = north_jwk_p256("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                       "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
    assert_non_null(p);
    EVP_PKEY_free(p);

    assert_null(north_jwk_p256("short", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"));
    /* not on the curve */
    assert_null(north_jwk_p256("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}


int
main(void)
{
    int  rc;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook),
        cmocka_unit_test(test_jwk),
    };

    pkey = EVP_EC_gen("P-256");
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    EVP_PKEY_free(pkey);

    return rc;
}
