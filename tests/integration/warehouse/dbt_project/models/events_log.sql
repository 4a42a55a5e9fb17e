-- Every raw event, appended once: each run only takes events past the highest id already loaded.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        engine='MergeTree()',
        order_by='event_id',
    )
}}

select event_id, user_id, event_type, amount_cents, ts
from {{ source('raw', 'events') }}
{% if is_incremental() %}
where event_id > (select max(event_id) from {{ this }})
{% endif %}
