-- A strong validator of what the profile shows (updated_at moves on every
-- change, to the microsecond).
create or replace function north.profile_etag(p jsonb)
returns text
language sql immutable as $$
    select '"' || md5(p::text) || '"'
$$;
