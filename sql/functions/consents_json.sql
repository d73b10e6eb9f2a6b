-- Every purpose with its current state and its history, newest first.
create or replace function north.consents_json(p_user uuid, p_policy text)
returns json
language sql stable as $$
    select json_build_object(
        'policy_version', p_policy,
        'consents', json_agg(json_build_object(
            'purpose', p.purpose,
            'required', p.required,
            'granted', coalesce(cur.granted, false),
            'policy_version', cur.policy_version,
            'current_policy', cur.policy_version is not distinct from p_policy,
            'updated_at', north.rfc3339(cur.created_at),
            'withdrawal_stops', p.effect,
            'history', coalesce((
                select json_agg(json_build_object(
                    'granted', h.granted,
                    'policy_version', h.policy_version,
                    'at', north.rfc3339(h.created_at),
                    'ip', host(h.ip)) order by h.id desc)
                from north.consents h
                where h.user_id = p_user and h.purpose = p.purpose), '[]'))
            order by p.position))
    from north.consent_purposes p
    left join lateral (
        select c.granted, c.policy_version, c.created_at
        from north.consents c
        where c.user_id = p_user and c.purpose = p.purpose
        order by c.id desc limit 1) cur on true
$$;
