{#- No column of the model holds a null (the ML feature table promises this). -#}
{% test no_nulls_in_columns(model) %}
{%- set columns = adapter.get_columns_in_relation(model) -%}
select *
from {{ model }}
where {% for column in columns -%}
    {{ adapter.quote(column.name) }} is null{% if not loop.last %} or {% endif %}
{%- endfor %}
{% endtest %}
