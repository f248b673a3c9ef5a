-- Restricted: every raw identifier a unified customer carries, per source, with when it was
-- first and last seen. Built from the identifier roles of the active sources (keys such as
-- email, phone, customer / loyalty / user / cookie ids, and matching attributes such as names,
-- birth date and postcode), normalized as identity resolution compares them.
{{ config(alias='customer_identifiers') }}

{%- set attributes = [] %}
{%- for type, form, sql_type in identity_attribute_columns() if form == 'raw' %}
    {%- do attributes.append(type) %}
{%- endfor %}
{%- set staged = [
    ('stg_customer_records', 'observed_at'), ('stg_order_lines', 'ordered_at'), ('stg_orders', 'ordered_at'),
    ('stg_web_events', 'occurred_at'), ('stg_email_events', 'occurred_at'),
] %}

with

staged_rows as (

    {% for relation, seen_at in staged -%}
    select
        source,
        source_record_id,
        {{ seen_at }} as seen_at,
        identity_keys,
        {%- for type in attributes %}
        cast({{ type }} as varchar) as {{ type }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref(relation) }}
    where source_record_id is not null
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

key_values as (

    select source, source_record_id, seen_at, identity_key.key_type as identifier_type,
        identity_key.key_value as identifier_value
    from (select *, unnest(identity_keys) as identity_key from staged_rows)

),

attribute_values as (

    {% for type in attributes -%}
    select source, source_record_id, seen_at, '{{ type }}' as identifier_type, {{ type }} as identifier_value
    from staged_rows
    where {{ type }} is not null
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

identifier_values as (

    select * from key_values
    union all
    select * from attribute_values

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

final as (

    select
        customer_records.unified_customer_id,
        identifier_values.source,
        identifier_values.identifier_type,
        identifier_values.identifier_value,
        min(identifier_values.seen_at) as first_seen,
        max(identifier_values.seen_at) as last_seen
    from identifier_values
    inner join customer_records
        on identifier_values.source = customer_records.source
        and identifier_values.source_record_id = customer_records.source_record_id
    where identifier_values.identifier_value is not null
    group by all

)

select * from final
