-- Order grain: web and POS lines aggregated per order on the unified customer.
{{ config(materialized='view') }}

with

order_lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

orders as (

    select
        order_id,
        any_value(channel) as channel,
        any_value(unified_customer_id) as unified_customer_id,
        min(ordered_at) as ordered_at,
        bool_or(is_cancelled) as is_cancelled,
        bool_or(is_returned) as is_returned,
        sum(greatest(line_amount, 0)) as gross_amount,
        sum(net_line_amount) as net_amount,
        coalesce(sum(quantity) filter (where quantity > 0), 0) as item_count,
        count(*) as line_count
    from order_lines
    group by order_id

),

final as (

    select
        order_id,
        channel,
        unified_customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        is_cancelled,
        is_returned,
        -- Completed: not cancelled, not a returned web order, and money kept (a POS receipt
        -- that only returns goods is not a purchase).
        not is_cancelled and not (channel = 'web' and is_returned) and net_amount > 0 as is_completed,
        round(gross_amount, 2) as gross_amount,
        round(net_amount, 2) as net_amount,
        cast(item_count as integer) as item_count,
        cast(line_count as integer) as line_count
    from orders

)

select * from final
