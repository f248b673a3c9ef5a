-- Reads the incremental copy of silver, which can hold ingest dates after the logical
-- date (once a later date has run): only partitions up to the logical date count.
with

deliveries as (

    select * from {{ ref('base_web_analytics__event_deliveries') }}

),

delivered as (

    select * from deliveries
    where {{ delivered_by_logical_date('_ingest_date') }}

),

latest as (

    select * from delivered
    {{ latest_version_of(['event_id']) }}

),

final as (

    select
        cast(event_id as varchar) as event_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(cookie_id as varchar) as cookie_id,
        nullif(trim(cast(user_id as varchar)), '') as user_id,
        cast(session_id as varchar) as session_id,
        lower(event_type) as event_type,
        sku,
        {{ lineage_columns() }}
    from latest

)

select * from final
