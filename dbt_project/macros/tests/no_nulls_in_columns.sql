{#- No column of the model holds a null (the ML feature table promises this), except feature
    columns no active source stands behind: those are null in every row (macros/registry.sql,
    `feature`). -#}
{% test no_nulls_in_columns(model) %}
{%- set columns = adapter.get_columns_in_relation(model) -%}
select *
from {{ model }}
where {% for column in columns -%}
    {%- if feature_present(column.name) -%}
    {{ adapter.quote(column.name) }} is null
    {%- else -%}
    {{ adapter.quote(column.name) }} is not null
    {%- endif -%}
    {%- if not loop.last %} or {% endif %}
{%- endfor %}
{% endtest %}
