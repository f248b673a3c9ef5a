-- One row per payment of every active `payment` source (a shop database's payments table),
-- delivered on or before the logical date: the amount paid against an order. An order source
-- naming the payment source in `relations.payments` takes its amount from the sum of these.
{%- set sources = cdp_sources('payment') %}
{%- if sources | length == 0 %}
{{ no_rows_of(payment_columns()) }}
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
        {{ staging_key(src) }} as staging_key,
        {{ measure(src, 'order_id') }} as order_id,
        {{ measure(src, 'amount', 'double') }} as amount,
        {{ measure(src, 'paid_at', 'timestamp') }} as paid_at,
        lower({{ measure(src, 'payment_method') }}) as payment_method,
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
