-- Every (record, normalized key) pair that can link records, from the identifiers each
-- contract declares as deterministic keys (email, E.164 phone, customer id, loyalty id, ...),
-- in the key space they link in. A customer record carries every value it has had. An
-- identifier declared `per_record: most_frequent` links only the record's most frequent value
-- (a browser shared by two people carries the login it saw most).
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

row_keys as (

    select source, source_record_id, observed_at as seen_at, unnest(identity_keys) as identity_key
    from customer_records
    union all
    select source, source_record_id, ordered_at, unnest(identity_keys) from order_lines
    union all
    select source, source_record_id, ordered_at, unnest(identity_keys) from order_headers
    union all
    select source, source_record_id, occurred_at, unnest(identity_keys) from site_events
    union all
    select source, source_record_id, occurred_at, unnest(identity_keys) from email_events
    union all
    select source, source_record_id, assigned_at, unnest(identity_keys) from campaign_members

),

keys as (

    select
        source,
        source_record_id,
        seen_at,
        identity_key.key_type as key_type,
        identity_key.key_value as key_value,
        identity_key.per_record as per_record,
        identity_key.is_own_id as is_own_id
    from row_keys
    where source_record_id is not null

),

every_value as (

    select distinct source, source_record_id, key_type, key_value, is_own_id
    from keys
    where per_record = 'all'

),

value_counts as (

    select
        source,
        source_record_id,
        key_type,
        key_value,
        is_own_id,
        count(*) as occurrences,
        max(seen_at) as last_seen_at
    from keys
    where per_record = 'most_frequent'
    group by source, source_record_id, key_type, key_value, is_own_id

),

most_frequent_value as (

    select source, source_record_id, key_type, key_value, is_own_id
    from value_counts
    qualify row_number() over (
        partition by source, source_record_id, key_type
        order by occurrences desc, last_seen_at desc, key_value
    ) = 1

),

unioned as (

    select * from every_value
    union
    select * from most_frequent_value

),

final as (

    select
        source || ':' || source_record_id as record_key,
        source,
        source_record_id,
        key_type,
        key_value,
        is_own_id
    from unioned

)

select * from final
