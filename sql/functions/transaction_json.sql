-- A transaction as the API shows it.
create or replace function north.transaction_json(t north.transactions)
returns jsonb
language sql stable as $$
    select jsonb_build_object('id', t.id, 'account_id', t.account_id,
        'amount_cents', t.amount_cents, 'currency', t.currency,
        'date', t.date, 'authorized_date', t.authorized_date,
        'name', t.name, 'merchant_name', t.merchant_name,
        'pending', t.pending, 'payment_channel', t.payment_channel,
        'category', t.category, 'category_source', t.category_source,
        'plaid_category', jsonb_build_object('primary', t.pfc_primary,
                                             'detailed', t.pfc_detailed),
        'notes', t.notes, 'hidden', t.hidden)
$$;
