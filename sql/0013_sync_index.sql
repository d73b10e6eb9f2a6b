-- The Plaid sync's quadratic page (issue: performance, sync ingest).
--
-- transactions_item_id_idx (item_id) repeated the leading column of the
-- unique (item_id, plaid_transaction_id), which serves every lookup by item
-- (and the foreign key's cascade) as well. While the statistics still said
-- an item had no transactions, as during its first sync, the planner took
-- the single-column index for the page's lookup of replaced pending
-- transactions and read all the item's rows for each row of the page:
-- 10 million rows visited by the last page of a 20,000-transaction sync.
-- Without it, that lookup is one probe of the unique index, and each
-- insert maintains one index fewer.

drop index north.transactions_item_id_idx;
