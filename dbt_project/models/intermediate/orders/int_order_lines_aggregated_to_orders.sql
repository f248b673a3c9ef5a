-- Order grain: every active source's lines aggregated per order, on the unified customer
-- (null for guest orders). `net_amount` is the order's revenue (every line, postage and fees
-- included); `merchandise_net_amount` is what RFM reads (lines with is_rfm_line).
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
        -- Exact decimal sums (line amounts carry 4 decimals): a float sum's order, which differs
        -- between runs, must not decide how a total ending in 5 rounds to cents.
        sum(cast(greatest(line_amount, 0) as decimal(38, 4))) as gross_amount,
        sum(cast(net_line_amount as decimal(38, 4))) as net_amount,
        coalesce(sum(cast(net_line_amount as decimal(38, 4))) filter (where is_rfm_line), 0) as merchandise_net_amount,
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
        unified_customer_id is null as is_guest,
        ordered_at,
        cast(ordered_at as date) as order_date,
        is_cancelled,
        is_returned,
        -- A purchase: not cancelled, and its merchandise lines net to more than zero (an order
        -- returned in full, a till receipt that only returns goods, a cancellation invoice or
        -- an order of postage alone is not).
        not is_cancelled and merchandise_net_amount > 0 as is_completed,
        cast(round(gross_amount, 2) as double) as gross_amount,
        cast(round(net_amount, 2) as double) as net_amount,
        cast(round(merchandise_net_amount, 2) as double) as merchandise_net_amount,
        cast(item_count as integer) as item_count,
        cast(line_count as integer) as line_count
    from orders

)

select * from final
