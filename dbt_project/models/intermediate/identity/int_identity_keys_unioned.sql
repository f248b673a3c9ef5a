-- Every (record, normalized key) pair that can link records: email, E.164 phone, CRM
-- customer id and loyalty id (for CRM contacts, every value they have had). A cookie
-- carries the CRM id it logged in with most often, so a shared computer does not merge two
-- people.
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

crm_keys as (

    select
        'crm_customers' as source,
        customer_id as source_record_id,
        'customer_id' as key_type,
        customer_id as key_value
    from crm_customers
    union all
    select 'crm_customers', customer_id, 'email', unnest(known_emails) from crm_customers
    union all
    select 'crm_customers', customer_id, 'phone', unnest(known_phones) from crm_customers
    union all
    select 'crm_customers', customer_id, 'loyalty_id', unnest(known_loyalty_ids) from crm_customers

),

web_order_keys as (

    select distinct
        'web_orders' as source,
        order_id as source_record_id,
        'customer_id' as key_type,
        customer_id as key_value
    from web_order_lines

),

pos_order_keys as (

    select distinct 'pos_orders' as source, transaction_id as source_record_id, key_type, key_value
    from pos_order_lines
    cross join lateral (
        values ('email', email), ('loyalty_id', loyalty_id)
    ) as keys (key_type, key_value)

),

cookie_logins as (

    select
        cookie_id,
        user_id,
        count(*) as login_events,
        max(occurred_at) as last_login_at
    from web_events
    where cookie_id is not null and user_id is not null
    group by cookie_id, user_id

),

cookie_keys as (

    select
        'web_events' as source,
        cookie_id as source_record_id,
        'customer_id' as key_type,
        user_id as key_value
    from cookie_logins
    qualify row_number() over (
        partition by cookie_id order by login_events desc, last_login_at desc, user_id
    ) = 1

),

subscriber_keys as (

    select distinct
        'email_engagement' as source,
        subscriber_id as source_record_id,
        'email' as key_type,
        email as key_value
    from email_events
    where subscriber_id is not null

),

unioned as (

    select * from crm_keys
    union all
    select * from web_order_keys
    union all
    select * from pos_order_keys
    union all
    select * from cookie_keys
    union all
    select * from subscriber_keys

),

final as (

    select distinct
        source || ':' || source_record_id as record_key,
        source,
        source_record_id,
        key_type,
        key_value
    from unioned
    where key_value is not null and source_record_id is not null

)

select * from final
