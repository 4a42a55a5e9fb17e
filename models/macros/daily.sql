{#- Daily models compute whole days. Which days, as SQL Date expressions [start, end) (end none: no limit):
    - vars from_date / to_date (YYYY-MM-DD, to_date exclusive): exactly those days;
    - else, on an incremental run: from the last day built or yesterday, whichever is earlier, so missing
      days are built and the last 2 days rebuilt with their late events;
    - else (first build, --full-refresh): every day. -#}
{% macro build_days() %}
    {%- set from_date, to_date = var('from_date', none), var('to_date', none) -%}
    {%- if to_date is not none and from_date is none -%}
        {{ exceptions.raise_compiler_error('to_date needs from_date') }}
    {%- endif -%}
    {%- if from_date is not none -%}
        {%- set start = sql_date(from_date) -%}
    {%- elif is_incremental() -%}
        {%- set start = "(select least(max(day), toDate(now(), 'UTC') - 1) from " ~ this ~ ")" -%}
    {%- else -%}
        {%- set start = "toDate('1970-01-01')" -%}
    {%- endif -%}
    {{ return((start, sql_date(to_date) if to_date is not none else none)) }}
{% endmacro %}

{#- A YYYY-MM-DD var (YAML may have made it a date already) as a SQL Date literal. -#}
{% macro sql_date(value) %}
    {%- set text = value | string -%}
    {%- if not modules.re.fullmatch('\\d{4}-\\d{2}-\\d{2}', text) -%}
        {{ exceptions.raise_compiler_error('dates are YYYY-MM-DD, not ' ~ text) }}
    {%- endif -%}
    {{ return("toDate('" ~ text ~ "')") }}
{% endmacro %}

{#- A filter on event time for the build days, widened by seconds_before and seconds_after: a day's sessions
    and funnels need the events around it. DateTime64 arithmetic, because Date cannot go below 1970. -#}
{% macro in_build_days(column='timestamp', seconds_before=0, seconds_after=0) -%}
    {%- set start, end = build_days() -%}
    {{ column }} >= toDateTime64({{ start }}, 6, 'UTC') - toIntervalSecond({{ seconds_before }})
    {%- if end is not none %}
    and {{ column }} < toDateTime64({{ end }}, 6, 'UTC') + toIntervalSecond({{ seconds_after }})
    {%- endif %}
{%- endmacro %}

{#- A filter on a Date column for the build days themselves. -#}
{% macro day_in_build_days(column='day') -%}
    {%- set start, end = build_days() -%}
    {{ column }} >= {{ start }}
    {%- if end is not none %} and {{ column }} < {{ end }}{% endif %}
{%- endmacro %}

{#- The order of a person's events wherever it matters (sessions, funnels): time, then uuid as text, so that
    ties break the same way in SQL and in the tests' plain-Python reference. -#}
{% macro event_order(timestamp='timestamp', uuid='uuid') -%}
({{ timestamp }}, toString({{ uuid }}))
{%- endmacro %}
