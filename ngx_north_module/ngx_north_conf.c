/*
 * North's directives that parse more than a slot can: the DSN, the Redis
 * URL, PIPEDA compliance, the data region and key, and the common forms
 * of a value ("value" or env=NAME) and of a key in base64.
 */

#include "ngx_north.h"
#include "ngx_north_conf.h"

#include <libpq-fe.h>
#include <netdb.h>


static char *ngx_http_north_redis_password(ngx_conf_t *cf,
    ngx_http_north_main_conf_t *mcf, u_char *start, u_char *end,
    ngx_str_t *shown);


char *
ngx_http_north_conf_value(ngx_conf_t *cf, ngx_str_t *arg, ngx_str_t *value,
    ngx_str_t *shown)
{
    char    *env;
    u_char  *name;

    *shown = *arg;

    if (arg->len > 4 && ngx_strncmp(arg->data, "env=", 4) == 0) {
        name = ngx_pnalloc(cf->pool, arg->len - 3);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(name, arg->data + 4, arg->len - 3);

        env = getenv((char *) name);

        if (env == NULL || *env == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" directive: environment variable "
                               "\"%s\" is not set",
                               &((ngx_str_t *) cf->args->elts)[0], name);
            return NGX_CONF_ERROR;
        }

        value->len = ngx_strlen(env);
        value->data = ngx_pnalloc(cf->pool, value->len + 1);
        if (value->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(value->data, (u_char *) env, value->len + 1);

        return NGX_CONF_OK;
    }

    /* a literal may carry a password: never show one */
    if (ngx_strlchr(arg->data, arg->data + arg->len, '@') != NULL
        || ngx_strnstr(arg->data, "password", arg->len) != NULL)
    {
        ngx_str_set(shown, "(a value with credentials)");
    }

    value->data = ngx_pnalloc(cf->pool, arg->len + 1);
    if (value->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(value->data, arg->data, arg->len + 1);
    value->len = arg->len;

    return NGX_CONF_OK;
}


char *
ngx_http_north_conf_set_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *field, *value, shown;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_north_conf_value(cf, &value[1], field, &shown);
}


/* libpq's keywords and values, NULL-terminated arrays, grown one by one */

ngx_int_t
ngx_http_north_conf_param(ngx_conf_t *cf, ngx_http_north_main_conf_t *mcf,
    const char *key, const char *val)
{
    char  **k, **v;

    k = ngx_array_push(mcf->database_keys);
    v = ngx_array_push(mcf->database_vals);

    if (k == NULL || v == NULL) {
        return NGX_ERROR;
    }

    if (key == NULL) {
        *k = NULL;
        *v = NULL;
        return NGX_OK;
    }

    *k = ngx_pnalloc(cf->pool, ngx_strlen(key) + 1);
    *v = ngx_pnalloc(cf->pool, ngx_strlen(val) + 1);

    if (*k == NULL || *v == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) *k, (u_char *) key, ngx_strlen(key) + 1);
    ngx_cpystrn((u_char *) *v, (u_char *) val, ngx_strlen(val) + 1);

    return NGX_OK;
}


char *
ngx_http_north_database(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    int                   rc;
    char                 *err, *host, *options;
    ngx_str_t            *value, shown;
    ngx_uint_t            hostaddr, appname, gss;
    struct addrinfo       hints, *ai;
    PQconninfoOption     *opts, *o;
    char                  addr[NGX_SOCKADDR_STRLEN];

    if (mcf->database.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_north_conf_value(cf, &value[1], &mcf->database, &shown)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    err = NULL;
    opts = PQconninfoParse((char *) mcf->database.data, &err);

    if (opts == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid DSN \"%V\" in \"north_database\": %s",
                           &shown, err ? err : "out of memory");
        if (err) {
            PQfreemem(err);
        }
        return NGX_CONF_ERROR;
    }

    mcf->database_keys = ngx_array_create(cf->pool, 16, sizeof(char *));
    mcf->database_vals = ngx_array_create(cf->pool, 16, sizeof(char *));

    if (mcf->database_keys == NULL || mcf->database_vals == NULL) {
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    host = NULL;
    options = NULL;
    hostaddr = 0;
    appname = 0;
    gss = 0;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        if (ngx_strcmp(o->keyword, "host") == 0) {
            host = o->val;

        } else if (ngx_strcmp(o->keyword, "hostaddr") == 0) {
            hostaddr = 1;

        } else if (ngx_strcmp(o->keyword, "application_name") == 0) {
            appname = 1;

        } else if (ngx_strcmp(o->keyword, "gssencmode") == 0) {
            gss = 1;

        } else if (ngx_strcmp(o->keyword, "options") == 0) {
            /* merged with our statement_timeout in init_main_conf */
            options = o->val;
            continue;
        }

        if (ngx_http_north_conf_param(cf, mcf, o->keyword, o->val) != NGX_OK) {
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }
    }

    if (options) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"options\" in the DSN \"%V\" of \"north_database\""
                           " is not supported: North sets it", &shown);
        PQconninfoFree(opts);
        return NGX_CONF_ERROR;
    }

    /*
     * libpq resolves host names with a blocking call inside
     * PQconnectPoll(): resolve now, once, and pass hostaddr.
     */
    if (host && host[0] != '/' && !hostaddr) {

        if (ngx_strchr(host, ',') != NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "several hosts in the DSN \"%V\" of "
                               "\"north_database\" are not supported", &shown);
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&hints, sizeof(struct addrinfo));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;

        rc = getaddrinfo(host, NULL, &hints, &ai);

        if (rc != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "host \"%s\" in \"north_database\" could not "
                               "be resolved: %s", host, gai_strerror(rc));
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }

        ngx_memzero(addr, sizeof(addr));
        (void) ngx_sock_ntop(ai->ai_addr, ai->ai_addrlen, (u_char *) addr,
                             sizeof(addr) - 1, 0);
        freeaddrinfo(ai);

        if (ngx_http_north_conf_param(cf, mcf, "hostaddr", addr) != NGX_OK) {
            PQconninfoFree(opts);
            return NGX_CONF_ERROR;
        }
    }

    PQconninfoFree(opts);

    if ((!appname
         && ngx_http_north_conf_param(cf, mcf, "application_name", "north")
            != NGX_OK)
        || (!gss
            && ngx_http_north_conf_param(cf, mcf, "gssencmode", "disable")
               != NGX_OK))
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * redis://[:PASSWORD@]HOST[:PORT][/DB], unix://[:PASSWORD@]/PATH[?db=DB]
 * or unix:/PATH
 */

char *
ngx_http_north_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    u_char     *p, *last, *end, *db;
    ngx_str_t  *value, shown, rest;
    ngx_url_t   u;

    if (mcf->redis.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_north_conf_value(cf, &value[1], &mcf->redis, &shown)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    p = mcf->redis.data;
    last = p + mcf->redis.len;
    db = NULL;

    if (mcf->redis.len > 7 && ngx_strncmp(p, "unix://", 7) == 0) {

        /* the password ends where the path begins: at the first "/" */
        end = ngx_strlchr(p + 7, last, '/');
        if (end == NULL) {
            goto invalid;
        }

        if (ngx_http_north_redis_password(cf, mcf, p + 7, end, &shown)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        p = end;
        end = ngx_strlchr(p, last, '?');

        if (end) {
            if (last - end < 5 || ngx_strncmp(end, "?db=", 4) != 0) {
                goto invalid;
            }
            db = end + 4;
            last = end;
        }

        /* ngx_parse_url() takes "unix:/PATH" */
        rest.len = 5 + (last - p);
        rest.data = ngx_pnalloc(cf->pool, rest.len);
        if (rest.data == NULL) {
            return NGX_CONF_ERROR;
        }
        ngx_memcpy(ngx_cpymem(rest.data, "unix:", 5), p, last - p);

    } else if (mcf->redis.len > 5 && ngx_strncmp(p, "unix:", 5) == 0) {
        rest = mcf->redis;

    } else if (mcf->redis.len > 8 && ngx_strncmp(p, "redis://", 8) == 0) {
        p += 8;

        end = ngx_strlchr(p, last, '/');
        if (end == NULL) {
            end = last;
        }

        if (end < last) {
            db = end + 1;
        }

        /* the password ends at the last "@" before the database */
        rest.data = end;

        while (rest.data > p && rest.data[-1] != '@') {
            rest.data--;
        }

        if (ngx_http_north_redis_password(cf, mcf, p, rest.data, &shown)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        rest.len = end - rest.data;

    } else {
        goto invalid;
    }

    if (db) {
        last = mcf->redis.data + mcf->redis.len;
        mcf->redis_db = ngx_atoi(db, last - db);

        if (mcf->redis_db == (ngx_uint_t) NGX_ERROR || mcf->redis_db > 65535) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid database number in \"%V\" of "
                               "\"north_redis\"", &shown);
            return NGX_CONF_ERROR;
        }
    }

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = rest;
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid URL \"%V\" in \"north_redis\": %s",
                           &shown, u.err ? u.err : "host not found");
        return NGX_CONF_ERROR;
    }

    mcf->redis_addr = &u.addrs[0];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid URL \"%V\" in \"north_redis\": expected "
                       "redis://[:PASSWORD@]HOST[:PORT][/DB], "
                       "unix://[:PASSWORD@]/PATH[?db=DB] or unix:/PATH "
                       "(TLS is not supported)", &shown);
    return NGX_CONF_ERROR;
}


/* the user part of a Redis URL, from start to its "@": ":PASSWORD" or none */

static char *
ngx_http_north_redis_password(ngx_conf_t *cf, ngx_http_north_main_conf_t *mcf,
    u_char *start, u_char *end, ngx_str_t *shown)
{
    if (start == end) {
        return NGX_CONF_OK;
    }

    if (end - start < 2 || start[0] != ':' || end[-1] != '@') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid URL \"%V\" in \"north_redis\": "
                           "give a password as :PASSWORD@ before the host "
                           "or path", shown);
        return NGX_CONF_ERROR;
    }

    mcf->redis_password.data = start + 1;
    mcf->redis_password.len = end - start - 2;

    return NGX_CONF_OK;
}


/* north_pipeda_compliance on | off | env=NAME ("true" or "false") */

char *
ngx_http_north_pipeda(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    ngx_str_t  *value, v, shown;

    if (mcf->pipeda != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_north_conf_value(cf, &value[1], &v, &shown) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if ((v.len == 2 && ngx_strcasecmp(v.data, (u_char *) "on") == 0)
        || (v.len == 4 && ngx_strcasecmp(v.data, (u_char *) "true") == 0))
    {
        mcf->pipeda = 1;

    } else if ((v.len == 3 && ngx_strcasecmp(v.data, (u_char *) "off") == 0)
               || (v.len == 5
                   && ngx_strcasecmp(v.data, (u_char *) "false") == 0))
    {
        mcf->pipeda = 0;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in "
                           "\"north_pipeda_compliance\": true or false",
                           &shown);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_north_data_region(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    ngx_str_t  *value, shown;

    if (mcf->data_region.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_north_conf_value(cf, &value[1], &mcf->data_region, &shown);
}


/* north_data_key env=NAME: 32 bytes, base64 */

char *
ngx_http_north_data_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    if (mcf->data_key.data) {
        return "is duplicate";
    }

    return ngx_http_north_conf_key(cf, &((ngx_str_t *) cf->args->elts)[1],
                                   &mcf->data_key, 32, 1);
}


char *
ngx_http_north_conf_key(ngx_conf_t *cf, ngx_str_t *arg, ngx_str_t *key,
    size_t min_len, ngx_uint_t exact)
{
    ngx_str_t  b64, shown;

    if (ngx_http_north_conf_value(cf, arg, &b64, &shown) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    key->data = ngx_pnalloc(cf->pool, ngx_base64_decoded_length(b64.len));
    if (key->data == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_decode_base64(key, &b64) != NGX_OK
        || key->len < min_len || (exact && key->len != min_len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the key of \"%V\" must be %uz bytes%s in base64",
                           &((ngx_str_t *) cf->args->elts)[0], min_len,
                           exact ? "" : " or more");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
