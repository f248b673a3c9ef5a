-- Restricted: every raw identifier a unified customer carries, per source, with when it was
-- first and last seen. Built from the identifier roles of the active sources (keys such as
-- email, phone, customer / loyalty / user / cookie ids, and matching attributes such as names,
-- birth date and postcode), normalized as identity resolution compares them.
-- Incremental per customer (macros/incremental_customers.sql): only customers whose staged
-- rows changed are unnested and aggregated again.
{{ config(alias='customer_identifiers') }}
{{ customer_incremental_config() }}

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

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

customer_rows as (

    select
        customer_records.unified_customer_id,
        staged_rows.*
    from staged_rows
    inner join customer_records
        on staged_rows.source = customer_records.source
        and staged_rows.source_record_id = customer_records.source_record_id

),

fingerprints as (

    {{ customer_fingerprints('customer_rows', ['source', 'source_record_id', 'seen_at', 'identity_keys'] + attributes) }}

),

changed as (

    {{ changed_customers('fingerprints') }}

),

changed_rows as (

    select customer_rows.*
    from customer_rows
    semi join changed
        on customer_rows.unified_customer_id = changed.unified_customer_id

),

key_values as (

    select unified_customer_id, source, seen_at, identity_key.key_type as identifier_type,
        identity_key.key_value as identifier_value
    from (select *, unnest(identity_keys) as identity_key from changed_rows)

),

attribute_values as (

    {% for type in attributes -%}
    select unified_customer_id, source, seen_at, '{{ type }}' as identifier_type, {{ type }} as identifier_value
    from changed_rows
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

aggregated as (

    select
        unified_customer_id,
        source,
        identifier_type,
        identifier_value,
        min(seen_at) as first_seen,
        max(seen_at) as last_seen
    from identifier_values
    where identifier_value is not null
    group by all

),

final as (

    select
        aggregated.*,
        {{ customer_row_provenance('changed') }}
    from aggregated
    inner join changed
        on aggregated.unified_customer_id = changed.unified_customer_id

)

select * from final
{{ customer_tombstones('fingerprints') }}
