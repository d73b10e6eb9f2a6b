/*
 * North outbound HTTPS: a worker's libcurl multi handle, its sockets
 * wrapped as nginx connections (level-triggered, libcurl owns the fds) and
 * its timeout as an nginx timer. Transfers end in their handler on the
 * event loop; a transfer whose pool goes first is removed, unheard.
 */

#include "ngx_north.h"
#include "ngx_north_fetch.h"

#include <curl/curl.h>


typedef struct {
    CURLM                       *multi;
    const char                  *ca;            /* NULL: the system's */
    ngx_event_t                  timer;
    ngx_log_t                   *log;
} ngx_http_north_fetch_worker_t;


static int ngx_http_north_fetch_socket(CURL *easy, curl_socket_t s,
    int what, void *userp, void *socketp);
static int ngx_http_north_fetch_timer(CURLM *multi, long timeout_ms,
    void *userp);
static void ngx_http_north_fetch_event(ngx_event_t *ev);
static void ngx_http_north_fetch_timeout(ngx_event_t *ev);
static void ngx_http_north_fetch_done(void);
static size_t ngx_http_north_fetch_write(char *ptr, size_t size,
    size_t nmemb, void *userdata);
static size_t ngx_http_north_fetch_header(char *ptr, size_t size,
    size_t nmemb, void *userdata);
static void ngx_http_north_fetch_cleanup(void *data);


static ngx_http_north_fetch_worker_t  *ngx_http_north_fetch_worker;


ngx_int_t
ngx_http_north_fetch_init_process(ngx_cycle_t *cycle, ngx_str_t *ca)
{
    ngx_http_north_fetch_worker_t  *w;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "north fetch: curl_global_init() failed");
        return NGX_ERROR;
    }

    w = ngx_pcalloc(cycle->pool, sizeof(ngx_http_north_fetch_worker_t));
    if (w == NULL) {
        return NGX_ERROR;
    }

    w->multi = curl_multi_init();
    if (w->multi == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "north fetch: curl_multi_init() failed");
        return NGX_ERROR;
    }

    w->log = cycle->log;
    w->ca = ca->len ? (char *) ca->data : NULL;   /* NUL-terminated */
    w->timer.handler = ngx_http_north_fetch_timeout;
    w->timer.data = w;
    w->timer.log = cycle->log;
    w->timer.cancelable = 1;

    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION,
                      ngx_http_north_fetch_socket);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION,
                      ngx_http_north_fetch_timer);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
    /* an HTTP/2 connection takes as many streams as its server allows, up
       to a push batch's (north_fcm_batch), before another is opened */
    curl_multi_setopt(w->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000L);

    ngx_http_north_fetch_worker = w;

    return NGX_OK;
}


void
ngx_http_north_fetch_exit_process(void)
{
    ngx_http_north_fetch_worker_t  *w = ngx_http_north_fetch_worker;

    if (w == NULL) {
        return;
    }

    /* transfers still running belong to pools being destroyed too */
    ngx_http_north_fetch_worker = NULL;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    curl_multi_cleanup(w->multi);
    curl_global_cleanup();
}


ngx_int_t
ngx_http_north_fetch(ngx_pool_t *pool, ngx_log_t *log, const char *url,
    const char **headers, const char *body, size_t len, ngx_msec_t timeout,
    ngx_uint_t flags, ngx_http_north_fetch_pt handler, void *data)
{
    CURL                           *easy;
    const char                    **h;
    struct curl_slist              *list, *next;
    ngx_pool_cleanup_t             *cln;
    ngx_http_north_fetch_t         *f;
    ngx_http_north_fetch_worker_t  *w = ngx_http_north_fetch_worker;

    if (w == NULL) {
        return NGX_ERROR;
    }

    f = ngx_pcalloc(pool, sizeof(ngx_http_north_fetch_t));
    cln = ngx_pool_cleanup_add(pool, 0);
    if (f == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    easy = curl_easy_init();
    if (easy == NULL) {
        return NGX_ERROR;
    }

    list = NULL;

    for (h = headers; h && *h; h++) {
        if (ngx_strncasecmp((u_char *) *h, (u_char *) "Content-Type:", 13)
            == 0)
        {
            break;
        }
    }

    if (h == NULL || *h == NULL) {
        list = curl_slist_append(NULL, "Content-Type: application/json");
        if (list == NULL) {
            curl_easy_cleanup(easy);
            return NGX_ERROR;
        }
    }

    for ( /* void */ ; headers && *headers; headers++) {
        next = curl_slist_append(list, *headers);
        if (next == NULL) {
            curl_slist_free_all(list);
            list = NULL;
            break;
        }

        list = next;
    }

    if (list == NULL) {
        curl_easy_cleanup(easy);
        return NGX_ERROR;
    }

    f->easy = easy;
    f->headers = list;
    f->pool = pool;
    f->handler = handler;
    f->data = data;

    cln->handler = ngx_http_north_fetch_cleanup;
    cln->data = f;

    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long) len);
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ngx_http_north_fetch_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, f);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, f->errbuf);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) timeout);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) ngx_min(timeout, 10000));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);

    if (w->ca) {
        curl_easy_setopt(easy, CURLOPT_CAINFO, w->ca);
    }
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "north/1");
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ngx_http_north_fetch_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, f);

    if (flags & NGX_HTTP_NORTH_FETCH_HTTP2) {
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                         ngx_strncmp(url, "https:", 6) == 0
                         ? CURL_HTTP_VERSION_2TLS
                         : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        /* wait for a connection to multiplex on rather than open another */
        curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
        /* many small calls at once: the smallest upload buffer, not 64 KB */
        curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    }

    if (curl_multi_add_handle(w->multi, easy) != CURLM_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "north fetch: curl_multi_add_handle() failed");
        /* the cleanup frees the handle and the headers */
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Keeps an answer's Retry-After, in seconds (an HTTP date counts as 60). */

static size_t
ngx_http_north_fetch_header(char *ptr, size_t size, size_t nmemb,
    void *userdata)
{
    ngx_http_north_fetch_t  *f = userdata;

    u_char     *p, *last;
    ngx_int_t   n;

    p = (u_char *) ptr;
    last = p + size * nmemb;

    if (last - p > 12
        && ngx_strncasecmp(p, (u_char *) "Retry-After:", 12) == 0)
    {
        for (p += 12; p < last && *p == ' '; p++) { /* void */ }
        while (last > p && (last[-1] == '\r' || last[-1] == '\n'
                            || last[-1] == ' '))
        {
            last--;
        }

        n = ngx_atoi(p, last - p);
        f->retry_after = (n == NGX_ERROR) ? 60 : ngx_min(n, 86400);
    }

    return size * nmemb;
}


/* A transfer's pool is going: the transfer goes with it, unheard. */

static void
ngx_http_north_fetch_cleanup(void *data)
{
    ngx_http_north_fetch_t  *f = data;

    if (f->easy == NULL) {
        return;
    }

    if (!f->done && ngx_http_north_fetch_worker) {
        curl_multi_remove_handle(ngx_http_north_fetch_worker->multi, f->easy);
    }

    curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    f->easy = NULL;
}


static size_t
ngx_http_north_fetch_write(char *ptr, size_t size, size_t nmemb,
    void *userdata)
{
    ngx_http_north_fetch_t  *f = userdata;

    u_char  *p;
    size_t   n, want;

    n = size * nmemb;

    if (f->body.len + n > NGX_HTTP_NORTH_FETCH_MAX_BODY) {
        f->error = "the answer is too large";
        return 0;
    }

    if (f->body.len + n + 1 > f->size) {
        want = ngx_max(f->size * 2, f->body.len + n + 1);
        want = ngx_max(want, 4096);

        p = ngx_pnalloc(f->pool, want);
        if (p == NULL) {
            f->error = "out of memory";
            return 0;
        }

        if (f->body.len) {
            ngx_memcpy(p, f->body.data, f->body.len);
        }

        f->body.data = p;
        f->size = want;
    }

    ngx_memcpy(f->body.data + f->body.len, ptr, n);
    f->body.len += n;
    f->body.data[f->body.len] = '\0';

    return n;
}


static int
ngx_http_north_fetch_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp)
{
    ngx_http_north_fetch_worker_t  *w = userp;

    ngx_connection_t  *c = socketp;

    if (what == CURL_POLL_REMOVE) {
        if (c) {
            if (c->read->active) {
                ngx_del_event(c->read, NGX_READ_EVENT, 0);
            }

            if (c->write->active) {
                ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
            }

            if (c->read->posted) {
                ngx_delete_posted_event(c->read);
            }

            if (c->write->posted) {
                ngx_delete_posted_event(c->write);
            }

            /* the socket is libcurl's: it closes it */
            c->fd = (ngx_socket_t) -1;
            ngx_free_connection(c);
            curl_multi_assign(w->multi, s, NULL);
        }

        return 0;
    }

    if (c == NULL) {
        c = ngx_get_connection(s, w->log);
        if (c == NULL) {
            return -1;
        }

        c->data = w;
        c->read->handler = ngx_http_north_fetch_event;
        c->write->handler = ngx_http_north_fetch_event;
        c->read->log = w->log;
        c->write->log = w->log;
        curl_multi_assign(w->multi, s, c);
    }

    /* level-triggered: libcurl reads and writes only what it wants */
    if ((what & CURL_POLL_IN) && !c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
            return -1;
        }

    } else if (!(what & CURL_POLL_IN) && c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if ((what & CURL_POLL_OUT) && !c->write->active) {
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }

    } else if (!(what & CURL_POLL_OUT) && c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    return 0;
}


static int
ngx_http_north_fetch_timer(CURLM *multi, long timeout_ms, void *userp)
{
    ngx_http_north_fetch_worker_t  *w = userp;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    if (timeout_ms >= 0) {
        /* never from within this callback: on the next turn at the soonest */
        ngx_add_timer(&w->timer, (ngx_msec_t) timeout_ms);
    }

    return 0;
}


static void
ngx_http_north_fetch_event(ngx_event_t *ev)
{
    int                             running;
    ngx_connection_t               *c = ev->data;
    ngx_http_north_fetch_worker_t  *w = c->data;

    curl_multi_socket_action(w->multi, c->fd,
                             ev->write ? CURL_CSELECT_OUT : CURL_CSELECT_IN,
                             &running);

    ngx_http_north_fetch_done();
}


static void
ngx_http_north_fetch_timeout(ngx_event_t *ev)
{
    int                             running;
    ngx_http_north_fetch_worker_t  *w = ev->data;

    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);

    ngx_http_north_fetch_done();
}


/* The transfers that ended, each to its handler. */

static void
ngx_http_north_fetch_done(void)
{
    int                      left;
    long                     code;
    CURL                    *easy;
    CURLMsg                 *msg;
    CURLcode                 result;
    ngx_http_north_fetch_t  *f;

    while (ngx_http_north_fetch_worker
           && (msg = curl_multi_info_read(ngx_http_north_fetch_worker->multi,
                                          &left)))
    {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        /* msg does not outlive the handle's removal */
        easy = msg->easy_handle;
        result = msg->data.result;

        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &f);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
        curl_multi_remove_handle(ngx_http_north_fetch_worker->multi, easy);
        f->done = 1;

        if (result != CURLE_OK) {
            if (f->error == NULL) {
                f->error = f->errbuf[0] ? f->errbuf
                                        : curl_easy_strerror(result);
            }

            f->handler(f, NGX_ERROR);
            continue;
        }

        f->status = code;

        if (f->body.data == NULL) {
            ngx_str_set(&f->body, "");
        }

        f->handler(f, NGX_OK);
    }
}
