-- The funnels of var('funnels') in dbt_project.yml, as a table: what funnel_person_steps computes, for the
-- query API to list and to name the steps of.
{{ config(order_by='name') }}

select
    definition.1 as name,
    definition.2 as steps,
    definition.3 as window_seconds
from system.one
array join {{ funnels_literal(funnel_definitions()) }} as definition
