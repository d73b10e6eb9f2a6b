-- POST /v1/insights/{id}/dismiss: the finding, with its size now, stays
-- hidden until it changes materially (handlers/insights decides).
create or replace function north.insight_dismiss(p_user uuid, p_id text,
                                                 p_magnitude bigint)
returns void
language sql as $$
    insert into north.insight_dismissals (user_id, insight_id,
                                          magnitude_cents)
    values (p_user, p_id, p_magnitude)
    on conflict (user_id, insight_id) do update
        set magnitude_cents = excluded.magnitude_cents, dismissed_at = now()
$$;
