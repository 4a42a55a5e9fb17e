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
