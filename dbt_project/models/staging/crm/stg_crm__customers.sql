with

source as (

    select * from {{ source('crm', 'crm_customers') }}

),

delivered as (

    select * from source
    where {{ delivered_by_logical_date() }}

),

-- Every email / phone / loyalty id a contact has had: identity keys keep linking records
-- made with an old email after the contact changes it.
with_history as (

    select
        *,
        list(distinct lower(trim(email))) filter (where trim(email) <> '') over contact_versions
            as known_emails,
        list(distinct trim(phone)) filter (where trim(phone) <> '') over contact_versions
            as known_phones,
        list(distinct upper(trim(loyalty_id))) filter (where trim(loyalty_id) <> '') over contact_versions
            as known_loyalty_ids
    from delivered
    window contact_versions as (partition by customer_id)

),

latest as (

    select * from with_history
    {{ latest_version_of(['customer_id'], 'updated_at desc nulls last') }}

),

final as (

    select
        cast(customer_id as varchar) as customer_id,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(lower(trim(email)), '') as email,
        nullif(email_hash, '') as email_hash,
        nullif(email_sha256, '') as email_sha256,
        nullif(trim(phone), '') as phone,
        nullif(phone_hash, '') as phone_hash,
        cast(birth_date as date) as birth_date,
        nullif(trim(postcode), '') as postcode,
        nullif(trim(city), '') as city,
        nullif(upper(trim(country_code)), '') as country_code,
        nullif(upper(trim(loyalty_id)), '') as loyalty_id,
        coalesce(known_emails, []) as known_emails,
        coalesce(known_phones, []) as known_phones,
        coalesce(known_loyalty_ids, []) as known_loyalty_ids,
        cast(has_marketing_consent as boolean) as has_marketing_consent,
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        {{ lineage_columns() }}
    from latest

)

select * from final
