-- PUT /v1/notifications/preferences: the members given (already checked)
-- change, the others stay. Security notices cannot be turned off.
create or replace function north.notification_preferences_put(p_user uuid,
    p_changes jsonb)
returns json
language plpgsql as $$
begin
    insert into north.notification_preferences (user_id) values (p_user)
    on conflict (user_id) do nothing;

    update north.notification_preferences set
        categories = categories
                     || coalesce(p_changes->'categories', '{}') - 'security',
        quiet_start = coalesce((p_changes#>>'{quiet_hours,start}')::time,
                               quiet_start),
        quiet_end = coalesce((p_changes#>>'{quiet_hours,end}')::time,
                             quiet_end),
        large_tx_cents = coalesce((p_changes->>'large_transaction_cents')::bigint,
                                  large_tx_cents),
        low_balance_cents = coalesce((p_changes->>'low_balance_cents')::bigint,
                                     low_balance_cents),
        updated_at = now()
    where user_id = p_user;

    return north.notification_preferences_json(p_user);
end $$;
