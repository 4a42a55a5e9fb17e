{#- Person resolution (docs/PERSONS.md, ingest/persons.py): an event's person is the one its distinct id
    is mapped to in person_distinct_ids, else a person of its own whose id is the 16 bytes of
    MD5('<project_id>:<distinct_id>') as a UUID. -#}

{#- The person id of (project_id, distinct_id), given the mapping joined as `mapping` by join_person_mapping. -#}
{% macro person_id(project_id, distinct_id, mapping='persons') -%}
if({{ mapping }}.linked = 1, {{ mapping }}.person_id, {{ own_person_id(project_id, distinct_id) }})
{%- endmacro %}

{#- The id of a person nobody linked: the same expression as ingest.persons.person_id_sql. -#}
{% macro own_person_id(project_id, distinct_id) -%}
toUUID(UUIDNumToString(MD5(concat(toString({{ project_id }}), ':', {{ distinct_id }}))))
{%- endmacro %}

{#- LEFT JOIN the current mapping as `mapping` onto the rows aliased `rows` (which have project_id and
    distinct_id). `linked` marks a match: a LEFT JOIN fills defaults, not NULLs, so a zero UUID could not.
    only_ids_in: a relation whose (project_id, distinct_id) pairs bound what is read of the mapping, by its
    primary key; a materialized view passes the source table, which inside the view is the inserted block. -#}
{% macro join_person_mapping(rows, mapping='persons', only_ids_in=none) -%}
left join (
    select project_id, distinct_id, person_id, toUInt8(1) as linked
    from {{ source('clickpath', 'person_distinct_ids') }} final
    where is_deleted = 0
    {%- if only_ids_in is not none %}
        and (project_id, distinct_id) in (select project_id, distinct_id from {{ only_ids_in }})
    {%- endif %}
) as {{ mapping }}
    on {{ mapping }}.project_id = {{ rows }}.project_id and {{ mapping }}.distinct_id = {{ rows }}.distinct_id
{%- endmacro %}
