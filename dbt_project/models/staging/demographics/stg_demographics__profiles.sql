with

source as (

    select * from {{ source('demographics', 'demographics') }}

),

delivered as (

    select * from source
    where {{ delivered_by_logical_date() }}

),

latest as (

    select * from delivered
    {{ latest_version_of(['email_sha256']) }}

),

final as (

    select
        lower(cast(email_sha256 as varchar)) as email_sha256,
        age_band,
        lower(income_band) as income_band,
        cast(household_size as integer) as household_size,
        cast(has_children as boolean) as has_children,
        lower(region_type) as region_type,
        {{ lineage_columns() }}
    from latest

)

select * from final
