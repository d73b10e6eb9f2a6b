/* Unit tests of north_jwt.c: base64url, signing, and the attack matrix. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "north_jwt.h"


#define NOW   1800000000LL
#define SUB   "123e4567-e89b-12d3-a456-426614174000"
#define SID   "223e4567-e89b-12d3-a456-426614174000"

static unsigned char      secret[] = "0123456789abcdef0123456789abcdef-test";
static north_jwt_key_t    keys[2];
static north_jwt_policy_t policy = { "north", "north-app", 30, 0 };


static int
setup(void **state)
{
    strcpy(keys[0].kid, "k1");
    keys[0].alg = NORTH_JWT_HS256;
    keys[0].secret = secret;
    keys[0].secret_len = sizeof(secret) - 1;

    strcpy(keys[1].kid, "ec1");
    keys[1].alg = NORTH_JWT_ES256;
    keys[1].pkey = EVP_EC_gen("P-256");

    return keys[1].pkey == NULL;
}


static int
teardown(void **state)
{
    EVP_PKEY_free(keys[1].pkey);
    return 0;
}


/* A token with the given header and claims, HMAC-signed with key. */
static void
craft(const char *header, const char *claims, const unsigned char *key,
    size_t key_len, char *out)
{
    size_t         n;
    unsigned int   mac_len;
    unsigned char  mac[32];

    n = north_b64url_encode((const unsigned char *) header, strlen(header), out);
    out[n++] = '.';
    n += north_b64url_encode((const unsigned char *) claims, strlen(claims),
                             out + n);
    HMAC(EVP_sha256(), key, (int) key_len, (unsigned char *) out, n, mac,
         &mac_len);
    out[n++] = '.';
    n += north_b64url_encode(mac, mac_len, out + n);
    out[n] = '\0';
}


static const char *
check(const char *token, long long now)
{
    const char          *why = NULL;
    north_jwt_claims_t   c;

    if (north_jwt_verify(token, strlen(token), keys, 2, &policy, now, &c,
                         &why) == 0)
    {
        return NULL;
    }

    return why;
}


#define CLAIMS(extra)                                                        \
    "{\"iss\":\"north\",\"aud\":\"north-app\",\"sub\":\"" SUB "\","        \
    "\"sid\":\"" SID "\",\"iat\":1800000000,\"exp\":1800000900" extra "}"


static void
test_b64url_roundtrip(void **state)
{
    char           enc[16];
    unsigned char  dec[16];

    assert_int_equal(north_b64url_encode((unsigned char *) "\xfb\xff", 2, enc),
                     3);
    assert_memory_equal(enc, "-_8", 3);
    assert_int_equal(north_b64url_decode("-_8", 3, dec), 2);
    assert_memory_equal(dec, "\xfb\xff", 2);
    assert_int_equal(north_b64url_decode("-_9", 3, dec), (size_t) -1);
    assert_int_equal(north_b64url_decode("abcde", 5, dec), (size_t) -1);
    assert_int_equal(north_b64url_decode("ab=c", 4, dec), (size_t) -1);
}


static void
test_signed_tokens_verify(void **state)
{
    char                 tok[1024];
    const char          *why;
    north_jwt_claims_t   c;

    assert_true(north_jwt_sign(&keys[0], "north", "north-app", SUB, SID, NOW,
                               900, tok, sizeof(tok)) > 0);
    assert_int_equal(north_jwt_verify(tok, strlen(tok), keys, 2, &policy, NOW,
                                      &c, &why), 0);
    assert_string_equal(c.sub, SUB);
    assert_string_equal(c.sid, SID);
    assert_int_equal(c.exp, NOW + 900);
    assert_int_equal(strlen(c.jti), 32);

    assert_true(north_jwt_sign(&keys[1], "north", "north-app", SUB, SID, NOW,
                               900, tok, sizeof(tok)) > 0);
    assert_null(check(tok, NOW));
}


static void
test_tampering_fails(void **state)
{
    char  tok[1024], *dot;

    north_jwt_sign(&keys[0], "north", "north-app", SUB, SID, NOW, 900, tok,
                   sizeof(tok));
    dot = strchr(tok, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    assert_non_null(check(tok, NOW));

    north_jwt_sign(&keys[1], "north", "north-app", SUB, SID, NOW, 900, tok,
                   sizeof(tok));
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    assert_string_equal(check(tok, NOW), "bad signature");
}


static void
test_attack_matrix(void **state)
{
    char           tok[2048];
    unsigned char  *pem;
    BIO            *bio;
    long            pem_len;

    /* alg none, with and without a signature */
    craft("{\"alg\":\"none\",\"kid\":\"k1\"}", CLAIMS(""), secret,
          sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "alg does not match the key");
    *(strrchr(tok, '.') + 1) = '\0';
    assert_non_null(check(tok, NOW));

    /* HS256 made with the ES256 key's public PEM as the secret */
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, keys[1].pkey);
    pem_len = BIO_get_mem_data(bio, (char **) &pem);
    craft("{\"alg\":\"HS256\",\"kid\":\"ec1\"}", CLAIMS(""), pem, pem_len, tok);
    assert_string_equal(check(tok, NOW), "alg does not match the key");
    BIO_free(bio);

    craft("{\"alg\":\"HS256\",\"kid\":\"nope\"}", CLAIMS(""), secret,
          sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "unknown kid");

    craft("{\"alg\":\"HS256\",\"kid\":\"../../etc/passwd\"}", CLAIMS(""),
          secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "unknown kid");

    craft("{\"alg\":\"HS256\"}", CLAIMS(""), secret, sizeof(secret) - 1, tok);
    assert_non_null(check(tok, NOW));

    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}", CLAIMS(""), secret,
          sizeof(secret) - 1, tok);
    assert_null(check(tok, NOW));
    assert_null(check(tok, NOW + 900 + 29));           /* within leeway */
    assert_string_equal(check(tok, NOW + 900 + 30), "expired");
    assert_non_null(check(tok, NOW - 60));             /* iat in future */

    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}", CLAIMS(",\"nbf\":1800000100"),
          secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "not yet valid (nbf)");

    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}",
          "{\"iss\":\"evil\",\"aud\":\"north-app\",\"sub\":\"" SUB "\","
          "\"sid\":\"" SID "\",\"iat\":1800000000,\"exp\":1800000900}",
          secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "wrong iss");

    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}",
          "{\"iss\":\"north\",\"aud\":[\"x\",\"y\"],\"sub\":\"" SUB "\","
          "\"sid\":\"" SID "\",\"iat\":1800000000,\"exp\":1800000900}",
          secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "wrong aud");

    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}",
          "{\"iss\":\"north\",\"aud\":\"north-app\",\"sub\":\"" SUB "\","
          "\"iat\":1800000000,\"exp\":1800000900}",
          secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "sub or sid missing or not a UUID");

    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "[1]", secret,
          sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "malformed claims");

    assert_non_null(check("a.b", NOW));
    assert_non_null(check("a.b.c.d", NOW));
    assert_non_null(check("..", NOW));
    assert_non_null(check("!!!.@@@.###", NOW));
}


static void
test_max_age(void **state)
{
    char                tok[1024];
    north_jwt_policy_t  saved = policy;

    policy.max_age = 600;
    north_jwt_sign(&keys[0], "north", "north-app", SUB, SID, NOW, 3600, tok,
                   sizeof(tok));
    assert_null(check(tok, NOW + 600));
    assert_string_equal(check(tok, NOW + 631), "too old (iat)");

    /* the oldest iat there is: now - iat must not wrap to negative */
    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}",
          "{\"iss\":\"north\",\"aud\":\"north-app\",\"sub\":\"" SUB "\","
          "\"sid\":\"" SID "\",\"iat\":-9223372036854775808,"
          "\"exp\":1800000900}", secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "too old (iat)");
    craft("{\"alg\":\"HS256\",\"kid\":\"k1\"}",
          "{\"iss\":\"north\",\"aud\":\"north-app\",\"sub\":\"" SUB "\","
          "\"sid\":\"" SID "\",\"iat\":0,\"exp\":1800000900}",
          secret, sizeof(secret) - 1, tok);
    assert_string_equal(check(tok, NOW), "too old (iat)");
    policy = saved;
}


/* A service account's assertion: RS256 that the public key verifies. */
static void
test_assertion(void **state)
{
    char           *tok, *dot1, *dot2;
    size_t          n;
    EVP_PKEY       *rsa;
    EVP_MD_CTX     *md;
    unsigned char   buf[1024];

    rsa = EVP_RSA_gen(2048);
    assert_non_null(rsa);

    tok = north_jwt_assertion(rsa, "sa@north-test.iam.gserviceaccount.com",
                              "https://www.googleapis.com/auth/firebase.messaging",
                              "https://oauth2.googleapis.com/token", NOW, 3600);
    assert_non_null(tok);

    dot1 = strchr(tok, '.');
    dot2 = strrchr(tok, '.');
    assert_true(dot1 != NULL && dot2 > dot1);

    n = north_b64url_decode(tok, dot1 - tok, buf);
    assert_true(n != (size_t) -1);
    buf[n] = '\0';
    assert_string_equal((char *) buf, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");

    n = north_b64url_decode(dot1 + 1, dot2 - dot1 - 1, buf);
    assert_true(n != (size_t) -1);
    buf[n] = '\0';
    assert_non_null(strstr((char *) buf,
                           "\"iss\":\"sa@north-test.iam.gserviceaccount.com\""));
    assert_non_null(strstr((char *) buf, "\"iat\":1800000000"));
    assert_non_null(strstr((char *) buf, "\"exp\":1800003600"));
    assert_non_null(strstr((char *) buf,
                           "\"aud\":\"https://oauth2.googleapis.com/token\""));

    n = north_b64url_decode(dot2 + 1, strlen(dot2 + 1), buf);
    assert_int_equal(n, 256);

    md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, rsa), 1);
    assert_int_equal(EVP_DigestVerify(md, buf, n, (unsigned char *) tok,
                                      dot2 - tok), 1);

    /* one changed byte of the claims: no longer verifies */
    tok[dot1 - tok + 3] ^= 1;
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, rsa), 1);
    assert_int_not_equal(EVP_DigestVerify(md, buf, n, (unsigned char *) tok,
                                          dot2 - tok), 1);
    EVP_MD_CTX_free(md);
    free(tok);

    /* a key of another kind signs no assertion */
    assert_null(north_jwt_assertion(keys[1].pkey, "a", "b", "c", NOW, 60));

    EVP_PKEY_free(rsa);
    (void) state;
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_roundtrip),
        cmocka_unit_test(test_signed_tokens_verify),
        cmocka_unit_test(test_tampering_fails),
        cmocka_unit_test(test_attack_matrix),
        cmocka_unit_test(test_max_age),
        cmocka_unit_test(test_assertion),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
