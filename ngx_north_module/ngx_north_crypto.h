/*
 * North cryptography for handlers: Argon2id verify and hash as thread-pool
 * tasks (every handler that asks for a password), and AES-256-GCM for the
 * secrets North stores itself (Plaid access tokens).
 */

#ifndef _NGX_NORTH_CRYPTO_H_INCLUDED_
#define _NGX_NORTH_CRYPTO_H_INCLUDED_


#include "ngx_north.h"
#include "north_password.h"


#define NGX_HTTP_NORTH_HASH_LEN        128

/*
 * A password field takes up to 4 characters per allowed one (so that the
 * policy, not the parser, says what is too long); UTF-8 takes up to 4 bytes
 * a character.
 */
#define NGX_HTTP_NORTH_PASSWORD_CHARS  (NORTH_PASSWORD_MAX * 4)
#define NGX_HTTP_NORTH_PASSWORD_BYTES  (NGX_HTTP_NORTH_PASSWORD_CHARS * 4)


/* Input and output of a hashing task; lives on the heap (see task.h). */
typedef struct {
    char          password[NGX_HTTP_NORTH_PASSWORD_BYTES + 1];
    size_t        password_len;
    char          check[NGX_HTTP_NORTH_HASH_LEN];   /* verify against */
    char          new_password[NGX_HTTP_NORTH_PASSWORD_BYTES + 1];
    size_t        new_password_len;
    char          hash[NGX_HTTP_NORTH_HASH_LEN];    /* of new_password */
    int           verified;
    int           hashed;
} ngx_http_north_hash_t;


/*
 * Posts a task that verifies password against the encoded hash check
 * and/or hashes new_password (each may be NULL; a new password is hashed
 * only when there is nothing to verify or it verified). done gets the
 * ngx_http_north_hash_t. Returns as ngx_http_north_task_post() does.
 */
ngx_int_t ngx_http_north_hash_post(ngx_http_request_t *r,
    const char *password, const char *check, const char *new_password,
    ngx_int_t (*done)(ngx_http_request_t *r, void *data));


/*
 * Seals plain under the data key (north_data_key) with AES-256-GCM, bound
 * to aad (a secret sealed for one row cannot be moved to another): out is
 * base64 of a random 96-bit nonce, the ciphertext and the 128-bit tag, and
 * key_id names the key (the first 8 bytes of its SHA-256, in hex), so that
 * keys can rotate. NGX_ERROR without a key or on failure.
 */
ngx_int_t ngx_http_north_seal(ngx_http_north_main_conf_t *mcf,
    ngx_pool_t *pool, ngx_str_t *plain, ngx_str_t *aad, ngx_str_t *out,
    ngx_str_t *key_id);

/*
 * Opens what ngx_http_north_seal() made into plain (NUL-terminated);
 * NGX_DECLINED when it was forged, sealed for another aad, or under a key
 * this server does not hold.
 */
ngx_int_t ngx_http_north_open(ngx_http_north_main_conf_t *mcf,
    ngx_pool_t *pool, ngx_str_t *sealed, ngx_str_t *key_id, ngx_str_t *aad,
    ngx_str_t *plain);

#endif /* _NGX_NORTH_CRYPTO_H_INCLUDED_ */
