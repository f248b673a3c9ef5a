-- Order lines of every active order-line source in one shape, on the unified customer. Ids
-- are prefixed with the source's channel (`web:`, `pos:`). A line counts towards net spend
-- unless it was cancelled, or returned without being a refund line itself (tills record a
-- return as a negative line, which stays negative; a web order marked returned nets to zero).
with

order_lines as (

    select * from {{ ref('stg_order_lines') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

lines as (

    select
        channel || ':' || order_line_id as order_line_id,
        channel || ':' || order_id as order_id,
        channel,
        source,
        source_record_id,
        ordered_at,
        category,
        quantity,
        line_amount,
        is_cancelled,
        is_returned,
        is_cancelled or is_returned as is_returned_or_cancelled,
        case
            when is_cancelled then 0.0
            when is_returned and line_amount >= 0 then 0.0
            else line_amount
        end as net_line_amount
    from order_lines

),

final as (

    select
        lines.order_line_id,
        lines.order_id,
        customer_records.unified_customer_id,
        lines.channel,
        lines.ordered_at,
        cast(lines.ordered_at as date) as order_date,
        lines.category,
        lines.quantity,
        lines.line_amount,
        lines.net_line_amount,
        lines.is_cancelled,
        lines.is_returned,
        lines.is_returned_or_cancelled
    from lines
    inner join customer_records
        on lines.source = customer_records.source
        and lines.source_record_id = customer_records.source_record_id

)

select * from final
