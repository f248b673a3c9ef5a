-- Email activity per unified customer inside the activity window. Opens and clicks count
-- once per (subscriber, campaign), so rates are per email sent and stay within 0..1.
-- Incremental per customer (macros/incremental_customers.sql): only customers whose events to
-- date changed (including crossing the window's edge) are aggregated again.
{{ customer_incremental_config() }}

with

email_events as (

    select * from {{ ref('stg_email_events') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

events_to_date as materialized (

    select
        customer_records.unified_customer_id,
        email_events.source || ':' || email_events.source_record_id || '/' || coalesce(email_events.campaign_id, '') as email_id,
        email_events.event_type,
        email_events.occurred_at,
        cast(email_events.occurred_at as date) >= {{ window_start_date() }} as is_in_window
    from email_events
    inner join customer_records
        on email_events.source = customer_records.source
        and email_events.source_record_id = customer_records.source_record_id
    where cast(email_events.occurred_at as date) <= {{ logical_date() }}

),

fingerprints as (

    {{ customer_fingerprints('events_to_date', ['email_id', 'event_type', 'occurred_at', 'is_in_window']) }}

),

changed as (

    {{ changed_customers('fingerprints') }}

),

counts as (

    select
        unified_customer_id,
        count(distinct email_id) filter (where is_in_window and event_type = 'sent') as emails_sent,
        count(distinct email_id) filter (where is_in_window and event_type = 'open') as emails_opened,
        count(distinct email_id) filter (where is_in_window and event_type = 'click') as emails_clicked,
        count(*) filter (where is_in_window and event_type = 'bounce') as email_bounces,
        count(*) filter (where event_type = 'unsubscribe') as email_unsubscribes,
        max(occurred_at) filter (where event_type in ('open', 'click')) as last_email_engagement_at,
        min(occurred_at) as first_email_event_at
    from events_to_date
    semi join changed
        on events_to_date.unified_customer_id = changed.unified_customer_id
    group by unified_customer_id

),

final as (

    select
        counts.*,
        coalesce(least(emails_opened / nullif(emails_sent, 0), 1.0), 0.0) as email_open_rate,
        coalesce(least(emails_clicked / nullif(emails_sent, 0), 1.0), 0.0) as email_click_rate,
        {{ customer_row_provenance('changed') }}
    from counts
    inner join changed
        on counts.unified_customer_id = changed.unified_customer_id

)

select * from final
{{ customer_tombstones('fingerprints') }}
