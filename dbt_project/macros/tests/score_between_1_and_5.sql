{#- RFM scores are integers 1..5. -#}
{% test score_between_1_and_5(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and ({{ column_name }} not between 1 and 5 or {{ column_name }} <> floor({{ column_name }}))
{% endtest %}
