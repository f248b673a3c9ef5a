-- Analyst-facing golden profile: hashed contact identifiers only; names, city and birth date
-- (contact fields and quasi-identifiers) are in pii.customer_contacts, the birth year here.
with

golden_records as (

    select * from {{ ref('int_identity_records_survived_to_customers') }}

),

final as (

    select
        unified_customer_id,
        email_hash,
        phone_hash,
        country_code,
        cast(year(birth_date) as integer) as birth_year,
        has_marketing_consent,
        crm_customer_id,
        first_seen_at,
        last_seen_at,
        source_count,
        record_count,
        crm_record_count,
        crm_record_count > 0 as has_crm_record,
        email_hash is not null as has_email,
        phone_hash is not null as has_phone
    from golden_records

)

select * from final
