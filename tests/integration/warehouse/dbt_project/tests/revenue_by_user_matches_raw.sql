-- Fails for each user whose totals in the materialized view's table differ from the raw events.
with
    actual as (
        select user_id, sum(events) as events, sum(amount_cents) as amount_cents
        from {{ ref('revenue_by_user') }}
        group by user_id
    ),
    expected as (
        select user_id, count() as events, sum(amount_cents) as amount_cents
        from {{ source('raw', 'events') }}
        group by user_id
    )
select
    expected.user_id as expected_user_id,
    actual.user_id as actual_user_id,
    expected.events as expected_events,
    actual.events as actual_events,
    expected.amount_cents as expected_amount_cents,
    actual.amount_cents as actual_amount_cents
from expected
full outer join actual on actual.user_id = expected.user_id
-- Without join_use_nulls a missing side reads as zeros, which differ from any real user's totals.
where expected_events != actual_events or expected_amount_cents != actual_amount_cents
