-- Reads the incremental copy of silver, which can hold ingest dates after the logical
-- date (once a later date has run): only partitions up to the logical date count.
with

deliveries as (

    select * from {{ ref('base_email__event_deliveries') }}

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
        cast(subscriber_id as varchar) as subscriber_id,
        nullif(lower(trim(email)), '') as email,
        nullif(email_hash, '') as email_hash,
        nullif(email_sha256, '') as email_sha256,
        cast(campaign_id as varchar) as campaign_id,
        lower(event_type) as event_type,
        cast(occurred_at as timestamp) as occurred_at,
        {{ lineage_columns() }}
    from latest

)

select * from final
