-- POST /v1/goals/{id}/contributions (made_on defaults to the user's
-- today). status: ok | not_found | tracks_account | future
create or replace function north.goal_contribute(p_user uuid, p_id uuid,
    p_amount bigint, p_on date, p_note text)
returns table (status text, id uuid)
language plpgsql as $$
declare
    g       north.goals;
    v_today date := north.user_today(p_user);
    v_id    uuid;
begin
    select * into g from north.goals
    where goals.id = p_id and user_id = p_user for update;

    if not found then
        return query select 'not_found'::text, null::uuid;
        return;
    end if;

    if g.tracking = 'account' then
        return query select 'tracks_account'::text, null::uuid;
        return;
    end if;

    if p_on > v_today then
        return query select 'future'::text, null::uuid;
        return;
    end if;

    insert into north.goal_contributions (goal_id, user_id, amount_cents,
        made_on, note)
    values (p_id, p_user, p_amount, coalesce(p_on, v_today), p_note)
    returning goal_contributions.id into v_id;

    update north.goals set updated_at = now() where goals.id = p_id;

    perform north.event_put(p_user, 'goal_contribution', p_id::text,
                            'goal_contribution:' || v_id);

    return query select 'ok'::text, v_id;
end
$$;
