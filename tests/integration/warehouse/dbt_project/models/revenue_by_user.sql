-- A target table plus a materialized view (revenue_by_user_mv) that sums each insert into raw events.
-- Parts are summed on merge, so readers must still group by user_id (or use FINAL).
{{ config(materialized='materialized_view', engine='SummingMergeTree()', order_by='user_id') }}

select
    user_id,
    count() as events,
    sum(amount_cents) as amount_cents
from {{ source('raw', 'events') }}
group by user_id
