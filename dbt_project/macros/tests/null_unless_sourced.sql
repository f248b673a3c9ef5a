{#- A feature column is never null when an active source stands behind it, and always null
    when none does (macros/registry.sql, `feature`). -#}
{% test null_unless_sourced(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is {% if feature_present(column_name) %}null{% else %}not null{% endif %}
{% endtest %}
