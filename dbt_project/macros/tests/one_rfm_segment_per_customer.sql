{#- Every customer has exactly one row and one named RFM segment. -#}
{% test one_rfm_segment_per_customer(model, column_name='rfm_segment', key='unified_customer_id') %}
select {{ key }}
from {{ model }}
group by {{ key }}
having count(*) <> 1
    or count({{ column_name }}) <> 1
    or count(distinct {{ column_name }}) <> 1
{% endtest %}
