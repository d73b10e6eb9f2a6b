/*
 * The services' tables: their routes, for `north_api NAME;`, what each
 * holds of a user (for export and erasure) and the background jobs each
 * runs. The platform knows only these lists; a new service adds its
 * tables here, and its Redis keys of a user's.
 */

#include "ngx_north.h"
#include "ngx_north_jobs.h"
#include "ngx_north_pg.h"
#include "sync.h"


extern ngx_http_north_route_t  north_auth_routes[];
extern ngx_http_north_route_t  north_users_routes[];
extern ngx_http_north_route_t  north_privacy_routes[];
extern ngx_http_north_route_t  north_plaid_routes[];
extern ngx_http_north_route_t  north_analytics_routes[];
extern ngx_http_north_route_t  north_goals_routes[];
extern ngx_http_north_route_t  north_gamification_routes[];
extern ngx_http_north_route_t  north_notifications_routes[];
extern ngx_http_north_route_t  north_tax_routes[];
extern ngx_http_north_route_t  north_insights_routes[];
extern ngx_http_north_route_t  north_recommendations_routes[];
extern ngx_http_north_route_t  north_ai_routes[];
extern ngx_http_north_route_t  north_sync_routes[];
extern ngx_http_north_route_t  north_sync_stream_routes[];
extern ngx_http_north_route_t  north_health_routes[];
#if (NORTH_SELFTEST)
extern ngx_http_north_route_t  north_selftest_routes[];
#endif

extern ngx_http_north_privacy_part_t  north_users_privacy[];
extern ngx_http_north_privacy_part_t  north_auth_privacy[];
extern ngx_http_north_privacy_part_t  north_plaid_privacy[];
extern ngx_http_north_privacy_part_t  north_analytics_privacy[];
extern ngx_http_north_privacy_part_t  north_goals_privacy[];
extern ngx_http_north_privacy_part_t  north_gamification_privacy[];
extern ngx_http_north_privacy_part_t  north_notifications_privacy[];
extern ngx_http_north_privacy_part_t  north_tax_privacy[];
extern ngx_http_north_privacy_part_t  north_insights_privacy[];
extern ngx_http_north_privacy_part_t  north_recommendations_privacy[];
extern ngx_http_north_privacy_part_t  north_sync_privacy[];
extern ngx_http_north_privacy_part_t  north_privacy_parts[];

extern ngx_http_north_job_kind_t  north_privacy_jobs[];
extern ngx_http_north_job_kind_t  north_plaid_jobs[];
extern ngx_http_north_job_kind_t  north_mail_jobs[];
extern ngx_http_north_job_kind_t  north_push_jobs[];


ngx_http_north_route_t  *ngx_http_north_services[] = {
    north_auth_routes,
    north_users_routes,
    north_privacy_routes,
    north_plaid_routes,
    north_analytics_routes,
    north_goals_routes,
    north_gamification_routes,
    north_notifications_routes,
    north_tax_routes,
    north_insights_routes,
    north_recommendations_routes,
    north_ai_routes,
    north_sync_routes,
    north_sync_stream_routes,
    north_health_routes,
#if (NORTH_SELFTEST)
    north_selftest_routes,          /* the test module's only */
#endif
    NULL
};


/* in export order: the profile first */
ngx_http_north_privacy_part_t  *ngx_http_north_privacy_parts[] = {
    north_users_privacy,
    north_auth_privacy,
    north_plaid_privacy,
    north_analytics_privacy,
    north_goals_privacy,
    north_gamification_privacy,
    north_notifications_privacy,
    north_tax_privacy,
    north_insights_privacy,
    north_recommendations_privacy,
    north_sync_privacy,
    north_privacy_parts,
    NULL
};


/*
 * The kinds of a user's own Redis keys (north:{USER}:KIND) that an erasure
 * deletes at once: the assistant's conversations, the sync's open streams.
 */
const char  *ngx_http_north_user_key_kinds[] = {
    "ai",
    "stream",
    NULL
};


/* the channels each worker LISTENs on, and who hears them */
ngx_http_north_pg_channel_t  ngx_http_north_pg_channels[] = {
    { "north_sync", north_sync_notified },
    { "north_session", north_sync_session_ended },
    { NULL, NULL }
};


ngx_http_north_job_kind_t  *ngx_http_north_job_kinds[] = {
    north_privacy_jobs,
    north_plaid_jobs,
    north_mail_jobs,
    north_push_jobs,
    NULL
};
