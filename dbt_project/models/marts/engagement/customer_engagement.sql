-- Engagement of every active customer (any order, web or email event up to the logical date).
-- Web or email columns are null when no active source of that kind stands behind them.
with

customer_orders as (

    select * from {{ ref('int_orders_aggregated_to_customers') }}

),

web_activity as (

    select * from {{ ref('int_web_events_aggregated_to_customers') }}

),

email_activity as (

    select * from {{ ref('int_email_events_aggregated_to_customers') }}

),

active_customers as (

    select unified_customer_id from customer_orders
    union
    select unified_customer_id from web_activity
    union
    select unified_customer_id from email_activity

),

joined as (

    select
        active_customers.unified_customer_id,
        {{ feature('sessions', 'coalesce(web_activity.sessions, 0)', 'integer') }} as sessions,
        {{ feature('product_views', 'coalesce(web_activity.product_views, 0)', 'integer') }} as product_views,
        {{ feature('add_to_carts', 'coalesce(web_activity.add_to_carts, 0)', 'integer') }} as add_to_carts,
        {{ feature('emails_sent', 'coalesce(email_activity.emails_sent, 0)', 'integer') }} as emails_sent,
        {{ feature('email_open_rate', 'coalesce(email_activity.email_open_rate, 0.0)', 'double') }}
            as email_open_rate,
        {{ feature('email_click_rate', 'coalesce(email_activity.email_click_rate, 0.0)', 'double') }}
            as email_click_rate,
        greatest(
            cast(web_activity.last_web_event_at as date),
            cast(email_activity.last_email_engagement_at as date)
        ) as last_engagement_date
    from active_customers
    left join web_activity
        on active_customers.unified_customer_id = web_activity.unified_customer_id
    left join email_activity
        on active_customers.unified_customer_id = email_activity.unified_customer_id

),

with_recency as (

    select
        *,
        {{ feature(
            'days_since_last_engagement',
            'least(coalesce(' ~ logical_date() ~ ' - last_engagement_date, ' ~ rfm_window_days() ~ ' + 1), '
                ~ rfm_window_days() ~ ' + 1)',
            'integer'
        ) }} as days_since_last_engagement
    from joined

),

final as (

    select
        unified_customer_id,
        cast(sessions as integer) as sessions,
        cast(product_views as integer) as product_views,
        cast(add_to_carts as integer) as add_to_carts,
        cast(emails_sent as integer) as emails_sent,
        email_open_rate,
        email_click_rate,
        cast(days_since_last_engagement as integer) as days_since_last_engagement,
        {{ engagement_score(
            'sessions', 'product_views', 'add_to_carts', 'email_open_rate', 'email_click_rate',
            'days_since_last_engagement'
        ) }} as engagement_score,
        {{ logical_date() }} as logical_date
    from with_recency

)

select * from final
