-- The user's tax profile as GET and PUT /v1/tax/profile answer it: what
-- was given (null when not), and the province and birth year in effect
-- (the tax profile's, else the profile's).
create or replace function north.tax_profile_json(p_user uuid)
returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'birth_year', t.birth_year,
        'province', t.province,
        'resident_since_year', t.resident_since_year,
        'rrsp_deduction_limit_cents', t.rrsp_deduction_limit_cents,
        'rrsp_deduction_limit_year', t.rrsp_deduction_limit_year,
        'prior_year_earned_income_cents', t.prior_year_earned_income_cents,
        'pension_adjustment_cents', t.pension_adjustment_cents,
        'fhsa_opened_year', t.fhsa_opened_year,
        'tfsa_room_cents', t.tfsa_room_cents,
        'tfsa_room_year', t.tfsa_room_year,
        'in_effect', jsonb_build_object(
            'birth_year', coalesce(t.birth_year, u.birth_year),
            'province', coalesce(t.province, u.province),
            'annual_income_cents', u.annual_income_cents),
        'updated_at', north.rfc3339(t.updated_at))
    from north.users u
    left join north.tax_profiles t on t.user_id = u.id
    where u.id = p_user
$$;
