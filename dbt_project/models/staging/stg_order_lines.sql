-- One row per order line of every active `order_line` source (web shop, tills, invoice
-- exports): the latest version of each natural key delivered on or before the logical date,
-- read from the source's incremental delivery copy, in the registry's canonical shape.
-- `is_merchandise` is the source's own rule (measure `is_merchandise`: postage, fees, manual
-- adjustments are not), true when it has none. Lines of a source that an order source names
-- in `relations.lines` carry `order_source`; their customer and time come from that order.
{%- set sources = cdp_sources('order_line') %}
{%- if sources | length == 0 %}
{{ no_rows_of(order_line_columns()) }}
{%- else %}
with
{% for src in sources %}
{{ src.name }}__latest as (

    select * from {{ source_rows(src) }}
    where {{ delivered_by_logical_date('_ingest_date') }}
    {{ latest_version_of(quoted(src.natural_key), quoted_desc(src.latest_by)) }}

),

{{ src.name }}__staged as (

    select
        '{{ src.name }}' as source,
        '{{ src.channel }}' as channel,
        {{ staging_key(src) }} as staging_key,
        {{ record_id(src) }} as source_record_id,
        {{ src.trust_rank }} as trust_rank,
        {{ measure(src, 'order_id') }} as order_id,
        {%- if measure_column(src, 'line_number') %}
        {{ measure(src, 'line_number', 'integer') }} as line_number,
        {%- else %}
        cast(row_number() over (partition by {{ measure(src, 'order_id') }} order by {{ staging_key(src) }}) as integer)
            as line_number,
        {%- endif %}
        {{ measure(src, 'ordered_at', 'timestamp') }} as ordered_at,
        lower({{ measure(src, 'order_status') }}) as order_status,
        {{ order_flag(src, 'is_cancelled', var('cancelled_order_statuses')) }} as is_cancelled,
        {{ order_flag(src, 'is_returned', var('returned_order_statuses')) }} as is_returned,
        {{ measure(src, 'sku') }} as sku,
        lower({{ measure(src, 'category') }}) as category,
        {{ measure(src, 'quantity', 'integer') }} as quantity,
        {{ measure(src, 'unit_price', 'double') }} as unit_price,
        {{ measure(src, 'currency') }} as currency,
        {{ measure(src, 'line_amount', 'double') }} as line_amount,
        coalesce({{ measure(src, 'is_merchandise', 'boolean') }}, true) as is_merchandise,
        {%- set order_source = order_source_of_lines(src) %}
        {% if order_source %}'{{ order_source }}'{% else %}cast(null as varchar){% endif %} as order_source,
        {{ identity_attributes(src) }},
        {{ identity_keys(src) }} as identity_keys,
        {{ lineage_columns() }}
    from {{ src.name }}__latest

),
{% endfor %}
final as (

    select
        *,
        order_id || '-' || cast(line_number as varchar) as order_line_id
    from (
        {% for src in sources -%}
        select * from {{ src.name }}__staged
        {% if not loop.last %}union all by name
        {% endif %}
        {%- endfor %}
    )

)

select * from final
{%- endif %}
