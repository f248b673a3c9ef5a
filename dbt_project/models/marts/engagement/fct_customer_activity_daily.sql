-- Web and email activity per unified customer and day, up to the logical date: the dated facts
-- point-in-time features read (models/prediction/snapshot.py builds features as of any earlier
-- observation date from them without reading past it). Opens and clicks count once per
-- (subscriber, campaign) on the day of the first one.
with

site_events as (

    select * from {{ ref('stg_web_events') }}

),

email_events as (

    select * from {{ ref('stg_email_events') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

web_days as (

    select
        customer_records.unified_customer_id,
        cast(site_events.occurred_at as date) as activity_date,
        count(distinct site_events.session_id) as sessions,
        count(*) filter (where site_events.event_type = 'product_view') as product_views,
        count(*) filter (where site_events.event_type = 'add_to_cart') as add_to_carts
    from site_events
    inner join customer_records
        on site_events.source = customer_records.source
        and site_events.source_record_id = customer_records.source_record_id
    where cast(site_events.occurred_at as date) <= {{ logical_date() }}
    group by 1, 2

),

email_firsts as (

    select
        customer_records.unified_customer_id,
        email_events.event_type,
        min(cast(email_events.occurred_at as date)) as activity_date
    from email_events
    inner join customer_records
        on email_events.source = customer_records.source
        and email_events.source_record_id = customer_records.source_record_id
    where cast(email_events.occurred_at as date) <= {{ logical_date() }}
        and email_events.event_type in ('sent', 'open', 'click')
    group by
        customer_records.unified_customer_id,
        email_events.source,
        email_events.source_record_id,
        email_events.campaign_id,
        email_events.event_type

),

email_days as (

    select
        unified_customer_id,
        activity_date,
        count(*) filter (where event_type = 'sent') as emails_sent,
        count(*) filter (where event_type = 'open') as emails_opened,
        count(*) filter (where event_type = 'click') as emails_clicked
    from email_firsts
    group by 1, 2

),

final as (

    select
        coalesce(web_days.unified_customer_id, email_days.unified_customer_id) as unified_customer_id,
        coalesce(web_days.activity_date, email_days.activity_date) as activity_date,
        coalesce(web_days.sessions, 0) as sessions,
        coalesce(web_days.product_views, 0) as product_views,
        coalesce(web_days.add_to_carts, 0) as add_to_carts,
        coalesce(email_days.emails_sent, 0) as emails_sent,
        coalesce(email_days.emails_opened, 0) as emails_opened,
        coalesce(email_days.emails_clicked, 0) as emails_clicked
    from web_days
    full outer join email_days
        on web_days.unified_customer_id = email_days.unified_customer_id
        and web_days.activity_date = email_days.activity_date

)

select * from final
