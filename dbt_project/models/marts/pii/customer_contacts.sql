-- Restricted: raw contact fields and quasi-identifiers (city, birth date) per unified customer,
-- for activation and erasure only; analyst marts carry hashes and the birth year.
-- Written to the restricted database with every contact value encrypted (pii_encrypt:
-- AES-256-GCM under CDP_PII_KEY, customer_platform/pii_cipher.py); the hashes stay clear.
-- Incremental per customer (macros/incremental_customers.sql): only changed golden records
-- are encrypted again, and every row under a new key (`pii_key_id()`).
{{ customer_incremental_config() }}

with

golden_records as (

    select * from {{ ref('int_identity_records_survived_to_customers') }}

),

fingerprints as (

    {{ customer_fingerprints('golden_records', [
        'email', 'phone', 'first_name', 'last_name', 'postcode', 'city', 'birth_date', 'loyalty_id',
        'email_hash', 'phone_hash', 'has_marketing_consent'
    ], shared=['(select pii_key_id())']) }}

),

changed as (

    {{ changed_customers('fingerprints') }}

),

final as (

    select
        golden_records.unified_customer_id,
        pii_encrypt(email) as email,
        pii_encrypt(phone) as phone,
        pii_encrypt(first_name) as first_name,
        pii_encrypt(last_name) as last_name,
        pii_encrypt(postcode) as postcode,
        pii_encrypt(city) as city,
        pii_encrypt(strftime(birth_date, '%Y-%m-%d')) as birth_date,
        pii_encrypt(loyalty_id) as loyalty_id,
        email_hash,
        phone_hash,
        has_marketing_consent,
        {{ customer_row_provenance('changed') }}
    from golden_records
    inner join changed
        on golden_records.unified_customer_id = changed.unified_customer_id

)

select * from final
{{ customer_tombstones('fingerprints') }}
