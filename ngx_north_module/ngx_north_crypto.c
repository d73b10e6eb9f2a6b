/*
 * North password hashing off the event loop: Argon2id with OWASP's
 * parameters in the north thread pool.
 */

#include "ngx_north.h"
#include "ngx_north_task.h"
#include "ngx_north_crypto.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>


/* OWASP's Argon2id floor: 19 MiB, 2 passes, 1 lane */
#define NGX_HTTP_NORTH_ARGON2_T  2
#define NGX_HTTP_NORTH_ARGON2_M  19456
#define NGX_HTTP_NORTH_ARGON2_P  1


static void ngx_http_north_hash_work(void *data);


ngx_int_t
ngx_http_north_hash_post(ngx_http_request_t *r, const char *password,
    const char *check, const char *new_password,
    ngx_int_t (*done)(ngx_http_request_t *r, void *data))
{
    ngx_http_north_hash_t  *h;

    h = ngx_http_north_task_alloc(r, sizeof(ngx_http_north_hash_t));
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (password) {
        h->password_len = ngx_min(ngx_strlen(password),
                                  NGX_HTTP_NORTH_PASSWORD_BYTES);
        ngx_memcpy(h->password, password, h->password_len);
    }

    if (check) {
        ngx_cpystrn((u_char *) h->check, (u_char *) check, sizeof(h->check));
    }

    if (new_password) {
        h->new_password_len = ngx_min(ngx_strlen(new_password),
                                      NGX_HTTP_NORTH_PASSWORD_BYTES);
        ngx_memcpy(h->new_password, new_password, h->new_password_len);
    }

    return ngx_http_north_task_post(r, h, ngx_http_north_hash_work, done);
}


static void
ngx_http_north_hash_work(void *data)
{
    ngx_http_north_hash_t  *h = data;

    u_char  salt[16];

    if (h->check[0]) {
        h->verified = argon2id_verify(h->check, h->password, h->password_len)
                      == ARGON2_OK;
    }

    if (h->new_password_len && (h->check[0] == '\0' || h->verified)) {
        h->hashed = RAND_bytes(salt, sizeof(salt)) == 1
                    && argon2id_hash_encoded(NGX_HTTP_NORTH_ARGON2_T,
                                             NGX_HTTP_NORTH_ARGON2_M,
                                             NGX_HTTP_NORTH_ARGON2_P,
                                             h->new_password,
                                             h->new_password_len,
                                             salt, sizeof(salt), 32,
                                             h->hash, sizeof(h->hash))
                       == ARGON2_OK;
    }

    /* the plain passwords leave memory with the task */
    OPENSSL_cleanse(h->password, sizeof(h->password));
    OPENSSL_cleanse(h->new_password, sizeof(h->new_password));
}
