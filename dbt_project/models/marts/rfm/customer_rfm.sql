with

customer_orders as (

    select * from {{ ref('int_orders_aggregated_to_customers') }}

),

rfm_values as (

    select
        unified_customer_id,
        coalesce(
            {{ logical_date() }} - last_completed_order_date, {{ rfm_window_days() }} + 1
        ) as recency_days,
        frequency,
        monetary
    from customer_orders

),

-- Quintiles; ties are broken by the customer id so a rebuild gives the same scores.
scored as (

    select
        *,
        ntile(5) over (order by recency_days desc, unified_customer_id) as r_score,
        ntile(5) over (order by frequency, unified_customer_id) as f_score,
        ntile(5) over (order by monetary, unified_customer_id) as m_score
    from rfm_values

),

final as (

    select
        scored.unified_customer_id,
        cast(scored.recency_days as integer) as recency_days,
        cast(scored.frequency as integer) as frequency,
        round(scored.monetary, 2) as monetary,
        cast(scored.r_score as integer) as r_score,
        cast(scored.f_score as integer) as f_score,
        cast(scored.m_score as integer) as m_score,
        cast({{ fm_score('scored.f_score', 'scored.m_score') }} as integer) as fm_score,
        {{ rfm_segment('scored.r_score', fm_score('scored.f_score', 'scored.m_score')) }} as rfm_segment,
        {{ logical_date() }} as logical_date
    from scored

)

select * from final
