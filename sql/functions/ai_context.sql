-- What North AI's parser knows of the user before it reads a question:
-- today in the user's zone, the profile's language, the consents it acts
-- under, accounts and goals by name and, when p_merchants, the user's
-- merchants (as north.category_key wrote them, the 300 most frequent of
-- the last two years: the costly part, which the caller caches).
create or replace function north.ai_context(p_user uuid, p_merchants boolean)
returns jsonb
language plpgsql stable
set jit = off
as $$
declare
    v_today date := north.user_today(p_user);
begin
    return jsonb_build_object(
        'today', v_today,
        'fr', (select u.locale = 'fr-CA' from north.users u where u.id = p_user),
        'analytics', north.consent_granted(p_user, 'analytics'),
        'ai_assistant', north.consent_granted(p_user, 'ai_assistant'),
        'merchants', case when p_merchants then coalesce((
            select jsonb_agg(m.merchant_key order by m.n desc, m.merchant_key)
            from (select t.merchant_key, count(*) as n
                  from north.transactions t
                  where t.user_id = p_user and t.merchant_key <> ''
                    and t.date > v_today - 730
                  group by t.merchant_key
                  order by 2 desc, 1 limit 300) m), '[]') end,
        'accounts', coalesce((
            select jsonb_agg(jsonb_build_array(a.id, a.name,
                                 north.account_kind(a.type, a.subtype))
                             order by a.created_at, a.id)
            from north.accounts a where a.user_id = p_user), '[]'),
        'goals', coalesce((
            select jsonb_agg(jsonb_build_array(g.id, g.name)
                             order by g.created_at, g.id)
            from north.goals g where g.user_id = p_user), '[]'));
end
$$;
