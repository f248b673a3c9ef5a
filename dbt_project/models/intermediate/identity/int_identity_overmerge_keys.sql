-- Key values held by more customer records (CRM contacts, accounts: the `customer_record`
-- entity) than var('identity_max_crm_records_per_key'): a family mailbox or a shop's phone.
-- They are not used as identity links. A record's own id does not count.
with

identity_keys as (

    select * from {{ ref('int_identity_keys_unioned') }}

),

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

crm_records_per_key as (

    select
        key_type,
        key_value,
        count(distinct identity_keys.record_key) as crm_record_count
    from identity_keys
    inner join identity_records
        on identity_keys.record_key = identity_records.record_key
    where identity_records.entity = 'customer_record' and not identity_keys.is_own_id
    group by key_type, key_value

),

final as (

    select
        key_type || ':' || key_value as identity_key,
        key_type,
        key_value,
        crm_record_count,
        {{ var('identity_max_crm_records_per_key') }} as max_crm_records_per_key
    from crm_records_per_key
    where crm_record_count > {{ var('identity_max_crm_records_per_key') }}

)

select * from final
