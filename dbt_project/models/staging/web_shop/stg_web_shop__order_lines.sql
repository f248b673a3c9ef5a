-- Reads the incremental copy of silver, which can hold ingest dates after the logical
-- date (once a later date has run): only partitions up to the logical date count.
with

deliveries as (

    select * from {{ ref('base_web_shop__order_line_deliveries') }}

),

delivered as (

    select * from deliveries
    where {{ delivered_by_logical_date('_ingest_date') }}

),

latest as (

    select * from delivered
    {{ latest_version_of(['order_id', 'line_number']) }}

),

final as (

    select
        cast(order_id as varchar) || '-' || cast(line_number as varchar) as order_line_id,
        cast(order_id as varchar) as order_id,
        cast(line_number as integer) as line_number,
        cast(customer_id as varchar) as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        lower(order_status) as order_status,
        coalesce(cast(is_cancelled as boolean), false) as is_cancelled,
        coalesce(cast(is_returned as boolean), false) as is_returned,
        sku,
        lower(category) as category,
        cast(quantity as integer) as quantity,
        cast(unit_price as double) as unit_price,
        currency,
        cast(line_amount as double) as line_amount,
        {{ lineage_columns() }}
    from latest

)

select * from final
