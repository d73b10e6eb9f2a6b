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
static ngx_uint_t ngx_http_north_env_name(u_char *p, u_char *last);
static char *ngx_http_north_env_forget(ngx_conf_t *cf, ngx_array_t *names);


char *
ngx_http_north_conf_value(ngx_conf_t *cf, ngx_str_t *arg, ngx_str_t *value,
    ngx_str_t *shown)
{
    char                        *env;
    u_char                      *name;
    ngx_http_north_main_conf_t  *mcf;

    *shown = *arg;

    if (arg->len > 4 && ngx_strncmp(arg->data, "env=", 4) == 0) {
        name = ngx_pnalloc(cf->pool, arg->len - 3);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(name, arg->data + 4, arg->len - 3);

        mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_north_module);
        mcf->env_read = 1;

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


/*
 * north_env_file PATH: the service's environment, shared by the nginx that
 * serves and by the one an operator runs (nginx -t, nginx -s reload in a
 * shell without the secrets). Lines NAME=VALUE, the value verbatim to the
 * end of the line; blank lines and # comments. Its values replace the
 * process's own, so a reload reads a secret rotated in the file. The file
 * holds secrets: one that others may read is refused.
 */

#define NGX_HTTP_NORTH_ENV_FILE_MAX  65536

char *
ngx_http_north_env_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    char            **name;
    u_char           *buf, *p, *line, *eol, *eq, *q;
    ssize_t           n;
    ngx_array_t      *names;
    ngx_fd_t          fd;
    ngx_str_t        *value, path;
    ngx_uint_t        lineno;
    ngx_file_info_t   fi;

    if (mcf->env_file.data) {
        return "is duplicate";
    }

    if (mcf->env_read) {
        return "must come before every directive that reads env=NAME";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    mcf->env_file = path;

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &path);
        return NGX_CONF_ERROR;
    }

    buf = NULL;
    n = -1;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &path);

    } else if (!ngx_is_file(&fi)
               || ngx_file_size(&fi) > NGX_HTTP_NORTH_ENV_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a file of at most %d bytes",
                           &path, NGX_HTTP_NORTH_ENV_FILE_MAX);

    } else if (fi.st_mode & (S_IRWXG|S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" holds secrets: others may not read it "
                           "(chmod 600)", &path);

    } else {
        buf = ngx_pnalloc(cf->temp_pool, ngx_file_size(&fi) + 1);
        if (buf != NULL) {
            n = ngx_read_fd(fd, buf, ngx_file_size(&fi));
            if (n == -1) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                                   ngx_read_fd_n " \"%V\" failed", &path);
            }
        }
    }

    ngx_close_file(fd);

    if (buf == NULL || n == -1) {
        return NGX_CONF_ERROR;
    }

    names = ngx_array_create(cf->temp_pool, 16, sizeof(char *));
    if (names == NULL) {
        return NGX_CONF_ERROR;
    }

    lineno = 0;

    for (line = buf; line < buf + n; line = eol + 1) {
        lineno++;

        eol = ngx_strlchr(line, buf + n, '\n');
        if (eol == NULL) {
            eol = buf + n;
        }

        q = eol;
        if (q > line && q[-1] == '\r') {
            q--;
        }

        for (p = line; p < q && (*p == ' ' || *p == '\t'); p++) { /* void */ }

        if (p == q || *p == '#') {
            continue;
        }

        eq = ngx_strlchr(p, q, '=');

        if (eq == NULL || eq == p || !ngx_http_north_env_name(p, eq)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\", line %ui: not NAME=VALUE",
                               &path, lineno);
            return NGX_CONF_ERROR;
        }

        *eq = '\0';
        *q = '\0';

        name = ngx_array_push(names);

        if (name == NULL || setenv((char *) p, (char *) eq + 1, 1) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "setenv() of \"%s\" failed", p);
            return NGX_CONF_ERROR;
        }

        *name = (char *) p;
    }

    return ngx_http_north_env_forget(cf, names);
}


/*
 * The file owns what it has named: a variable an earlier load of it set
 * and this one does not name is unset (the end of a rotation: the retired
 * key leaves the file, and the reload forgets it). The names are kept on
 * the heap, across the master's cycles.
 */

static char *
ngx_http_north_env_forget(ngx_conf_t *cf, ngx_array_t *names)
{
    static char  **kept;

    char        **k, **now;
    size_t        len;
    ngx_uint_t    i, found;

    now = names->elts;

    for (k = kept; k && *k; k++) {
        found = 0;

        for (i = 0; i < names->nelts; i++) {
            if (ngx_strcmp(*k, now[i]) == 0) {
                found = 1;
                break;
            }
        }

        if (!found) {
            (void) unsetenv(*k);
        }
    }

    for (k = kept; k && *k; k++) {
        ngx_free(*k);
    }

    ngx_free(kept);

    kept = ngx_alloc((names->nelts + 1) * sizeof(char *), cf->log);
    if (kept == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < names->nelts; i++) {
        len = ngx_strlen(now[i]) + 1;

        kept[i] = ngx_alloc(len, cf->log);
        if (kept[i] == NULL) {
            return NGX_CONF_ERROR;   /* kept ends here, at its NULL */
        }

        ngx_memcpy(kept[i], now[i], len);
    }

    kept[names->nelts] = NULL;

    return NGX_CONF_OK;
}


/* A variable's name: a letter or _, then letters, digits and _. */

static ngx_uint_t
ngx_http_north_env_name(u_char *p, u_char *last)
{
    if (*p >= '0' && *p <= '9') {
        return 0;
    }

    for ( /* void */ ; p < last; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * north_database_max_connections N [nodes=M]: the connections PostgreSQL
 * allows North (its max_connections less what others keep), shared by M
 * nginx nodes; see ngx_http_north_database_budget().
 */

char *
ngx_http_north_database_max(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (mcf->pg_server_max != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n <= 0) {
        return "needs a number of connections above 0";
    }

    mcf->pg_server_max = n;
    mcf->pg_nodes = 1;

    if (cf->args->nelts == 3) {
        if (value[2].len <= 6 || ngx_strncmp(value[2].data, "nodes=", 6) != 0) {
            return "takes nodes=NUMBER as its second parameter";
        }

        n = ngx_atoi(value[2].data + 6, value[2].len - 6);
        if (n <= 0) {
            return "needs nodes=NUMBER above 0";
        }

        mcf->pg_nodes = n;
    }

    return NGX_CONF_OK;
}


/*
 * Each worker opens its pool and a listener; every node does the same.
 * A total over the budget is not refused (a reload overlaps old and new
 * workers anyway, and another limit may hold), only said at every load.
 */

void
ngx_http_north_database_budget(ngx_conf_t *cf, ngx_http_north_main_conf_t *mcf)
{
    ngx_uint_t        workers, total;
    ngx_core_conf_t  *ccf;

    if (mcf->pg_server_max == NGX_CONF_UNSET_UINT || mcf->database.len == 0) {
        return;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    workers = (ccf->worker_processes == NGX_CONF_UNSET) ? 1
                                                       : ccf->worker_processes;

    total = mcf->pg_nodes * workers * (mcf->pg_pool_size + 1);

    if (total > mcf->pg_server_max) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "%ui nodes x %ui workers x (pool %ui + 1 listener) "
                           "= %ui PostgreSQL connections, over the %ui of "
                           "\"north_database_max_connections\": lower "
                           "north_database_pool_size or worker_processes",
                           mcf->pg_nodes, workers, mcf->pg_pool_size, total,
                           mcf->pg_server_max);
    }
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

    mcf->database_hostaddr = -1;
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

        /* kept current in each worker (ngx_north_dns.c) */
        mcf->database_hostaddr = mcf->database_vals->nelts;
        mcf->database_host.len = ngx_strlen(host);
        mcf->database_host.data = ngx_pnalloc(cf->pool,
                                              mcf->database_host.len + 1);
        if (mcf->database_host.data) {
            ngx_cpystrn(mcf->database_host.data, (u_char *) host,
                        mcf->database_host.len + 1);
        }

        if (mcf->database_host.data == NULL
            || ngx_http_north_conf_param(cf, mcf, "hostaddr", addr) != NGX_OK)
        {
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
    ngx_addr_t  addr;

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

    } else if ((mcf->redis.len > 8 && ngx_strncmp(p, "redis://", 8) == 0)
               || (mcf->redis.len > 9 && ngx_strncmp(p, "rediss://", 9) == 0))
    {
        /* rediss: TLS, through nginx's SSL layer (ElastiCache in transit) */
        mcf->redis_tls = (p[5] == 's');
        p += mcf->redis_tls ? 9 : 8;

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

    /* the certificate must name it; SNI only when it is a name */
    mcf->redis_host.len = u.host.len;
    mcf->redis_host.data = ngx_pnalloc(cf->pool, u.host.len + 1);
    if (mcf->redis_host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(mcf->redis_host.data, u.host.data, u.host.len + 1);
    mcf->redis_sni = (ngx_parse_addr(cf->pool, &addr, u.host.data, u.host.len)
                      != NGX_OK);

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid URL \"%V\" in \"north_redis\": expected "
                       "redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB], "
                       "unix://[[USER]:PASSWORD@]/PATH[?db=DB] or unix:/PATH",
                       &shown);
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

    u_char  *colon;

    colon = ngx_strlchr(start, end, ':');

    if (end - start < 2 || colon == NULL || colon + 1 == end - 1
        || end[-1] != '@')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid URL \"%V\" in \"north_redis\": "
                           "give a password as [USER]:PASSWORD@ before the "
                           "host or path", shown);
        return NGX_CONF_ERROR;
    }

    /* a user of Redis's ACLs (ElastiCache RBAC), else the default user */
    mcf->redis_user.data = start;
    mcf->redis_user.len = colon - start;
    mcf->redis_password.data = colon + 1;
    mcf->redis_password.len = end - colon - 2;

    return NGX_CONF_OK;
}


/*
 * The TLS context of a rediss:// link: TLS 1.2 and 1.3, the server's
 * certificate verified against north_redis_ca (else the system's CAs) when
 * the link is up (SSL_get_verify_result and the host name, as nginx's
 * proxy_ssl_verify does).
 */

ngx_int_t
ngx_http_north_redis_ssl(ngx_conf_t *cf, ngx_http_north_main_conf_t *mcf)
{
    ngx_pool_cleanup_t  *cln;

    mcf->redis_ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (mcf->redis_ssl == NULL) {
        return NGX_ERROR;
    }

    mcf->redis_ssl->log = cf->log;

    if (ngx_ssl_create(mcf->redis_ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(mcf->redis_ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = mcf->redis_ssl;

    if (ngx_ssl_trusted_certificate(cf, mcf->redis_ssl, &mcf->redis_ca, 9)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (mcf->redis_ca.len == 0
        && SSL_CTX_set_default_verify_paths(mcf->redis_ssl->ctx) != 1)
    {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "SSL_CTX_set_default_verify_paths() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
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


/*
 * north_data_key base64 | env=NAME [optional]: 32 bytes. The first seals,
 * every one opens (a rotation: the new key first, the one being retired
 * after it, until the re-seal job has moved every secret). With optional,
 * an unset variable names no key.
 */

char *
ngx_http_north_data_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    char                       *env;
    ngx_str_t                  *value, key;
    ngx_uint_t                  i;
    ngx_http_north_data_key_t  *k;

    value = cf->args->elts;

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "optional") != 0) {
            return "takes \"optional\" as its second parameter";
        }

        if (value[1].len <= 4 || ngx_strncmp(value[1].data, "env=", 4) != 0) {
            return "is optional only with env=NAME";
        }

        mcf->env_read = 1;

        env = getenv((char *) value[1].data + 4);
        if (env == NULL || *env == '\0') {
            return NGX_CONF_OK;
        }
    }

    if (ngx_http_north_conf_key(cf, &value[1], &key, 32, 1) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (mcf->data_keys == NULL) {
        mcf->data_keys = ngx_array_create(cf->pool, 2,
                                          sizeof(ngx_http_north_data_key_t));
        if (mcf->data_keys == NULL) {
            return NGX_CONF_ERROR;
        }

        mcf->data_key = key;
    }

    k = ngx_array_push(mcf->data_keys);
    if (k == NULL) {
        return NGX_CONF_ERROR;
    }

    k->key = key;
    ngx_http_north_key_id(&key, k->id);

    for (i = 0; i < mcf->data_keys->nelts - 1; i++) {
        if (ngx_strcmp(((ngx_http_north_data_key_t *)
                        mcf->data_keys->elts)[i].id, k->id) == 0)
        {
            return "names a key given already";
        }
    }

    return NGX_CONF_OK;
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
