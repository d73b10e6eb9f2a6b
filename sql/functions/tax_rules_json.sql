-- One jurisdiction's tax figures for a year, in the shape handlers/tax/tax.c
-- reads into a north_tax_table_t; null when the year has none.
create or replace function north.tax_rules_json(p_jurisdiction text,
                                                p_year int)
returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'brackets', (select jsonb_agg(jsonb_build_array(b.over_cents, b.rate_bp)
                                      order by b.over_cents)
                     from north.tax_brackets b
                     where b.jurisdiction = j.jurisdiction and b.year = j.year),
        'bpa', j.bpa_cents,
        'bpa_min', j.bpa_min_cents,
        'phase', case when j.bpa_phase_from_cents is not null
                      then jsonb_build_array(j.bpa_phase_from_cents,
                                             j.bpa_phase_to_cents) end,
        'credit_rate', j.credit_rate_bp,
        'abatement', j.federal_abatement_bp,
        'surtax', coalesce((select jsonb_agg(jsonb_build_array(s.over_cents,
                                                               s.rate_bp)
                                             order by s.over_cents)
                            from north.tax_surtax s
                            where s.jurisdiction = j.jurisdiction
                              and s.year = j.year), '[]'),
        'premium', coalesce((select jsonb_agg(jsonb_build_array(p.over_cents,
                                 p.base_cents, p.rate_bp, p.max_cents)
                                              order by p.over_cents)
                             from north.tax_premium p
                             where p.jurisdiction = j.jurisdiction
                               and p.year = j.year), '[]'))
    from north.tax_jurisdictions j
    where j.jurisdiction = p_jurisdiction and j.year = p_year
$$;
