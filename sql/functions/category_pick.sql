-- A batch of one user's transactions categorised by precedence
-- (north_category_pick() in C): the user's edit, the user's rules (the
-- longest pattern), a transfer twin (another of the user's accounts with
-- the opposite amount within 3 days), North's rules (the longest, found by
-- the key's words), Plaid's detailed then primary category, uncategorised.
-- Set-based: rules are matched once per distinct merchant key of the batch
-- and joined, so that a sync page of 500 costs a few hash joins.
create or replace function north.category_pick(p_user uuid,
    p_rows north.category_input[])
returns table (n integer, category text, source text)
language sql stable
-- each twin is one index probe even while the statistics still say that
-- the table (or the user) has no rows, as during a first sync: a plan made
-- then scans every row for every probe
set enable_seqscan = off
as $$
    with r as (select * from unnest(p_rows)),
    keys as (select distinct r.key from r),
    north_match as (
        select distinct on (k.key) k.key, c.category
        from keys k
        cross join lateral unnest(string_to_array(btrim(k.key), ' ')) w(word)
        join north.category_rules c on c.first_word = w.word
        where position(' ' || c.pattern || ' ' in k.key) > 0
        order by k.key, char_length(c.pattern) desc, c.ord),
    user_match as (
        select distinct on (k.key) k.key, u.category
        from keys k
        join north.category_user_rules u on u.user_id = p_user
        where position(' ' || u.pattern || ' ' in k.key) > 0
        order by k.key, char_length(u.pattern) desc, u.created_at)
    select r.n,
           coalesce(r.user_category, um.category,
                    case when tw.twin then 'transfers' end, nm.category,
                    pd.category, pp.category, 'uncategorised'),
           case when r.user_category is not null then 'user'
                when um.category is not null then 'user_rule'
                when tw.twin then 'transfer'
                when nm.category is not null then 'north'
                when coalesce(pd.category, pp.category) is not null
                    then 'plaid'
                else 'none' end
    from r
    left join user_match um on um.key = r.key
    left join north_match nm on nm.key = r.key
    left join north.category_pfc pd on pd.pattern = r.pfc_detailed
    left join north.category_pfc pp on pp.pattern = r.pfc_primary
    cross join lateral (
        select r.amount_cents <> 0 and exists (
            select 1 from north.transactions o
            where o.user_id = p_user and o.amount_cents = -r.amount_cents
              and o.date between r.date - 3 and r.date + 3
              and o.account_id <> r.account_id) as twin) tw
$$;
