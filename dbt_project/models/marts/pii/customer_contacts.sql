-- Restricted: raw contact fields per unified customer, for activation and erasure only.
-- Written to the restricted database with every contact value encrypted (pii_encrypt:
-- AES-256-GCM under CDP_PII_KEY, customer_platform/pii_cipher.py); the hashes stay clear.
with

golden_records as (

    select * from {{ ref('int_identity_records_survived_to_customers') }}

),

final as (

    select
        unified_customer_id,
        pii_encrypt(email) as email,
        pii_encrypt(phone) as phone,
        pii_encrypt(first_name) as first_name,
        pii_encrypt(last_name) as last_name,
        pii_encrypt(postcode) as postcode,
        pii_encrypt(loyalty_id) as loyalty_id,
        email_hash,
        phone_hash,
        has_marketing_consent
    from golden_records

)

select * from final
