-- Rule-based lifecycle stage of every unified customer (marts.dim_customers), from the
-- identifiers the customer holds and the completed orders up to the logical date (the RFM
-- purchase: not cancelled, merchandise netting to more than zero; guest orders belong to no
-- one). Thresholds are the lifecycle_* vars of dbt_project.yml. First matching rule wins:
-- anonymous, prospect, lapsed, new, at_risk, active.
{%- set lapsed_days = lifecycle_threshold('lifecycle_lapsed_days') %}
{%- set new_days = lifecycle_threshold('lifecycle_new_days') %}
{%- set at_risk_min_days = lifecycle_threshold('lifecycle_at_risk_min_days') %}
{%- set at_risk_multiple = lifecycle_threshold('lifecycle_at_risk_cadence_multiple', integer=false) %}
{%- set min_orders_for_cadence = lifecycle_threshold('lifecycle_min_orders_for_cadence') %}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

identity_keys as (

    select * from {{ ref('int_identity_keys_unioned') }}

),

orders as (

    select * from {{ ref('int_order_lines_aggregated_to_orders') }}

),

record_keys as (

    select
        record_key,
        bool_or(key_type <> 'cookie_id') as has_non_cookie_key
    from identity_keys
    group by record_key

),

-- The identifiers of pii.customer_identifiers: a record's keys and its raw contact and matching
-- attributes. Known = anything but a cookie id; reachable = an email or a phone.
customer_identifiers as (

    select
        customer_records.unified_customer_id,
        bool_or(
            coalesce(record_keys.has_non_cookie_key, false)
            {%- for type, form, sql_type in identity_attribute_columns() if form == 'raw' %}
                or identity_records.{{ type }} is not null
            {%- endfor %}
        ) as is_known,
        bool_or(identity_records.email is not null or identity_records.phone is not null) as is_reachable
    from customer_records
    inner join identity_records
        on customer_records.record_key = identity_records.record_key
    left join record_keys
        on customer_records.record_key = record_keys.record_key
    group by customer_records.unified_customer_id

),

completed_orders as (

    select
        unified_customer_id,
        order_id,
        order_date
    from orders
    where
        is_completed
        and unified_customer_id is not null
        and order_date <= {{ logical_date() }}

),

order_totals as (

    select
        unified_customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as lifetime_orders
    from completed_orders
    group by unified_customer_id

),

-- Cadence is measured between purchase days: two orders on one day are one visit, not a 0-day gap.
purchase_days as (

    select distinct
        unified_customer_id,
        order_date
    from completed_orders

),

order_gaps as (

    select
        unified_customer_id,
        order_date - lag(order_date) over (partition by unified_customer_id order by order_date) as gap_days
    from purchase_days

),

median_gaps as (

    select
        unified_customer_id,
        median(gap_days) as median_gap_days
    from order_gaps
    where gap_days is not null
    group by unified_customer_id

),

own_cadences as (

    select
        order_totals.*,
        case
            when order_totals.lifetime_orders >= {{ min_orders_for_cadence }}
                then cast(median_gaps.median_gap_days as double)
        end as typical_days_between_orders
    from order_totals
    left join median_gaps
        on order_totals.unified_customer_id = median_gaps.unified_customer_id

),

population_cadence as (

    select median(typical_days_between_orders) as median_days_between_orders
    from own_cadences

),

joined as (

    select
        customers.unified_customer_id,
        coalesce(customer_identifiers.is_known, false) as is_known,
        coalesce(customer_identifiers.is_reachable, false) as is_reachable,
        own_cadences.first_order_date,
        own_cadences.last_order_date,
        coalesce(own_cadences.lifetime_orders, 0) as lifetime_orders,
        {{ logical_date() }} - own_cadences.first_order_date as days_since_first_order,
        {{ logical_date() }} - own_cadences.last_order_date as days_since_last_order,
        own_cadences.typical_days_between_orders,
        coalesce(
            own_cadences.typical_days_between_orders,
            population_cadence.median_days_between_orders,
            {{ lapsed_days }}
        ) as expected_days_between_orders
    from customers
    left join customer_identifiers
        on customers.unified_customer_id = customer_identifiers.unified_customer_id
    left join own_cadences
        on customers.unified_customer_id = own_cadences.unified_customer_id
    cross join population_cadence

),

-- "New" reads the last N days as the RFM window does: (logical_date - N, logical_date].
staged as (

    select
        *,
        case
            when not is_known then 'anonymous'
            when lifetime_orders = 0 then 'prospect'
            when days_since_last_order > {{ lapsed_days }} then 'lapsed'
            when days_since_first_order < {{ new_days }} then 'new'
            when days_since_last_order > greatest(
                {{ at_risk_min_days }}, cast({{ at_risk_multiple }} as double) * expected_days_between_orders
            ) then 'at_risk'
            else 'active'
        end as lifecycle_stage
    from joined

),

final as (

    select
        unified_customer_id,
        is_known,
        is_reachable,
        first_order_date,
        last_order_date,
        cast(lifetime_orders as integer) as lifetime_orders,
        cast(days_since_last_order as integer) as days_since_last_order,
        typical_days_between_orders,
        cast(expected_days_between_orders as double) as expected_days_between_orders,
        lifecycle_stage,
        cast({{ lifecycle_stage_rank('lifecycle_stage') }} as integer) as lifecycle_stage_rank,
        {{ logical_date() }} as logical_date
    from staged

)

select * from final
