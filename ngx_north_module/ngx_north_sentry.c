/*
 * North's error tracking over the Sentry protocol: what an on-call engineer
 * must hear of (a 5xx answered, an SQL error reaching a handler, a job that
 * failed, a worker that died) becomes an event, scrubbed of personal data,
 * queued per worker and posted in batches of envelopes to the DSN's
 * project, at most north_sentry's rate a minute. A worker that died on a
 * signal is told of by the next worker to start, from the marker file each
 * worker keeps while it lives (written with the signal by a crash handler).
 */

#include "ngx_north.h"
#include "ngx_north_sentry.h"
#include "ngx_north_fetch.h"
#include "ngx_north_trace.h"
#include "ngx_north_metrics.h"
#include "north_scrub.h"

#include <dirent.h>
#include <jansson.h>
#include <openssl/rand.h>


#define NGX_HTTP_NORTH_SENTRY_QUEUE    100     /* events waiting, at most */
#define NGX_HTTP_NORTH_SENTRY_FLUSH    1000    /* ms: a batch's gathering */
#define NGX_HTTP_NORTH_SENTRY_TIMEOUT  5000


typedef struct {
    ngx_str_t                    dsn;
    u_char                      *url;          /* the envelope endpoint */
    u_char                      *auth;         /* its X-Sentry-Auth line */
    ngx_str_t                    environment;
    ngx_uint_t                   rate;         /* events a minute */
} ngx_http_north_sentry_conf_t;


typedef struct {
    ngx_http_north_sentry_conf_t  *conf;
    ngx_log_t                     *log;
    json_t                        *queue;
    ngx_pool_t                    *pool;       /* the batch in flight */
    ngx_uint_t                     inflight;
    ngx_event_t                    flush;
    ngx_msec_t                     window;     /* this minute's start */
    ngx_uint_t                     spent;      /* events in it */
    time_t                         quiet_until;  /* the server's 429 */
    u_char                         marker[NGX_MAX_PATH];
} ngx_http_north_sentry_t;


static void ngx_http_north_sentry_flush(ngx_event_t *ev);
static void ngx_http_north_sentry_sent(ngx_http_north_fetch_t *f,
    ngx_int_t rc);
static void ngx_http_north_sentry_mark(ngx_cycle_t *cycle);
#if !(NORTH_ASAN_PALLOC)
static void ngx_http_north_sentry_crashed(int signo);
#endif
static void ngx_http_north_sentry_reports(ngx_cycle_t *cycle);


static ngx_http_north_sentry_t  ngx_http_north_sentry_worker;
static int                      ngx_http_north_sentry_fd = -1;


/*
 * north_sentry dsn=https://KEY@HOST[:PORT]/PROJECT | dsn=env=NAME
 *              [environment=NAME] [rate=N]
 */

char *
ngx_http_north_sentry(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_north_main_conf_t  *mcf = conf;

    u_char                        *at, *host, *slash, *p;
    ngx_str_t                     *value, arg, dsn, shown, key, project;
    ngx_uint_t                     i;
    ngx_http_north_sentry_conf_t  *sc;

    if (mcf->sentry != NULL) {
        return "is duplicate";
    }

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_http_north_sentry_conf_t));
    if (sc == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&sc->environment, "production");
    sc->rate = 60;
    dsn.len = 0;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "dsn=", 4) == 0) {
            arg.data = value[i].data + 4;
            arg.len = value[i].len - 4;

            if (ngx_http_north_conf_value(cf, &arg, &dsn, &shown)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "environment=", 12) == 0
            && value[i].len > 12)
        {
            sc->environment.data = value[i].data + 12;
            sc->environment.len = value[i].len - 12;
            continue;
        }

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {
            sc->rate = ngx_atoi(value[i].data + 5, value[i].len - 5);

            if (sc->rate == (ngx_uint_t) NGX_ERROR || sc->rate == 0
                || sc->rate > 10000)
            {
                return "has a rate that is not 1 to 10000 events a minute";
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    if (dsn.len == 0) {
        return "needs dsn=";
    }

    /* scheme://KEY@HOST[:PORT]/PROJECT */
    p = ngx_strlcasestrn(dsn.data, dsn.data + dsn.len, (u_char *) "://", 2);
    at = p ? ngx_strlchr(p + 3, dsn.data + dsn.len, '@') : NULL;
    slash = at ? ngx_strlchr(at + 1, dsn.data + dsn.len, '/') : NULL;

    if (p == NULL || at == NULL || slash == NULL || at == p + 3
        || slash + 1 == dsn.data + dsn.len
        || (ngx_strncmp(dsn.data, "https://", 8) != 0
            && ngx_strncmp(dsn.data, "http://", 7) != 0))
    {
        return "has a DSN that is not scheme://KEY@HOST/PROJECT";
    }

    key.data = p + 3;
    key.len = ngx_strlchr(key.data, at, ':')
              ? (size_t) (ngx_strlchr(key.data, at, ':') - key.data)
              : (size_t) (at - key.data);
    host = at + 1;
    project.data = slash + 1;
    project.len = dsn.data + dsn.len - project.data;

    sc->dsn = dsn;
    sc->url = ngx_pnalloc(cf->pool, dsn.len + sizeof("/api//envelope/"));
    sc->auth = ngx_pnalloc(cf->pool, key.len
                           + sizeof("X-Sentry-Auth: Sentry sentry_version=7, "
                                    "sentry_client=north/1, sentry_key="));
    if (sc->url == NULL || sc->auth == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(sc->url, "%*s%*s/api/%V/envelope/%Z",
                (size_t) (p + 3 - dsn.data), dsn.data,
                (size_t) (slash - host), host, &project);
    ngx_sprintf(sc->auth, "X-Sentry-Auth: Sentry sentry_version=7, "
                "sentry_client=north/1, sentry_key=%V%Z", &key);

    mcf->sentry = sc;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_north_sentry_init_process(ngx_cycle_t *cycle)
{
    ngx_http_north_sentry_t     *s = &ngx_http_north_sentry_worker;
    ngx_http_north_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_north_module);

    ngx_memzero(s, sizeof(ngx_http_north_sentry_t));

    if (mcf == NULL || mcf->sentry == NULL) {
        return NGX_OK;
    }

    s->conf = mcf->sentry;
    s->log = cycle->log;
    s->queue = json_array();

    if (s->queue == NULL) {
        return NGX_ERROR;
    }

    s->flush.handler = ngx_http_north_sentry_flush;
    s->flush.data = s;
    s->flush.log = cycle->log;
    s->flush.cancelable = 1;

    ngx_http_north_sentry_reports(cycle);
    ngx_http_north_sentry_mark(cycle);

    return NGX_OK;
}


void
ngx_http_north_sentry_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_north_sentry_t  *s = &ngx_http_north_sentry_worker;

    if (s->conf == NULL) {
        return;
    }

    /* a worker that exits leaves no marker: only a dead one does */
    if (ngx_http_north_sentry_fd != -1) {
        (void) close(ngx_http_north_sentry_fd);
        ngx_http_north_sentry_fd = -1;
        (void) ngx_delete_file(s->marker);
    }

    json_decref(s->queue);
    s->queue = NULL;

    if (s->pool) {
        ngx_destroy_pool(s->pool);
        s->pool = NULL;
    }

    s->conf = NULL;
}


void
ngx_http_north_sentry_capture(const char *kind, const char *level,
    ngx_http_request_t *r, const char *fmt, ...)
{
    u_char                   *p, text[1024], clean[1024], id[33], rnd[16];
    u_char                    now[NGX_HTTP_NORTH_RFC3339_LEN + 1];
    json_t                   *event, *tags;
    va_list                   args;
    ngx_str_t                 tp, *rid, route;
    ngx_http_north_sentry_t  *s = &ngx_http_north_sentry_worker;
    ngx_http_north_main_conf_t  *mcf;

    if (s->conf == NULL || s->queue == NULL) {
        return;
    }

    if (ngx_current_msec - s->window >= 60000 || s->window == 0) {
        s->window = ngx_current_msec;
        s->spent = 0;
    }

    if (s->spent >= s->conf->rate
        || json_array_size(s->queue) >= NGX_HTTP_NORTH_SENTRY_QUEUE
        || ngx_time() < s->quiet_until)
    {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_SENTRY_DROPPED, 1);
        return;
    }

    s->spent++;

    va_start(args, fmt);
    p = ngx_vslprintf(text, text + sizeof(text), fmt, args);
    va_end(args);

    (void) north_scrub((char *) text, p - text, (char *) clean,
                       sizeof(clean));

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return;
    }

    *ngx_hex_dump(id, rnd, sizeof(rnd)) = '\0';

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                              ngx_http_north_module);

    tags = json_pack("{s:s}", "kind", kind);

    event = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s%, s:s, s:s%,"
                      " s:{s:s}, s:o}",
                      "event_id", (char *) id,
                      "timestamp", (char *) ngx_http_north_rfc3339_now(now),
                      "platform", "c",
                      "level", level,
                      "logger", "north",
                      "server_name", mcf->node.data, mcf->node.len,
                      "release", ngx_http_north_release,
                      "environment", s->conf->environment.data,
                      s->conf->environment.len,
                      "message", "formatted", (char *) clean,
                      "tags", tags);

    if (event == NULL) {
        return;
    }

    if (r != NULL) {
        rid = ngx_http_north_request_id(r);

        if (rid) {
            json_object_set_new(tags, "request_id",
                                json_stringn((char *) rid->data, rid->len));
        }

        if (ngx_http_north_request_route(r, &route) == NGX_OK && route.len) {
            json_object_set_new(tags, "route",
                                json_stringn((char *) route.data, route.len));
        }

        if (ngx_http_north_traceparent(r, &tp) == NGX_OK) {
            json_object_set_new(event, "contexts",
                json_pack("{s:{s:s%, s:s%}}", "trace",
                          "trace_id", tp.data + 3, (size_t) 32,
                          "span_id", tp.data + 36, (size_t) 16));
        }
    }

    json_array_append_new(s->queue, event);

    if (!s->flush.timer_set && s->inflight == 0) {
        ngx_add_timer(&s->flush, NGX_HTTP_NORTH_SENTRY_FLUSH);
    }
}


/* The batch: an envelope an event (the protocol's rule), posted at once. */

static void
ngx_http_north_sentry_flush(ngx_event_t *ev)
{
    ngx_http_north_sentry_t  *s = ev->data;

    u_char      *body, now[NGX_HTTP_NORTH_RFC3339_LEN + 1];
    char        *payload, *head;
    size_t       i, len;
    json_t      *event, *envelope;
    ngx_int_t    rc;
    const char  *headers[3];

    if (json_array_size(s->queue) == 0 || s->inflight) {
        return;
    }

    s->pool = ngx_create_pool(4096, s->log);
    if (s->pool == NULL) {
        return;
    }

    headers[0] = (char *) s->conf->auth;
    headers[1] = "Content-Type: application/x-sentry-envelope";
    headers[2] = NULL;

    (void) ngx_http_north_rfc3339_now(now);

    json_array_foreach(s->queue, i, event) {
        envelope = json_pack("{s:O, s:s%, s:s}",
                             "event_id", json_object_get(event, "event_id"),
                             "dsn", s->conf->dsn.data, s->conf->dsn.len,
                             "sent_at", (char *) now);
        payload = json_dumps(event, JSON_COMPACT);
        head = envelope ? json_dumps(envelope, JSON_COMPACT) : NULL;
        json_decref(envelope);

        if (payload == NULL || head == NULL) {
            free(payload);
            free(head);
            continue;
        }

        len = ngx_strlen(head) + ngx_strlen(payload)
              + sizeof("\n{\"type\":\"event\",\"length\":}\n\n")
              + NGX_SIZE_T_LEN;
        body = ngx_pnalloc(s->pool, len);

        if (body != NULL) {
            len = ngx_sprintf(body, "%s\n{\"type\":\"event\",\"length\":%uz}"
                              "\n%s\n", head, ngx_strlen(payload), payload)
                  - body;

            rc = ngx_http_north_fetch(s->pool, s->log, (char *) s->conf->url,
                                      headers, (char *) body, len,
                                      NGX_HTTP_NORTH_SENTRY_TIMEOUT, 0,
                                      ngx_http_north_sentry_sent, s);
            if (rc == NGX_OK) {
                s->inflight++;
            }
        }

        free(payload);
        free(head);
    }

    json_array_clear(s->queue);

    if (s->inflight == 0) {
        ngx_destroy_pool(s->pool);
        s->pool = NULL;
    }
}


static void
ngx_http_north_sentry_sent(ngx_http_north_fetch_t *f, ngx_int_t rc)
{
    ngx_http_north_sentry_t  *s = f->data;

    if (rc == NGX_OK && f->status == 200) {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_SENTRY_SENT, 1);

    } else {
        ngx_http_north_metric_add(NGX_HTTP_NORTH_M_SENTRY_DROPPED, 1);

        /* the server's own limit: quiet until it says, a minute at least */
        if (rc == NGX_OK && f->status == 429) {
            s->quiet_until = ngx_time() + ngx_max(f->retry_after, 60);
        }

        ngx_log_error(NGX_LOG_WARN, s->log, 0,
                      "north sentry: an event was not taken: %s%ui",
                      rc == NGX_OK ? "HTTP " : f->error,
                      rc == NGX_OK ? f->status : 0);
    }

    if (--s->inflight) {
        return;
    }

    /* the batch is over (the fetch layer touches no call after its handler) */
    ngx_destroy_pool(s->pool);
    s->pool = NULL;

    if (json_array_size(s->queue) && !s->flush.timer_set) {
        ngx_add_timer(&s->flush, NGX_HTTP_NORTH_SENTRY_FLUSH);
    }
}


/*
 * This worker's marker, logs/north-worker-PID.alive, while it lives. A
 * crash handler writes the signal in it (write(2) is safe there), then
 * lets the signal do what it does.
 */

static void
ngx_http_north_sentry_mark(ngx_cycle_t *cycle)
{
    ngx_http_north_sentry_t  *s = &ngx_http_north_sentry_worker;

#if !(NORTH_ASAN_PALLOC)
    int                       i;
    struct sigaction          sa;
    static int                crashes[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                                            SIGABRT };
#endif

    ngx_snprintf(s->marker, NGX_MAX_PATH, "%Vlogs/north-worker-%P.alive%Z",
                 &cycle->prefix, ngx_pid);

    ngx_http_north_sentry_fd = open((char *) s->marker,
                                    O_WRONLY|O_CREAT|O_TRUNC, 0600);

    if (ngx_http_north_sentry_fd == -1) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_errno,
                      "north sentry: open(\"%s\") failed: a crash of this "
                      "worker will not be reported", s->marker);
        return;
    }

#if !(NORTH_ASAN_PALLOC)
    /* under AddressSanitizer its own handler reports the crash */
    ngx_memzero(&sa, sizeof(struct sigaction));
    sa.sa_handler = ngx_http_north_sentry_crashed;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);

    for (i = 0; i < (int) (sizeof(crashes) / sizeof(int)); i++) {
        (void) sigaction(crashes[i], &sa, NULL);
    }
#endif
}


#if !(NORTH_ASAN_PALLOC)

static void
ngx_http_north_sentry_crashed(int signo)
{
    char  buf[16];
    int   n;

    n = 0;
    buf[n++] = 's';
    buf[n++] = 'i';
    buf[n++] = 'g';
    buf[n++] = ' ';

    if (signo >= 10) {
        buf[n++] = (char) ('0' + signo / 10);
    }

    buf[n++] = (char) ('0' + signo % 10);
    buf[n++] = '\n';

    if (ngx_http_north_sentry_fd != -1) {
        (void) pwrite(ngx_http_north_sentry_fd, buf, n, 0);
    }

    /* SA_RESETHAND: the default action now, as if never caught */
    (void) raise(signo);
}

#endif


/* Markers of workers that are gone without exiting: one event each. */

static void
ngx_http_north_sentry_reports(ngx_cycle_t *cycle)
{
    u_char          *p, path[NGX_MAX_PATH], taken[NGX_MAX_PATH], buf[16];
    DIR             *dir;
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_pid_t        pid;
    ngx_int_t        signo;
    struct dirent   *de;

    ngx_snprintf(path, NGX_MAX_PATH, "%Vlogs%Z", &cycle->prefix);

    dir = opendir((char *) path);
    if (dir == NULL) {
        return;
    }

    while ((de = readdir(dir)) != NULL) {

        if (ngx_strncmp(de->d_name, "north-worker-", 13) != 0
            || ngx_strstr(de->d_name, ".alive") == NULL)
        {
            continue;
        }

        p = (u_char *) de->d_name + 13;
        pid = ngx_atoi(p, (u_char *) ngx_strstr(p, ".alive") - p);

        if (pid == NGX_ERROR || pid == ngx_pid
            || kill(pid, 0) == 0 || ngx_errno != ESRCH)
        {
            continue;
        }

        /* another worker starting now may have seen it: one takes it */
        ngx_snprintf(path, NGX_MAX_PATH, "%Vlogs/%s%Z", &cycle->prefix,
                     de->d_name);
        ngx_snprintf(taken, NGX_MAX_PATH, "%Vlogs/%s.%P%Z", &cycle->prefix,
                     de->d_name, ngx_pid);

        if (ngx_rename_file(path, taken) == NGX_FILE_ERROR) {
            continue;
        }

        signo = 0;
        fd = ngx_open_file(taken, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

        if (fd != NGX_INVALID_FILE) {
            n = read(fd, buf, sizeof(buf) - 1);
            (void) ngx_close_file(fd);

            if (n > 4 && ngx_strncmp(buf, "sig ", 4) == 0) {
                signo = ngx_atoi(buf + 4, n - 5);
            }
        }

        (void) ngx_delete_file(taken);

        if (signo > 0) {
            ngx_http_north_sentry_capture("worker.died", "fatal", NULL,
                                          "a worker (pid %P) died on "
                                          "signal %i", pid, signo);
        } else {
            ngx_http_north_sentry_capture("worker.died", "fatal", NULL,
                                          "a worker (pid %P) died without "
                                          "exiting (a signal it could not "
                                          "catch: SIGKILL, the OOM killer)",
                                          pid);
        }
    }

    closedir(dir);
}
