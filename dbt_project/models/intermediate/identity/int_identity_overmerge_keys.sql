-- Key values held by more CRM contacts than var('identity_max_crm_records_per_key'): a
-- family mailbox or a shop's phone. They are not used as identity links.
with

identity_keys as (

    select * from {{ ref('int_identity_keys_unioned') }}

),

crm_records_per_key as (

    select
        key_type,
        key_value,
        count(distinct source_record_id) as crm_record_count
    from identity_keys
    where source = 'crm_customers' and key_type <> 'customer_id'
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
