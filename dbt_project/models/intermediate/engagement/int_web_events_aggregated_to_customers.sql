-- Web activity per unified customer: counts inside the activity window (same length as the
-- RFM window), last event up to the logical date.
-- Incremental per customer (macros/incremental_customers.sql): only customers whose events to
-- date changed (including crossing the window's edge) are aggregated again.
{{ customer_incremental_config() }}

with

site_events as (

    select * from {{ ref('stg_web_events') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

events_to_date as materialized (

    select
        customer_records.unified_customer_id,
        site_events.session_id,
        site_events.event_type,
        site_events.occurred_at,
        cast(site_events.occurred_at as date) >= {{ window_start_date() }} as is_in_window
    from site_events
    inner join customer_records
        on site_events.source = customer_records.source
        and site_events.source_record_id = customer_records.source_record_id
    where cast(site_events.occurred_at as date) <= {{ logical_date() }}

),

fingerprints as (

    {{ customer_fingerprints('events_to_date', ['session_id', 'event_type', 'occurred_at', 'is_in_window']) }}

),

changed as (

    {{ changed_customers('fingerprints') }}

),

aggregated as (

    select
        unified_customer_id,
        count(distinct session_id) filter (where is_in_window) as sessions,
        count(*) filter (where is_in_window and event_type = 'page_view') as page_views,
        count(*) filter (where is_in_window and event_type = 'product_view') as product_views,
        count(*) filter (where is_in_window and event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where is_in_window and event_type = 'checkout') as checkouts,
        min(occurred_at) as first_web_event_at,
        max(occurred_at) as last_web_event_at
    from events_to_date
    semi join changed
        on events_to_date.unified_customer_id = changed.unified_customer_id
    group by unified_customer_id

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
