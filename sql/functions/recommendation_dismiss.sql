-- POST /v1/recommendations/{id}/dismiss: for good (p_until null) or
-- snoozed until a day.
create or replace function north.recommendation_dismiss(p_user uuid,
                                                        p_id text,
                                                        p_until date)
returns void
language sql as $$
    insert into north.recommendation_dismissals (user_id, recommendation_id,
                                                 until)
    values (p_user, p_id, p_until)
    on conflict (user_id, recommendation_id) do update
        set until = excluded.until, dismissed_at = now()
$$;
