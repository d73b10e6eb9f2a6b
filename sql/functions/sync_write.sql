-- One offline edit's write, once north.sync_apply() has chosen the fields
-- it wins (p_fields): through the services' own functions where they have
-- rules (a transaction's category, a goal, the profile, a rule's
-- transactions), else straight to the table. p_op: create | update |
-- delete. Returns null when written, else why not (a problem's code).
create or replace function north.sync_write(p_user uuid, p_entity text,
    p_op text, p_id uuid, p_fields jsonb)
returns text
language plpgsql as $$
declare
    v_status text;
    v_kind   text := case when p_fields->>'type' in ('mortgage', 'loan',
                              'line_of_credit', 'credit_card',
                              'other_liability')
                          then 'liability' else 'asset' end;
    v_rule   north.category_user_rules;
begin
    case p_entity || '.' || p_op
    when 'transaction.update' then
        select status into v_status
        from north.transaction_edit(p_user, p_id, p_fields, false);
    when 'goal.create' then
        select status into v_status
        from north.goal_create(p_user, p_fields || jsonb_build_object('id', p_id));
    when 'goal.update' then
        perform north.goal_update(p_user, p_id, p_fields);
    when 'goal.delete' then
        delete from north.goals where id = p_id and user_id = p_user;
    when 'manual_item.create' then
        if (select count(*) from north.manual_items where user_id = p_user)
           >= 100
        then
            return 'too-many';
        end if;
        insert into north.manual_items (id, user_id, name, kind, type,
            value_cents, currency, notes)
        values (p_id, p_user, p_fields->>'name', v_kind, p_fields->>'type',
                (p_fields->>'value_cents')::bigint,
                coalesce(p_fields->>'currency', 'CAD'), p_fields->>'notes');
    when 'manual_item.update' then
        update north.manual_items m set
            name = coalesce(p_fields->>'name', m.name),
            type = coalesce(p_fields->>'type', m.type),
            kind = case when p_fields ? 'type' then v_kind else m.kind end,
            value_cents = coalesce((p_fields->>'value_cents')::bigint,
                                   m.value_cents),
            currency = coalesce(p_fields->>'currency', m.currency),
            notes = case when p_fields ? 'notes' then p_fields->>'notes'
                         else m.notes end,
            updated_at = now()
        where m.id = p_id and m.user_id = p_user;
    when 'manual_item.delete' then
        delete from north.manual_items where id = p_id and user_id = p_user;
    when 'rule.create' then
        insert into north.category_user_rules (id, user_id, pattern, category)
        values (p_id, p_user, p_fields->>'pattern', p_fields->>'category')
        returning * into v_rule;
        perform north.category_rule_recategorise(p_user, v_rule.pattern);
    when 'rule.update' then
        update north.category_user_rules set
            category = coalesce(p_fields->>'category', category)
        where id = p_id and user_id = p_user
        returning * into v_rule;
        perform north.category_rule_recategorise(p_user, v_rule.pattern);
    when 'rule.delete' then
        perform north.category_rule_delete(p_user, p_id);
    when 'profile.update' then
        select status into v_status
        from north.profile_update(p_user, null, p_fields, null);
    end case;

    return case when v_status is null or v_status = 'ok' then null
                else replace(v_status, '_', '-') end;
end
$$;
