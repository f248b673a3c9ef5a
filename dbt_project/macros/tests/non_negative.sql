{#- Amounts and counts that cannot be below zero (e.g. monetary net of returns). -#}
{% test non_negative(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
