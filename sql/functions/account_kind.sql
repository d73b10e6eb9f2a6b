-- What a person calls an account (North AI's account kinds): Plaid's type
-- and subtype folded to chequing, savings, credit_card, line_of_credit,
-- mortgage, loan, tfsa, rrsp, fhsa or investment.
create or replace function north.account_kind(p_type text, p_subtype text)
returns text
language sql immutable parallel safe as $$
    select case
           when p_type = 'credit' then 'credit_card'
           when p_type = 'loan' then
               case when p_subtype = 'mortgage' then 'mortgage'
                    when p_subtype in ('line of credit', 'home equity')
                        then 'line_of_credit'
                    else 'loan' end
           when p_type = 'investment' then
               case when p_subtype in ('tfsa', 'rrsp', 'fhsa') then p_subtype
                    else 'investment' end
           when p_type = 'depository' then
               case when p_subtype in ('savings', 'money market', 'cd',
                                       'hsa', 'cash management')
                        then 'savings'
                    else 'chequing' end
           else 'investment' end
$$;
