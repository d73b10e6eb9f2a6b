-- The profile as the API shows it.
create or replace function north.profile_json(u north.users)
returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'id', u.id,
        'email', u.email,
        'display_name', u.display_name,
        'province', u.province,
        'time_zone', north.zone_of(u.time_zone, u.province),
        'time_zone_source', case when u.time_zone is not null then 'user'
                                 when u.province is not null then 'province'
                                 else 'default' end,
        'locale', u.locale,
        'birth_year', u.birth_year,
        'annual_income_cents', u.annual_income_cents,
        'employment_status', u.employment_status,
        'created_at', north.rfc3339(u.created_at),
        'updated_at', north.rfc3339(u.updated_at))
$$;
