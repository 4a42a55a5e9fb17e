-- One row per user with their latest plan; a changed user is deleted and re-inserted.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='user_id',
        engine='MergeTree()',
        order_by='user_id',
    )
}}

select
    user_id,
    argMax(plan, updated_at) as plan,
    -- Not named updated_at: ClickHouse would then read argMax's updated_at as this aggregate.
    max(updated_at) as last_updated_at
from {{ source('raw', 'users') }}
{% if is_incremental() %}
-- Recompute every user with a change since the last run, from all of that user's rows.
where user_id in (
    select user_id from {{ source('raw', 'users') }}
    where updated_at > (select max(last_updated_at) from {{ this }})
)
{% endif %}
group by user_id
