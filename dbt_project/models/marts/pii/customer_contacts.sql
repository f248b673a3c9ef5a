-- Restricted: raw contact fields per unified customer, for activation and erasure only.
with

golden_records as (

    select * from {{ ref('int_identity_records_survived_to_customers') }}

),

final as (

    select
        unified_customer_id,
        email,
        phone,
        first_name,
        last_name,
        postcode,
        loyalty_id,
        email_hash,
        phone_hash,
        has_marketing_consent
    from golden_records

)

select * from final
