-- Fails (returns a row) unless events_log holds exactly the raw events: same count, same ids, same amounts.
select *
from (
    select
        (select count() from {{ ref('events_log') }}) as model_rows,
        (select count() from {{ source('raw', 'events') }}) as raw_rows,
        (select sum(event_id) from {{ ref('events_log') }}) as model_ids,
        (select sum(event_id) from {{ source('raw', 'events') }}) as raw_ids,
        (select sum(amount_cents) from {{ ref('events_log') }}) as model_amount,
        (select sum(amount_cents) from {{ source('raw', 'events') }}) as raw_amount
)
where model_rows != raw_rows or model_ids != raw_ids or model_amount != raw_amount
