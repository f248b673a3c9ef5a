-- Bought-in attributes (the `enrichment` entity) per unified customer, matched on the
-- identifier each enrichment contract keys on (e.g. the unsalted email SHA-256) against any
-- of the cluster's records: the most trusted enrichment source first, then the record of the
-- most trusted source, then the most recent record.
{%- set match_columns = [] %}
{%- for src in cdp_sources('enrichment') %}
{%- set key = src.identifiers[0] %}
{%- set column = identifier_column_name(key.type, key.form) %}
{%- if column not in match_columns %}{% do match_columns.append(column) %}{% endif %}
{%- endfor %}
with

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

enrichments as (

    select * from {{ ref('stg_enrichments') }}

),

record_match_keys as (

    {%- for column in match_columns %}
    select record_key, source_priority, observed_at, '{{ column }}' as match_key_type, {{ column }} as match_key
    from identity_records
    where {{ column }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as varchar) as record_key,
        cast(null as integer) as source_priority,
        cast(null as timestamp) as observed_at,
        cast(null as varchar) as match_key_type,
        cast(null as varchar) as match_key
    where false
    {%- endfor %}

),

matches as (

    select
        customer_records.unified_customer_id,
        enrichments.trust_rank as enrichment_rank,
        record_match_keys.source_priority,
        record_match_keys.observed_at,
        record_match_keys.record_key,
        enrichments.age_band,
        enrichments.income_band,
        enrichments.household_size,
        enrichments.has_children,
        enrichments.region_type
    from record_match_keys
    inner join customer_records
        on record_match_keys.record_key = customer_records.record_key
    inner join enrichments
        on record_match_keys.match_key_type = enrichments.match_key_type
        and record_match_keys.match_key = enrichments.match_key

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
        order by enrichment_rank, source_priority, observed_at desc nulls last, record_key
    ) = 1

)

select * from final
