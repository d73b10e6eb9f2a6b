#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the runtime role
# nginx connects as. The schema's owner is POSTGRES_USER (north), which
# the migrations run as; north_app gets its rights from them.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$NORTH_APP_PG_PASSWORD" -U "$POSTGRES_USER" -d "$POSTGRES_DB" <<'SQL'
create role north_app login password :'pw';
SQL
