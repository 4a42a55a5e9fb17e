{#- The funnels of var('funnels') (dbt_project.yml), checked: a list of {name, steps, window_seconds}. -#}
{% macro funnel_definitions() %}
    {%- set funnels = var('funnels') -%}
    {%- set names = [] -%}
    {%- for funnel in funnels -%}
        {%- set where = 'funnel ' ~ (funnel.name or loop.index) ~ ': ' -%}
        {%- if not funnel.name or funnel.name in names -%}
            {{ exceptions.raise_compiler_error(where ~ 'each funnel needs a name of its own') }}
        {%- endif -%}
        {%- if funnel.steps is string or funnel.steps | length < 2 or funnel.steps | length > 10 -%}
            {{ exceptions.raise_compiler_error(where ~ 'steps is a list of 2 to 10 event names') }}
        {%- endif -%}
        {%- if not (funnel.window_seconds is integer and funnel.window_seconds > 0) -%}
            {{ exceptions.raise_compiler_error(where ~ 'window_seconds is a positive whole number') }}
        {%- endif -%}
        {%- do names.append(funnel.name) -%}
    {%- endfor -%}
    {{ return(funnels) }}
{% endmacro %}

{#- The funnels as a ClickHouse array of (name, steps, window_seconds) tuples. -#}
{% macro funnels_literal(funnels) -%}
[
    {%- for funnel in funnels %}
    ({{ sql_string(funnel.name) }}, [
        {%- for step in funnel.steps %}{{ sql_string(step) }}{{ ', ' if not loop.last }}{% endfor -%}
    ], toUInt32({{ funnel.window_seconds }})){{ ',' if not loop.last }}
    {%- endfor %}
]
{%- endmacro %}

{% macro sql_string(value) -%}
'{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
{%- endmacro %}

{#- funnel_person_steps' hooks (schemas/clickhouse/0006_funnel_builds.sql): before the run, each project's
    write count (project_changes) and the days about to be built; after it, the same rows marked finished.
    The query API reads the table only for days that finished builds made from the project's current data. -#}
{% macro record_funnel_build_start() %}
    {%- set start, end = build_days() -%}
    insert into {{ target.schema }}.funnel_builds (invocation_id, project_id, changes, day_from, day_to, funnels, finished)
    select '{{ invocation_id }}', project_id, sum(changes), {{ start }}, {{ end or "toDate('2149-06-06')" }},
        {{ funnels_literal(funnel_definitions()) }}, 0
    from {{ target.schema }}.project_changes
    group by project_id
{% endmacro %}

{% macro record_funnel_build_end() %}
    insert into {{ target.schema }}.funnel_builds (invocation_id, project_id, changes, day_from, day_to, funnels, finished)
    select invocation_id, project_id, changes, day_from, day_to, funnels, 1
    from {{ target.schema }}.funnel_builds
    where invocation_id = '{{ invocation_id }}' and finished = 0
{% endmacro %}
