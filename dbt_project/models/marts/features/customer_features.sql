-- The ML feature table: one row per active customer, every column numeric and non-null.
-- Imputation: no orders -> recency window + 1, zero counts and amounts, scores 1; no
-- demographics -> median age band and household size of known customers, medium income.
with

engagement as (

    select * from {{ ref('customer_engagement') }}

),

rfm as (

    select * from {{ ref('customer_rfm') }}

),

customer_orders as (

    select * from {{ ref('int_orders_aggregated_to_customers') }}

),

golden_records as (

    select * from {{ ref('int_identity_records_survived_to_customers') }}

),

demographics as (

    select * from {{ ref('int_demographics_joined_to_customers') }}

),

joined as (

    select
        engagement.*,
        rfm.recency_days,
        rfm.frequency,
        customer_orders.main_channel_purchases,
        rfm.monetary,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        customer_orders.line_count,
        customer_orders.returned_or_cancelled_line_count,
        {% for category in var('product_categories') -%}
        customer_orders.share_{{ category }},
        {% endfor -%}
        golden_records.first_seen_at,
        golden_records.has_marketing_consent,
        demographics.unified_customer_id is not null as has_demographics,
        demographics.age_band_index,
        demographics.income_band_index,
        demographics.household_size,
        demographics.has_children,
        demographics.region_type
    from engagement
    left join rfm
        on engagement.unified_customer_id = rfm.unified_customer_id
    left join customer_orders
        on engagement.unified_customer_id = customer_orders.unified_customer_id
    left join golden_records
        on engagement.unified_customer_id = golden_records.unified_customer_id
    left join demographics
        on engagement.unified_customer_id = demographics.unified_customer_id

),

demographic_medians as (

    select
        coalesce(quantile_disc(age_band_index, 0.5), 2) as median_age_band_index,
        coalesce(quantile_disc(household_size, 0.5), 2) as median_household_size
    from joined
    where has_demographics

),

final as (

    select
        joined.unified_customer_id,
        {{ logical_date() }} as logical_date,
        cast(coalesce(joined.recency_days, {{ rfm_window_days() }} + 1) as integer) as recency_days,
        cast(coalesce(joined.frequency, 0) as integer) as frequency,
        cast(coalesce(joined.monetary, 0) as double) as monetary,
        cast(coalesce(joined.monetary / nullif(joined.frequency, 0), 0) as double) as avg_order_value,
        cast(greatest(coalesce({{ logical_date() }} - cast(joined.first_seen_at as date), 0), 0) as integer)
            as tenure_days,
        cast(coalesce(joined.returned_or_cancelled_line_count / nullif(joined.line_count, 0), 0) as double)
            as return_rate,
        cast(coalesce(joined.main_channel_purchases / nullif(joined.frequency, 0), 0) as double)
            as share_main_channel,
        cast(coalesce(joined.r_score, 1) as integer) as r_score,
        cast(coalesce(joined.f_score, 1) as integer) as f_score,
        cast(coalesce(joined.m_score, 1) as integer) as m_score,
        joined.sessions,
        joined.product_views,
        joined.add_to_carts,
        joined.emails_sent,
        cast(joined.email_open_rate as double) as email_open_rate,
        cast(joined.email_click_rate as double) as email_click_rate,
        joined.days_since_last_engagement,
        cast(joined.engagement_score as double) as engagement_score,
        {% for category in var('product_categories') -%}
        {{ feature('share_' ~ category, 'coalesce(joined.share_' ~ category ~ ', 0)', 'double') }}
            as share_{{ category }},
        {% endfor -%}
        -- Demographics: imputed for customers the enrichment does not cover, null without one.
        {{ feature(
            'age_band_index', 'coalesce(joined.age_band_index, demographic_medians.median_age_band_index)', 'integer'
        ) }} as age_band_index,
        {{ feature('income_band_index', 'coalesce(joined.income_band_index, 1)', 'integer') }} as income_band_index,
        {{ feature(
            'household_size', 'coalesce(joined.household_size, demographic_medians.median_household_size)', 'integer'
        ) }} as household_size,
        {{ feature('has_children', 'coalesce(joined.has_children, false)', 'integer') }} as has_children,
        {{ feature('is_urban', "coalesce(joined.region_type = 'urban', false)", 'integer') }} as is_urban,
        cast(joined.has_demographics as integer) as has_demographics,
        cast(coalesce(joined.has_marketing_consent, false) as integer) as has_marketing_consent
    from joined
    cross join demographic_medians

)

select * from final
