-- A merchant's text as rules match it (north_category_key() in C): lower
-- case, accents folded, apostrophes dropped, other runs one space, padded.
create or replace function north.category_key(p_text text)
returns text
language sql immutable parallel safe as $$
    -- one expression, no FROM: inlined into its callers (a call of its own
    -- costs ten times the work, on every row of a sync)
    select coalesce(' ' || nullif(btrim(regexp_replace(lower(
              replace(replace(replace(replace(translate(
                  replace(replace(coalesce(p_text, ''), '''', ''), '’', ''),
                  'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÐðÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ',
                  'aaaaaaaaaaaacceeeeeeeeiiiiiiiiddnnoooooooooooouuuuuuuuyyy'),
                  'Æ', 'ae'), 'æ', 'ae'), 'Œ', 'oe'), 'œ', 'oe')),
              '[^a-z0-9]+', ' ', 'g')), '') || ' ', '')
$$;
