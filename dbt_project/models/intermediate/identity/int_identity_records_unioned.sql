-- One row per identity-bearing source record (a node of the identity graph: a customer
-- record, an order, a browser, a subscriber, a campaign member, as each contract's record_id
-- says), with the contact attributes survivorship chooses from, the source's trust rank, and
-- when the record was first and last seen. A record that carries no identifier at all (a guest checkout's
-- order) is no node: its orders stay in the facts with no customer.
with

customer_records as (

    select * from {{ ref('stg_customer_records') }}

),

order_lines as (

    select * from {{ ref('stg_order_lines') }}

),

order_headers as (

    select * from {{ ref('stg_orders') }}

),

site_events as (

    select * from {{ ref('stg_web_events') }}

),

email_events as (

    select * from {{ ref('stg_email_events') }}

),

campaign_members as (

    select * from {{ ref('stg_campaign_members') }}

),

customer_record_records as (

    {{ identity_record_rollup('customer_records', 'customer_record', 'first_seen_at', 'observed_at',
        consent='has_marketing_consent', country='country_code') }}

),

order_records as (

    {{ identity_record_rollup('order_lines', 'order_line', 'ordered_at', 'ordered_at') }}

),

order_header_records as (

    {{ identity_record_rollup('order_headers', 'order', 'ordered_at', 'ordered_at') }}

),

web_event_records as (

    {{ identity_record_rollup('site_events', 'web_event', 'occurred_at', 'occurred_at') }}

),

email_event_records as (

    {{ identity_record_rollup('email_events', 'email_event', 'occurred_at', 'occurred_at',
        unsubscribed="event_type = 'unsubscribe'") }}

),

campaign_member_records as (

    {{ identity_record_rollup('campaign_members', 'campaign_member', 'assigned_at', 'assigned_at') }}

),

unioned as (

    select * from customer_record_records
    union all by name
    select * from order_records
    union all by name
    select * from order_header_records
    union all by name
    select * from web_event_records
    union all by name
    select * from email_event_records
    union all by name
    select * from campaign_member_records

),

identified as (

    select *
    from unioned
    where has_identity_key
        {%- for type, form, sql_type in identity_attribute_columns() %}
        or {{ identifier_column_name(type, form) }} is not null
        {%- endfor %}

),

final as (

    select
        source || ':' || source_record_id as record_key,
        -- A dense integer per record, for the graph algorithm.
        row_number() over (order by source, source_record_id) - 1 as record_index,
        source,
        source_record_id,
        entity,
        source_priority,
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
        street_address,
        country_code,
        loyalty_id,
        has_marketing_consent,
        last_unsubscribed_at
    from identified

)

select * from final
