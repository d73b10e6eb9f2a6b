-- An amount of CAD cents as the user's language writes it: $1,234.56 and
-- -$1,234.56 in English, 1 234,56 $ and -1 234,56 $ in French (no-break
-- spaces).
create or replace function north.money_text(p_cents bigint, p_fr boolean)
returns text
language sql immutable as $$
    select case when p_cents < 0 then '-' else '' end
        || case when p_fr then '' else '$' end
        || regexp_replace((abs(p_cents) / 100)::text, '(\d)(?=(\d{3})+$)',
                          case when p_fr then E'\\1\u00a0' else '\1,' end, 'g')
        || case when p_fr then ',' else '.' end
        || lpad((abs(p_cents) % 100)::text, 2, '0')
        || case when p_fr then E'\u00a0$' else '' end
$$;
