-- Applies the members of p_changes (already type-checked) to the profile
-- when p_if_match (an If-Match list, or null) still holds. status: ok |
-- not_found | precondition_failed | bad_time_zone | email_taken.
create or replace function north.profile_update(p_user uuid, p_if_match text,
    p_changes jsonb, p_ip inet)
returns table (status text, profile jsonb, etag text)
language plpgsql as $$
declare
    u      north.users;
    before jsonb;
    after  jsonb;
    tz     text := p_changes->>'time_zone';
begin
    select * into u from north.users
    where id = p_user and erasure_requested_at is null for update;

    if not found then
        return query select 'not_found'::text, null::jsonb, null::text;
        return;
    end if;

    before := north.profile_json(u);

    if p_if_match is not null and btrim(p_if_match) <> '*'
       and not north.profile_etag(before)
               = any (select btrim(m)
                      from unnest(string_to_array(p_if_match, ',')) m)
    then
        return query select 'precondition_failed'::text, before,
                            north.profile_etag(before);
        return;
    end if;

    if tz is not null
       and not exists (select 1 from pg_timezone_names where name = tz)
    then
        return query select 'bad_time_zone'::text, null::jsonb, null::text;
        return;
    end if;

    begin
        update north.users set
            email = case when p_changes ? 'email'
                         then p_changes->>'email' else email end,
            display_name = case when p_changes ? 'display_name'
                                then p_changes->>'display_name'
                                else display_name end,
            province = case when p_changes ? 'province'
                            then p_changes->>'province' else province end,
            time_zone = case when p_changes ? 'time_zone'
                             then tz else time_zone end,
            locale = case when p_changes ? 'locale'
                          then p_changes->>'locale' else locale end,
            birth_year = case when p_changes ? 'birth_year'
                              then (p_changes->>'birth_year')::smallint
                              else birth_year end,
            annual_income_cents = case when p_changes ? 'annual_income_cents'
                                   then (p_changes->>'annual_income_cents')::bigint
                                   else annual_income_cents end,
            employment_status = case when p_changes ? 'employment_status'
                                     then p_changes->>'employment_status'
                                     else employment_status end,
            updated_at = clock_timestamp()
        where id = p_user
        returning * into u;
    exception when unique_violation then
        return query select 'email_taken'::text, null::jsonb, null::text;
        return;
    end;

    after := north.profile_json(u);

    if u.province is not null and u.time_zone is not null then
        perform north.event_put(p_user, 'profile_completed', null,
                                'profile_completed');
    end if;

    insert into north.profile_changes (user_id, field, old_value, new_value,
                                       ip)
    select p_user, k, before->k, after->k, p_ip
    from jsonb_object_keys(after) k
    where k not in ('updated_at', 'time_zone_source')
      and before->k is distinct from after->k;

    return query select 'ok'::text, after, north.profile_etag(after);
end $$;
