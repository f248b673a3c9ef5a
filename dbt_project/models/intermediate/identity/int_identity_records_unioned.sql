-- One row per identity-bearing source record (a node of the identity graph), with the
-- contact attributes survivorship chooses from and when the record was first seen.
with

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

web_order_lines as (

    select * from {{ ref('stg_web_shop__order_lines') }}

),

pos_order_lines as (

    select * from {{ ref('stg_pos__order_lines') }}

),

web_events as (

    select * from {{ ref('stg_web_analytics__events') }}

),

email_events as (

    select * from {{ ref('stg_email__events') }}

),

crm_records as (

    select
        'crm_customers' as source,
        customer_id as source_record_id,
        coalesce(created_at, updated_at) as first_seen_at,
        updated_at as observed_at,
        email,
        email_hash,
        email_sha256,
        phone,
        phone_hash,
        first_name,
        last_name,
        birth_date,
        postcode,
        city,
        country_code,
        loyalty_id,
        has_marketing_consent,
        cast(null as timestamp) as last_unsubscribed_at
    from crm_customers

),

web_order_records as (

    select
        'web_orders' as source,
        order_id as source_record_id,
        min(ordered_at) as first_seen_at,
        max(ordered_at) as observed_at
    from web_order_lines
    group by order_id

),

pos_order_records as (

    select
        'pos_orders' as source,
        transaction_id as source_record_id,
        min(transacted_at) as first_seen_at,
        max(transacted_at) as observed_at,
        -- The till writes one email / loyalty card per receipt: any line's value is the receipt's.
        max(email) as email,
        max(email_hash) as email_hash,
        max(email_sha256) as email_sha256,
        max(loyalty_id) as loyalty_id
    from pos_order_lines
    group by transaction_id

),

cookie_records as (

    select
        'web_events' as source,
        cookie_id as source_record_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as observed_at
    from web_events
    where cookie_id is not null
    group by cookie_id

),

subscriber_records as (

    select
        'email_engagement' as source,
        subscriber_id as source_record_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as observed_at,
        arg_max(email, occurred_at) as email,
        arg_max(email_hash, occurred_at) as email_hash,
        arg_max(email_sha256, occurred_at) as email_sha256,
        max(occurred_at) filter (where event_type = 'unsubscribe') as last_unsubscribed_at
    from email_events
    where subscriber_id is not null
    group by subscriber_id

),

unioned as (

    select * from crm_records
    union all by name
    select * from web_order_records
    union all by name
    select * from pos_order_records
    union all by name
    select * from cookie_records
    union all by name
    select * from subscriber_records

),

final as (

    select
        source || ':' || source_record_id as record_key,
        -- A dense integer per record, for the graph algorithm.
        row_number() over (order by source, source_record_id) - 1 as record_index,
        source,
        source_record_id,
        {{ source_priority('source') }} as source_priority,
        first_seen_at,
        observed_at,
        email,
        email_hash,
        email_sha256,
        phone,
        phone_hash,
        first_name,
        last_name,
        birth_date,
        postcode,
        city,
        country_code,
        loyalty_id,
        has_marketing_consent,
        last_unsubscribed_at
    from unioned

)

select * from final
