-- POST /v1/goals (and a goal made offline, its id the app's: p_goal's
-- "id"). status: ok | no_account | wrong_account
create or replace function north.goal_create(p_user uuid, p_goal jsonb)
returns table (status text, id uuid)
language plpgsql as $$
declare
    a north.accounts;
    v_id uuid;
begin
    if p_goal->>'account_id' is not null then
        select * into a from north.accounts
        where accounts.id = (p_goal->>'account_id')::uuid
          and user_id = p_user;

        if not found then
            return query select 'no_account'::text, null::uuid;
            return;
        end if;

        if north.account_is_liability(a.type)
           <> (p_goal->>'kind' = 'debt_payoff')
        then
            return query select 'wrong_account'::text, null::uuid;
            return;
        end if;
    end if;

    insert into north.goals (id, user_id, name, kind, purpose, target_cents,
        target_date, account_id, start_cents, tracking, created_on)
    values (coalesce((p_goal->>'id')::uuid, gen_random_uuid()),
            p_user, p_goal->>'name', p_goal->>'kind',
            coalesce(p_goal->>'purpose', 'other'),
            coalesce((p_goal->>'target_cents')::bigint,
                     case when p_goal->>'kind' = 'debt_payoff'
                          then greatest(a.balance_cents, 1) end),
            (p_goal->>'target_date')::date, a.id,
            case when p_goal->>'kind' = 'debt_payoff' then a.balance_cents end,
            case when a.id is null then 'contributions' else 'account' end,
            north.user_today(p_user))
    returning goals.id into v_id;

    perform north.event_put(p_user, 'goal_created', v_id::text,
                            'goal_created:' || v_id);

    return query select 'ok'::text, v_id;
end
$$;
