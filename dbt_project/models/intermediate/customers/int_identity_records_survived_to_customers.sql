-- The golden record: one row per unified customer. Each field takes the most recent non-null
-- value among the cluster's records; contact fields (email, phone, loyalty id) first prefer
-- the source's trust rank (its contract's `trust_rank`) and then recency. Hashes travel with
-- the value they hash. `crm_customer_id` is the id of the cluster's customer record (a
-- `customer_record` source: CRM contact, account) from the most trusted such source.
-- Incremental per customer (macros/incremental_customers.sql): only customers whose records
-- changed are survived again.
{{ customer_incremental_config() }}

with

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

records as materialized (

    select
        customer_records.unified_customer_id,
        identity_records.*
    from identity_records
    inner join customer_records
        on identity_records.record_key = customer_records.record_key

),

fingerprints as (

    {{ customer_fingerprints('records', [
        'record_key', 'source', 'entity', 'source_record_id', 'source_priority', 'first_seen_at',
        'observed_at', 'email', 'email_hash', 'email_sha256', 'phone', 'phone_hash', 'first_name',
        'last_name', 'birth_date', 'postcode', 'city', 'country_code', 'loyalty_id',
        'has_marketing_consent', 'last_unsubscribed_at'
    ]) }}

),

changed as (

    {{ changed_customers('fingerprints') }}

),

survived as (

    select
        unified_customer_id,
        first(email order by source_priority, observed_at desc nulls last, record_key)
            filter (where email is not null) as email,
        first(email_hash order by source_priority, observed_at desc nulls last, record_key)
            filter (where email is not null) as email_hash,
        first(email_sha256 order by source_priority, observed_at desc nulls last, record_key)
            filter (where email is not null) as email_sha256,
        first(phone order by source_priority, observed_at desc nulls last, record_key)
            filter (where phone is not null) as phone,
        first(phone_hash order by source_priority, observed_at desc nulls last, record_key)
            filter (where phone is not null) as phone_hash,
        first(first_name order by observed_at desc nulls last, record_key)
            filter (where first_name is not null) as first_name,
        first(last_name order by observed_at desc nulls last, record_key)
            filter (where last_name is not null) as last_name,
        first(birth_date order by observed_at desc nulls last, record_key)
            filter (where birth_date is not null) as birth_date,
        first(postcode order by observed_at desc nulls last, record_key)
            filter (where postcode is not null) as postcode,
        first(city order by observed_at desc nulls last, record_key)
            filter (where city is not null) as city,
        first(country_code order by observed_at desc nulls last, record_key)
            filter (where country_code is not null) as country_code,
        first(loyalty_id order by source_priority, observed_at desc nulls last, record_key)
            filter (where loyalty_id is not null) as loyalty_id,
        first(source_record_id order by source_priority, observed_at desc nulls last, record_key)
            filter (where entity = 'customer_record') as crm_customer_id,
        first(has_marketing_consent order by observed_at desc nulls last, record_key)
            filter (where has_marketing_consent is not null) as crm_marketing_consent,
        max(observed_at) filter (where has_marketing_consent is not null) as consent_observed_at,
        max(last_unsubscribed_at) as last_unsubscribed_at,
        min(first_seen_at) as first_seen_at,
        max(observed_at) as last_seen_at,
        count(distinct source) as source_count,
        count(*) as record_count,
        count(*) filter (where entity = 'customer_record') as crm_record_count
    from records
    semi join changed
        on records.unified_customer_id = changed.unified_customer_id
    group by unified_customer_id

),

final as (

    select
        survived.* exclude (crm_marketing_consent, consent_observed_at, last_unsubscribed_at),
        -- Consent only from customer records; an email unsubscribe later than that record revokes it.
        coalesce(crm_marketing_consent, false)
            and not coalesce(last_unsubscribed_at > consent_observed_at, false) as has_marketing_consent,
        {{ customer_row_provenance('changed') }}
    from survived
    inner join changed
        on survived.unified_customer_id = changed.unified_customer_id

)

select * from final
{{ customer_tombstones('fingerprints') }}
