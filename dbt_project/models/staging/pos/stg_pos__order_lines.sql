-- Reads the incremental copy of silver, which can hold ingest dates after the logical
-- date (once a later date has run): only partitions up to the logical date count.
with

deliveries as (

    select * from {{ ref('base_pos__order_line_deliveries') }}

),

delivered as (

    select * from deliveries
    where {{ delivered_by_logical_date('_ingest_date') }}

),

latest as (

    select * from delivered
    {{ latest_version_of(['transaction_id', 'line_number']) }}

),

final as (

    select
        cast(transaction_id as varchar) || '-' || cast(line_number as varchar) as transaction_line_id,
        cast(transaction_id as varchar) as transaction_id,
        cast(line_number as integer) as line_number,
        cast(store_id as varchar) as store_id,
        nullif(upper(trim(loyalty_id)), '') as loyalty_id,
        nullif(lower(trim(email)), '') as email,
        nullif(email_hash, '') as email_hash,
        nullif(email_sha256, '') as email_sha256,
        cast(transacted_at as timestamp) as transacted_at,
        sku,
        lower(category) as category,
        cast(quantity as integer) as quantity,
        cast(unit_price as double) as unit_price,
        currency,
        cast(line_amount as double) as line_amount,
        coalesce(cast(is_return as boolean), quantity < 0) as is_return,
        {{ lineage_columns() }}
    from latest

)

select * from final
