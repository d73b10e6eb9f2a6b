-- PATCH /v1/goals/{id}: what the request names changes (a null date
-- clears it). False when the user has no such goal.
create or replace function north.goal_update(p_user uuid, p_id uuid, p_changes jsonb)
returns boolean
language plpgsql as $$
begin
    update north.goals g set
        name = coalesce(p_changes->>'name', g.name),
        purpose = coalesce(p_changes->>'purpose', g.purpose),
        target_cents = coalesce((p_changes->>'target_cents')::bigint,
                                g.target_cents),
        target_date = case when p_changes ? 'target_date'
                           then (p_changes->>'target_date')::date
                           else g.target_date end,
        updated_at = now()
    where g.id = p_id and g.user_id = p_user;

    return found;
end
$$;
