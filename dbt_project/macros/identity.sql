{#- Stable customer id from the cluster's anchor record (its earliest-seen record). -#}
{% macro unified_customer_id(source_column, record_id_column) -%}
    'U' || md5({{ source_column }} || ':' || {{ record_id_column }})
{%- endmacro %}

{#- One row per (source, record) of a canonical staging relation: first and last seen, the
    latest non-null value of every contact attribute, consent and the last unsubscribe. -#}
{% macro identity_record_rollup(relation, entity, first_seen, observed, consent=none, country=none, unsubscribed=none) -%}
    select
        source,
        source_record_id,
        '{{ entity }}' as entity,
        min(trust_rank) as source_priority,
        min(coalesce({{ first_seen }}, {{ observed }})) as first_seen_at,
        max({{ observed }}) as observed_at,
        coalesce(bool_or(len(identity_keys) > 0), false) as has_identity_key,
        {%- for type, form, sql_type in identity_attribute_columns() %}
        {%- set column = identifier_column_name(type, form) %}
        first({{ column }} order by {{ observed }} desc nulls last, {{ column }}) filter (where {{ column }} is not null)
            as {{ column }},
        {%- endfor %}
        {%- if country %}
        first({{ country }} order by {{ observed }} desc nulls last) filter (where {{ country }} is not null) as country_code,
        {%- else %}
        cast(null as varchar) as country_code,
        {%- endif %}
        {%- if consent %}
        first({{ consent }} order by {{ observed }} desc nulls last) filter (where {{ consent }} is not null)
            as has_marketing_consent,
        {%- else %}
        cast(null as boolean) as has_marketing_consent,
        {%- endif %}
        {%- if unsubscribed %}
        max({{ observed }}) filter (where {{ unsubscribed }}) as last_unsubscribed_at
        {%- else %}
        cast(null as timestamp) as last_unsubscribed_at
        {%- endif %}
    from {{ relation }}
    where source_record_id is not null
    group by source, source_record_id
{%- endmacro %}
