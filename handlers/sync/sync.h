/*
 * The sync service's parts shared by its files: the feed (sync.c) and real
 * time (stream.c).
 */

#ifndef NORTH_SYNC_SERVICE_H
#define NORTH_SYNC_SERVICE_H

#include "ngx_north.h"
#include "north_sync.h"


/* The cursor's opaque text (base64url) and back; NGX_DECLINED: not one. */
ngx_int_t north_sync_cursor_decode(ngx_str_t *text, north_sync_cursor_t *c);
ngx_int_t north_sync_cursor_encode(ngx_pool_t *pool, north_sync_cursor_t *c,
    ngx_str_t *text);

/*
 * A long poll (GET /v1/sync?wait=): r waits for its user's next change, or
 * for deadline (ngx_current_msec), or only a moment with soon set (a change
 * is committed but not yet handed). wake is then called once: timed_out 0
 * to read the feed again, 1 when the deadline passed (or the worker
 * leaves); it finalizes r, which drops the wait's reference. *waiter is
 * the caller's to keep between waits (NULL at first). NGX_DONE, or a
 * status to finalize r with.
 */
typedef void (*north_sync_wake_pt)(ngx_http_request_t *r,
    ngx_uint_t timed_out);

ngx_int_t north_sync_wait(ngx_http_request_t *r, void **waiter,
    ngx_msec_t deadline, ngx_uint_t soon, north_sync_wake_pt wake);

/*
 * New data of user's came while they may be away (a Plaid sync): unless a
 * stream of theirs is open on some node (north:{USER}:stream in Redis),
 * each of their devices gets a silent push (north.sync_push: one in 15
 * minutes at most). done(data) follows whatever came of it: NGX_OK when it
 * will be called, NGX_ERROR (out of memory) when not.
 */
ngx_int_t north_sync_away(ngx_pool_t *pool, ngx_str_t *user,
    void (*done)(void *data), void *data);

/* What the pool's listener hands on: a user's change, a session's end. */
void north_sync_notified(const char *user);
void north_sync_session_ended(const char *session);


#endif /* NORTH_SYNC_SERVICE_H */
