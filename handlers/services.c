/*
 * The services' route tables, for `north_api NAME;`. The platform knows
 * only this list; a new service adds its table here.
 */

#include "ngx_north.h"


extern ngx_http_north_route_t  north_auth_routes[];
extern ngx_http_north_route_t  north_health_routes[];
extern ngx_http_north_route_t  north_selftest_routes[];


ngx_http_north_route_t  *ngx_http_north_services[] = {
    north_auth_routes,
    north_health_routes,
    north_selftest_routes,
    NULL
};
