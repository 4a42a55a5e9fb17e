{#- The rows of a rollup tie-back test: per project, day and key, where the rollup counts fewer than the raw
    events hold (a view that missed inserts). `raw` and `rollup` are queries with columns project_id, day,
    the key and n. Days before a project's oldest raw day are skipped: retention (a TTL) deletes events, not
    rollups; a project with no raw row gets 1970-01-01 (a LEFT JOIN fills defaults), so nothing of it is. -#}
{% macro rollup_shortfalls(raw, rollup, key) -%}
with
    raw as ({{ raw }}),
    rollup as ({{ rollup }}),
    oldest as (select project_id, min(day) as oldest_day from raw group by project_id)
select counts.project_id, counts.day, counts.{{ key }}, sum(raw_n) as raw, sum(rollup_n) as rollup
from (
    select project_id, day, {{ key }}, n as raw_n, 0 as rollup_n from raw
    union all
    select project_id, day, {{ key }}, 0 as raw_n, n as rollup_n from rollup
) as counts
left join oldest on oldest.project_id = counts.project_id
where counts.day >= oldest.oldest_day
group by counts.project_id, counts.day, counts.{{ key }}
having rollup < raw
{%- endmacro %}
