-- One row per order of every active `order` source (an order header: a shop database's orders
-- table): the latest version of each natural key delivered on or before the logical date. The
-- amount is the source's `net_amount` measure; an order whose contract names a payment
-- source (`relations.payments`) or a line source (`relations.lines`) gets it from those in
-- intermediate.int_order_lines_unioned, so `net_amount` is null here.
{%- set sources = cdp_sources('order') %}
{%- if sources | length == 0 %}
{{ no_rows_of(order_columns()) }}
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
        {{ measure(src, 'ordered_at', 'timestamp') }} as ordered_at,
        lower({{ measure(src, 'order_status') }}) as order_status,
        {{ order_flag(src, 'is_cancelled', var('cancelled_order_statuses')) }} as is_cancelled,
        {{ order_flag(src, 'is_returned', var('returned_order_statuses')) }} as is_returned,
        {{ measure(src, 'currency') }} as currency,
        {{ measure(src, 'net_amount', 'double') }} as net_amount,
        {% if src.relations.get('payments') %}'{{ src.relations.payments }}'{% else %}cast(null as varchar){% endif %}
            as payments_source,
        {% if src.relations.get('lines') %}'{{ src.relations.lines }}'{% else %}cast(null as varchar){% endif %}
            as lines_source,
        {{ identity_attributes(src) }},
        {{ identity_keys(src) }} as identity_keys,
        {{ lineage_columns() }}
    from {{ src.name }}__latest

),
{% endfor %}
final as (

    {% for src in sources -%}
    select * from {{ src.name }}__staged
    {% if not loop.last %}union all by name
    {% endif %}
    {%- endfor %}

)

select * from final
{%- endif %}
