-- Web and POS lines in one shape, on the unified customer. A line counts towards net spend
-- unless its web order was cancelled or returned; POS returns are negative lines.
with

web_order_lines as (

    select * from {{ ref('stg_web_shop__order_lines') }}

),

pos_order_lines as (

    select * from {{ ref('stg_pos__order_lines') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

web_lines as (

    select
        'web:' || order_line_id as order_line_id,
        'web:' || order_id as order_id,
        'web' as channel,
        'web_orders' as source,
        order_id as source_record_id,
        ordered_at,
        category,
        quantity,
        line_amount,
        is_cancelled,
        is_returned,
        is_cancelled or is_returned as is_returned_or_cancelled,
        case when is_cancelled or is_returned then 0.0 else line_amount end as net_line_amount
    from web_order_lines

),

pos_lines as (

    select
        'pos:' || transaction_line_id as order_line_id,
        'pos:' || transaction_id as order_id,
        'pos' as channel,
        'pos_orders' as source,
        transaction_id as source_record_id,
        transacted_at as ordered_at,
        category,
        quantity,
        line_amount,
        false as is_cancelled,
        is_return as is_returned,
        is_return as is_returned_or_cancelled,
        line_amount as net_line_amount
    from pos_order_lines

),

unioned as (

    select * from web_lines
    union all
    select * from pos_lines

),

final as (

    select
        unioned.order_line_id,
        unioned.order_id,
        customer_records.unified_customer_id,
        unioned.channel,
        unioned.ordered_at,
        cast(unioned.ordered_at as date) as order_date,
        unioned.category,
        unioned.quantity,
        unioned.line_amount,
        unioned.net_line_amount,
        unioned.is_cancelled,
        unioned.is_returned,
        unioned.is_returned_or_cancelled
    from unioned
    inner join customer_records
        on unioned.source = customer_records.source
        and unioned.source_record_id = customer_records.source_record_id

)

select * from final
