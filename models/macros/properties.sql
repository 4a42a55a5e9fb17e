{#- The event properties stg_events turns into columns: (property key, column name). -#}
{% macro event_property_columns() %}
    {{ return([
        ('$current_url', 'current_url'),
        ('$pathname', 'pathname'),
        ('$referrer', 'referrer'),
        ('$browser', 'browser'),
        ('$os', 'os'),
        ('$device_type', 'device_type'),
        ('$session_id', 'session_id'),
        ('utm_source', 'utm_source'),
        ('utm_medium', 'utm_medium'),
        ('utm_campaign', 'utm_campaign'),
        ('utm_term', 'utm_term'),
        ('utm_content', 'utm_content'),
    ]) }}
{% endmacro %}

{#- The properties of `columns` ((key, column) pairs) as one named tuple of text values ('' when absent):
    JSONExtract into a named tuple picks all the keys in one pass over the JSON. -#}
{% macro properties_tuple(columns, properties='properties') -%}
JSONExtract({{ properties }}, 'Tuple({% for key, _ in columns %}`{{ key }}` String{{ ", " if not loop.last }}{% endfor %})')
{%- endmacro %}

{#- `tupleElement(parsed, key) as column, …`: the columns out of a properties_tuple. -#}
{% macro property_columns(columns, parsed) -%}
    {%- for key, column in columns %}
    tupleElement({{ parsed }}, '{{ key }}') as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
