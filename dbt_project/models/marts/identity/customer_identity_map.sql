with

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

final as (

    select
        record_key,
        source,
        source_record_id,
        unified_customer_id,
        match_method,
        match_probability,
        cluster_size
    from customer_records

)

select * from final
