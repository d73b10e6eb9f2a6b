# Reading a linked bank as blocks: each block's user has an institution
# linked through the Plaid simulator and its first sync done
# (--- north_fixture: plaid_linked). The sync loop, webhooks, unlinking and
# faults are flows, in plaid.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: the linked institution, its health good
--- north_fixture: plaid_linked
--- north_user: marc
--- request
GET /v1/plaid/items
--- response_body_like: ^\{"items" ?: ?\[\{(?=.*"institution_id" ?: ?"ins_43")(?=.*"health" ?: ?"good")



=== TEST 2: its accounts, in Canadian dollars unless Plaid says otherwise
--- north_fixture: plaid_linked
--- north_user: marc
--- request
GET /v1/accounts
--- response_body_like: ^\{"accounts" ?: ?\[\{(?=.*"currency" ?: ?"CAD")



=== TEST 3: a page of its transactions, and where the next one starts
--- north_fixture: plaid_linked
--- north_user: marc
--- request
GET /v1/transactions?limit=2
--- response_body_like: ^\{"transactions" ?: ?\[\{[^\[\]]*\}, ?\{[^\[\]]*\}\], ?"next_cursor" ?: ?"\d{4}-\d\d-\d\d_[0-9a-f-]{36}"\}$



=== TEST 4: another user sees none of it
--- north_api
--- north_user: lea
--- request
GET /v1/accounts
--- response_body_like: ^\{"accounts" ?: ?\[\]\}$
