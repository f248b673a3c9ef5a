{#- Every value names an active source of the registry (CDP_SOURCES). -#}
{% test in_active_sources(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} not in (
    {%- for src in cdp_sources() %}'{{ src.name }}', {% endfor %}'')
{% endtest %}
