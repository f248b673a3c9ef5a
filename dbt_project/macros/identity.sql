{#- Survivorship priority of a source for contact fields: CRM > POS > email tool > the rest. -#}
{% macro source_priority(source_column) -%}
    case {{ source_column }}
        when 'crm_customers' then 1
        when 'pos_orders' then 2
        when 'email_engagement' then 3
        when 'web_orders' then 4
        else 5
    end
{%- endmacro %}

{#- Stable customer id from the cluster's anchor record (its earliest-seen record). -#}
{% macro unified_customer_id(source_column, record_id_column) -%}
    'U' || md5({{ source_column }} || ':' || {{ record_id_column }})
{%- endmacro %}
