-- The id-changes history: one row per (logical date, id before, id after) for the records whose
-- unified customer changed in that date's build. Appended per logical date; a re-run of a date
-- replaces that date's rows (pre-hook), so re-running gives the same history.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where change_date = {{ logical_date() }}{% endif %}",
    )
}}

with

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

moved_records as (

    select
        previous_unified_customer_id as from_unified_customer_id,
        unified_customer_id as to_unified_customer_id,
        count(*) as record_count
    from customer_records
    where previous_unified_customer_id is not null
        and previous_unified_customer_id <> unified_customer_id
    group by 1, 2

),

ids_after as (

    select distinct unified_customer_id from customer_records

),

ids_before as (

    select distinct previous_unified_customer_id as unified_customer_id
    from customer_records
    where previous_unified_customer_id is not null

),

classified as (

    select
        moved_records.*,
        ids_after.unified_customer_id is null as from_id_retired,
        ids_before.unified_customer_id is null as to_id_new
    from moved_records
    left join ids_after
        on moved_records.from_unified_customer_id = ids_after.unified_customer_id
    left join ids_before
        on moved_records.to_unified_customer_id = ids_before.unified_customer_id

),

final as (

    select
        {{ logical_date() }} as change_date,
        from_unified_customer_id,
        to_unified_customer_id,
        case
            when from_id_retired and not to_id_new then 'merge'
            when not from_id_retired and to_id_new then 'split'
            when from_id_retired and to_id_new then 'renamed'
            else 'moved'
        end as change_type,
        record_count
    from classified

)

select * from final
