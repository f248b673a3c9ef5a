-- Third-party demographics per unified customer, matched on the unsalted email SHA-256 of
-- any of the cluster's records (the golden email's source first, then the most recent).
with

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

demographics as (

    select * from {{ ref('stg_demographics__profiles') }}

),

matches as (

    select
        customer_records.unified_customer_id,
        identity_records.source_priority,
        identity_records.observed_at,
        identity_records.record_key,
        demographics.age_band,
        demographics.income_band,
        demographics.household_size,
        demographics.has_children,
        demographics.region_type
    from identity_records
    inner join customer_records
        on identity_records.record_key = customer_records.record_key
    inner join demographics
        on identity_records.email_sha256 = demographics.email_sha256

),

final as (

    select
        unified_customer_id,
        age_band,
        case age_band
            when '18-24' then 0 when '25-34' then 1 when '35-44' then 2
            when '45-54' then 3 when '55-64' then 4 when '65+' then 5
        end as age_band_index,
        income_band,
        case income_band when 'low' then 0 when 'medium' then 1 when 'high' then 2 end
            as income_band_index,
        household_size,
        has_children,
        region_type
    from matches
    qualify row_number() over (
        partition by unified_customer_id
        order by source_priority, observed_at desc nulls last, record_key
    ) = 1

)

select * from final
