with

orders as (

    select * from {{ ref('int_order_lines_aggregated_to_orders') }}

),

final as (

    select
        order_id,
        channel,
        unified_customer_id,
        is_guest,
        ordered_at,
        order_date,
        is_cancelled,
        is_returned,
        is_completed,
        gross_amount,
        net_amount,
        merchandise_net_amount,
        item_count,
        line_count
    from orders

)

select * from final
