create or replace function north.manual_item_json(m north.manual_items)
returns jsonb
language sql stable as $$
    select jsonb_build_object('id', m.id, 'name', m.name, 'kind', m.kind,
        'type', m.type, 'value_cents', m.value_cents,
        'currency', m.currency, 'notes', m.notes,
        'created_at', north.rfc3339(m.created_at),
        'updated_at', north.rfc3339(m.updated_at))
$$;
