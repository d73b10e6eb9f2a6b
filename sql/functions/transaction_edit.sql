-- A user's edit of one transaction (PATCH /v1/transactions/{id}) and, when
-- asked, a rule for every similar one, applied to the past in the same
-- statement. status: ok | not_found | no_pattern (nothing is changed).
create or replace function north.transaction_edit(p_user uuid, p_id uuid,
    p_changes jsonb, p_similar boolean)
returns table (status text, body jsonb)
language plpgsql as $$
declare
    t         north.transactions;
    v_pattern text;
    v_rule    jsonb;
    n         bigint;
begin
    select * into t from north.transactions x
    where x.id = p_id and x.user_id = p_user;

    if not found then
        return query select 'not_found'::text, null::jsonb;
        return;
    end if;

    if p_similar then
        v_pattern := north.category_rule_pattern(t.merchant_key);

        if v_pattern is null then
            return query select 'no_pattern'::text, null::jsonb;
            return;
        end if;
    end if;

    update north.transactions x set
        user_category = case when p_changes ? 'category'
                             then p_changes->>'category'
                             else x.user_category end,
        notes = case when p_changes ? 'notes' then p_changes->>'notes'
                     else x.notes end,
        hidden = case when p_changes ? 'hidden'
                      then (p_changes->>'hidden')::boolean
                      else x.hidden end,
        category_source = case when p_changes ? 'category' then 'unset'
                               else x.category_source end,
        updated_at = now()
    where x.id = p_id
    returning * into t;

    if v_pattern is not null then
        insert into north.category_user_rules as r (user_id, pattern,
            category)
        values (p_user, v_pattern, p_changes->>'category')
        on conflict (user_id, pattern) do update
        set category = excluded.category, created_at = now()
        returning jsonb_build_object('id', r.id, 'pattern', r.pattern,
                                     'category', r.category) into v_rule;

        perform north.event_put(p_user, 'rule_created', v_rule->>'id',
                                'rule_created:' || (v_rule->>'id'));

        n := north.category_rule_recategorise(p_user, v_pattern);

        v_rule := v_rule || jsonb_build_object('recategorised', n);
    end if;

    -- the user's own sorting left nothing uncategorised: once a day
    if p_changes ? 'category'
       and not exists (select 1 from north.transactions x
                       where x.user_id = p_user and not x.hidden
                         and x.category = 'uncategorised')
    then
        perform north.event_put(p_user, 'all_categorised', null,
                                'all_categorised:' || north.user_today(p_user));
    end if;

    return query
        select 'ok'::text, north.transaction_json(t)
                           || jsonb_build_object('rule', v_rule);
end
$$;
