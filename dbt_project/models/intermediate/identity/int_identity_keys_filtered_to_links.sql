-- The edges of the identity graph: record -> key, without over-merge keys, with dense
-- integer indexes for the connected-components step.
with

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

identity_keys as (

    select * from {{ ref('int_identity_keys_unioned') }}

),

overmerge_keys as (

    select * from {{ ref('int_identity_overmerge_keys') }}

),

usable_keys as (

    select identity_keys.*
    from identity_keys
    anti join overmerge_keys
        on identity_keys.key_type = overmerge_keys.key_type
        and identity_keys.key_value = overmerge_keys.key_value

),

-- A key held by one record links nothing.
shared_keys as (

    select *
    from usable_keys
    qualify count(*) over (partition by key_type, key_value) > 1

),

final as (

    select
        shared_keys.record_key || '|' || shared_keys.key_type || ':' || shared_keys.key_value as link_id,
        identity_records.record_index,
        dense_rank() over (order by shared_keys.key_type, shared_keys.key_value) - 1 as key_index,
        shared_keys.record_key,
        shared_keys.key_type,
        shared_keys.key_value
    from shared_keys
    inner join identity_records
        on shared_keys.record_key = identity_records.record_key

)

select * from final
