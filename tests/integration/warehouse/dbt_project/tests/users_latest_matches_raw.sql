-- Fails unless users_latest has one row per distinct raw user.
select *
from (
    select
        (select count() from {{ ref('users_latest') }}) as model_rows,
        (select uniqExact(user_id) from {{ source('raw', 'users') }}) as raw_users
)
where model_rows != raw_users
