/*
 * Notifications API, part one: the devices' push tokens, the preferences
 * (categories, quiet hours, thresholds) and the inbox. Notifications are
 * queued by PostgreSQL from the domain events (north.notifications_events,
 * fed by the job runner), rendered in the user's language and held while
 * the user's quiet hours last (north.quiet_release).
 */

#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "ngx_north_jwt.h"
#include "ngx_north_jobs.h"


#define NORTH_NOTIFICATIONS_LIST_MAX   100         /* a page, at most */
#define NORTH_NOTIFICATIONS_CENTS_MAX  100000000000LL   /* $1 billion */


static ngx_int_t north_notifications_push_token(ngx_http_request_t *r);
static ngx_int_t north_notifications_token_body(ngx_http_request_t *r,
    json_t *body);
static ngx_int_t north_notifications_token_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_notifications_device(ngx_http_request_t *r,
    ngx_str_t *device);
static ngx_int_t north_notifications_preferences(ngx_http_request_t *r);
static ngx_int_t north_notifications_preferences_body(ngx_http_request_t *r,
    json_t *body);
static void north_notifications_categories(ngx_http_north_fields_t *f,
    json_t *categories);
static void north_notifications_quiet_hours(ngx_http_north_fields_t *f,
    json_t *quiet);
static ngx_int_t north_notifications_list(ngx_http_request_t *r);
static ngx_int_t north_notifications_read(ngx_http_request_t *r);
static ngx_int_t north_notifications_read_done(ngx_http_request_t *r,
    void *data, PGresult *res, ngx_int_t status);
static ngx_int_t north_notifications_not_found(ngx_http_request_t *r,
    const char *what);


static const char *const  north_notifications_categories_known[] = {
    "goals", "transactions", "balances", "streaks", "summary", "security",
    NULL
};

static const char *const  north_notifications_platforms[] = {
    "ios", "android", NULL
};


static ngx_http_north_pg_stmt_t  north_notifications_token_put_stmt =
    ngx_http_north_pg_stmt("north_notifications_token_put",
        "select north.push_token_put($1, $2, $3, $4, $5, $6)", 6, 1);

static ngx_http_north_pg_stmt_t  north_notifications_token_delete_stmt =
    ngx_http_north_pg_stmt_rows("north_notifications_token_delete",
        "delete from north.push_tokens where user_id = $1 and device_id = $2"
        " returning device_id", 2, 1);

static ngx_http_north_pg_stmt_t  north_notifications_preferences_stmt =
    ngx_http_north_pg_stmt("north_notifications_preferences",
        "select north.notification_preferences_json($1)::text", 1, 1);

static ngx_http_north_pg_stmt_t  north_notifications_preferences_put_stmt =
    ngx_http_north_pg_stmt("north_notifications_preferences_put",
        "select north.notification_preferences_put($1, $2::jsonb)::text",
        2, 1);

static ngx_http_north_pg_stmt_t  north_notifications_list_stmt =
    ngx_http_north_pg_stmt("north_notifications_list",
        "select north.notifications_json($1, $2::uuid, $3::int)::text", 3, 1);

static ngx_http_north_pg_stmt_t  north_notifications_read_stmt =
    ngx_http_north_pg_stmt_rows("north_notifications_read",
        "update north.notifications set read_at = coalesce(read_at, now())"
        " where user_id = $1 and id = $2::uuid and not_before <= now()"
        " returning id", 2, 1);


/* PUT, DELETE /v1/devices/{device_id}/push-token */

static ngx_int_t
north_notifications_push_token(ngx_http_request_t *r)
{
    ngx_str_t     device;
    const char   *values[2];

    if (r->method == NGX_HTTP_PUT) {
        return ngx_http_north_json_read(r, north_notifications_token_body);
    }

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (north_notifications_device(r, &device) != NGX_OK) {
        return north_notifications_not_found(r, "no such device");
    }

    values[1] = (char *) device.data;

    return ngx_http_north_pg_query(r, &north_notifications_token_delete_stmt,
                                   values, north_notifications_token_done,
                                   NULL);
}


static ngx_int_t
north_notifications_token_body(ngx_http_request_t *r, json_t *body)
{
    ngx_str_t                   device, token, version;
    ngx_http_north_fields_t     f;
    ngx_http_north_identity_t  *id;
    struct {
        const char  *user, *session, *device, *token, *platform, *version;
    } p;

    static const char *const  fields[] = {
        "token", "platform", "app_version", NULL
    };

    id = ngx_http_north_jwt_identity(r);
    if (id == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (north_notifications_device(r, &device) != NGX_OK) {
        return north_notifications_not_found(r, "no such device");
    }

    if (ngx_http_north_fields_init(&f, r, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    (void) ngx_http_north_field_string(&f, "token", 1, 1, 4096, &token);
    p.platform = ngx_http_north_field_enum(&f, "platform", 1,
                                           north_notifications_platforms);
    (void) ngx_http_north_field_string(&f, "app_version", 0, 1, 32, &version);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    p.user = (char *) id->user_id.data;
    p.session = (char *) id->session_id.data;
    p.device = (char *) device.data;
    p.token = (char *) token.data;
    p.version = (char *) version.data;

    return ngx_http_north_pg_query_named(r,
                                         &north_notifications_token_put_stmt,
                                         &p, north_notifications_token_done,
                                         NULL);
}


/* PUT: ok | not_this_device; DELETE: the device's row, or none */

static ngx_int_t
north_notifications_token_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    if (PQntuples(res) == 0
        || ngx_strcmp(PQgetvalue(res, 0, 0), "not_this_device") == 0)
    {
        return north_notifications_not_found(r, "no such device");
    }

    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


/* The {device_id} of the URI: 1 to 128 bytes, NUL-terminated in r->pool. */

static ngx_int_t
north_notifications_device(ngx_http_request_t *r, ngx_str_t *device)
{
    ngx_str_t  segment;

    ngx_http_north_path_segment(r, 1, &segment);

    if (segment.len == 0 || segment.len > 128) {
        return NGX_DECLINED;
    }

    device->data = (u_char *) ngx_http_north_strdup(r->pool, &segment);
    device->len = segment.len;

    return device->data ? NGX_OK : NGX_ERROR;
}


/* GET, PUT /v1/notifications/preferences */

static ngx_int_t
north_notifications_preferences(ngx_http_request_t *r)
{
    const char  *values[1];

    if (r->method == NGX_HTTP_PUT) {
        return ngx_http_north_json_read(r,
                                        north_notifications_preferences_body);
    }

    values[0] = ngx_http_north_caller(r);
    if (values[0] == NULL) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    return ngx_http_north_pg_query(r, &north_notifications_preferences_stmt,
                                   values, ngx_http_north_pg_json_done, NULL);
}


static ngx_int_t
north_notifications_preferences_body(ngx_http_request_t *r, json_t *body)
{
    json_int_t               cents;
    const char              *values[2];
    ngx_http_north_fields_t  f;

    static const char *const  fields[] = {
        "categories", "quiet_hours", "large_transaction_cents",
        "low_balance_cents", NULL
    };

    values[0] = ngx_http_north_caller(r);

    if (values[0] == NULL
        || ngx_http_north_fields_init(&f, r, body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_north_fields_only(&f, fields);
    north_notifications_categories(&f, json_object_get(body, "categories"));
    north_notifications_quiet_hours(&f, json_object_get(body, "quiet_hours"));
    (void) ngx_http_north_field_integer(&f, "large_transaction_cents", 0, 1,
                                        NORTH_NOTIFICATIONS_CENTS_MAX, &cents);
    (void) ngx_http_north_field_integer(&f, "low_balance_cents", 0, 0,
                                        NORTH_NOTIFICATIONS_CENTS_MAX, &cents);

    if (ngx_http_north_fields_failed(&f)) {
        return ngx_http_north_fields_problem(r, &f);
    }

    values[1] = ngx_http_north_json_text(r->pool, body);
    if (values[1] == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_north_pg_query(r,
                                   &north_notifications_preferences_put_stmt,
                                   values, ngx_http_north_pg_json_done, NULL);
}


/* {"goals": false, ...}: known categories, booleans; security stays on */

static void
north_notifications_categories(ngx_http_north_fields_t *f, json_t *categories)
{
    json_t      *v;
    ngx_uint_t   i, known;
    const char  *name;

    if (categories == NULL) {
        return;
    }

    if (!json_is_object(categories)) {
        ngx_http_north_fields_error(f, "categories", "must be an object");
        return;
    }

    json_object_foreach(categories, name, v) {
        known = 0;

        for (i = 0; north_notifications_categories_known[i]; i++) {
            if (ngx_strcmp(name, north_notifications_categories_known[i])
                == 0)
            {
                known = 1;
                break;
            }
        }

        if (!known) {
            ngx_http_north_fields_error(f, "categories",
                                        "names an unknown category");

        } else if (!json_is_boolean(v)) {
            ngx_http_north_fields_error(f, "categories",
                                        "must map each category to true or "
                                        "false");

        } else if (ngx_strcmp(name, "security") == 0 && json_is_false(v)) {
            ngx_http_north_fields_error(f, "categories",
                                        "security notices cannot be turned "
                                        "off");
        }
    }
}


/* {"start": "HH:MM", "end": "HH:MM"}, both */

static void
north_notifications_quiet_hours(ngx_http_north_fields_t *f, json_t *quiet)
{
    size_t       n;
    const char  *s;
    ngx_uint_t   i;

    static const char *const  names[] = { "start", "end" };

    if (quiet == NULL) {
        return;
    }

    if (!json_is_object(quiet) || json_object_size(quiet) != 2) {
        ngx_http_north_fields_error(f, "quiet_hours",
                                    "must be {\"start\": \"HH:MM\", "
                                    "\"end\": \"HH:MM\"}");
        return;
    }

    for (i = 0; i < 2; i++) {
        s = json_string_value(json_object_get(quiet, names[i]));
        n = s ? ngx_strlen(s) : 0;

        if (n != 5 || s[2] != ':'
            || s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9'
            || (s[0] == '2' && s[1] > '3')
            || s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
        {
            ngx_http_north_fields_error(f, "quiet_hours",
                                        "must be {\"start\": \"HH:MM\", "
                                        "\"end\": \"HH:MM\"}");
            return;
        }
    }
}


/* GET /v1/notifications?limit=&cursor= */

static ngx_int_t
north_notifications_list(ngx_http_request_t *r)
{
    return ngx_http_north_pg_query_page(r, &north_notifications_list_stmt,
                                        NORTH_NOTIFICATIONS_LIST_MAX,
                                        ngx_http_north_cursor_uuid, NULL);
}


/* POST /v1/notifications/{id}/read */

static ngx_int_t
north_notifications_read(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_north_pg_query_path(r, 1, &north_notifications_read_stmt,
                                      NULL, north_notifications_read_done,
                                      NULL);

    return rc == NGX_DECLINED
           ? north_notifications_not_found(r, "no such notification") : rc;
}


static ngx_int_t
north_notifications_read_done(ngx_http_request_t *r, void *data,
    PGresult *res, ngx_int_t status)
{
    if (PQntuples(res) == 0) {
        return north_notifications_not_found(r, "no such notification");
    }

    return ngx_http_north_json_send_text(r, NGX_HTTP_NO_CONTENT, NULL, 0);
}


static ngx_int_t
north_notifications_not_found(ngx_http_request_t *r, const char *what)
{
    return ngx_http_north_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  "Not found", what, NULL);
}


/* what the user holds here, for the export and the erasure */
ngx_http_north_privacy_part_t  north_notifications_privacy[] = {
    ngx_http_north_privacy_table("push_tokens", "north.push_tokens",
                                 "device_id", "text"),
    ngx_http_north_privacy_table("notification_preferences",
                                 "north.notification_preferences",
                                 "user_id", "uuid"),
    ngx_http_north_privacy_table("notifications", "north.notifications",
                                 "id", "uuid"),
    ngx_http_north_privacy_table("push_deliveries", "north.push_deliveries",
                                 "id", "bigint"),
    { NULL, NULL, NULL, NULL }
};


ngx_http_north_route_t  north_notifications_routes[] = {

    { ngx_string("notifications.push_token"), NGX_HTTP_PUT|NGX_HTTP_DELETE,
      north_notifications_push_token },

    { ngx_string("notifications.preferences"), NGX_HTTP_GET|NGX_HTTP_PUT,
      north_notifications_preferences },

    { ngx_string("notifications.list"), NGX_HTTP_GET,
      north_notifications_list },

    { ngx_string("notifications.read"), NGX_HTTP_POST,
      north_notifications_read },

    { ngx_null_string, 0, NULL }
};
