-- The transactions a question of North AI's is about, counted as
-- /v1/analytics/spending counts them: transfers, hidden and pending ones
-- left out, amounts in CAD cents at the latest rate (positive: money in),
-- narrowed by p_q's categories (a group takes its children), merchant
-- (a key's words, north.category_key's form), account or kind of account.
create or replace function north.ai_rows(p_user uuid, p_start date,
    p_end date, p_q jsonb)
returns table (id uuid, date date, label text, kind text, category text,
               cents bigint)
language sql stable as $$
    select t.id, t.date, coalesce(t.merchant_name, t.name), c.kind,
           t.category, round(t.amount_cents * fx.rate)::bigint
    from north.transactions t
    join north.categories c on c.id = t.category
    join north.accounts a on a.id = t.account_id
    left join north.fx_current fx on fx.currency = t.currency
    where t.user_id = p_user
      and t.date between p_start and p_end
      and not t.hidden and not t.pending and c.kind <> 'transfer'
      and (p_q->'categories' is null
           or t.category in (select jsonb_array_elements_text(p_q->'categories'))
           or c.parent in (select jsonb_array_elements_text(p_q->'categories')))
      and (p_q->>'merchant' is null
           or position(' ' || (p_q->>'merchant') || ' ' in t.merchant_key) > 0)
      and (p_q->>'account_id' is null or a.id = (p_q->>'account_id')::uuid)
      and (p_q->>'account_kind' is null
           or north.account_kind(a.type, a.subtype) = p_q->>'account_kind')
$$;
