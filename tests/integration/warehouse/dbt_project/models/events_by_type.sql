-- Rebuilt from scratch on every run.
{{ config(materialized='table', engine='MergeTree()', order_by='event_type') }}

select
    event_type,
    count() as events,
    sum(amount_cents) as amount_cents
from {{ source('raw', 'events') }}
group by event_type
