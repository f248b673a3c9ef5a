-- Order lines of every active order source in one shape, on the unified customer (null for a
-- guest: a line whose record carries no identifier). Three kinds of line:
-- - lines of an `order_line` source (web shop, tills, invoice exports), on their own record;
-- - lines of an `order_line` source that an `order` source names in `relations.lines`: the
--   order header gives the customer, the time and the cancelled / returned flags;
-- - an `order` without a line source becomes one line carrying its amount: the `net_amount`
--   measure, else the sum of its payments (`relations.payments`; no payment yet: 0).
-- Ids are prefixed with the source's channel (`web:`, `pos:`).
--
-- Net amount (revenue) of a line, the same rule for every source: a cancelled or returned line
-- with a non-negative amount is an order that did not stand (0); a negative line (a
-- cancellation invoice, a till refund) stays negative and subtracts. A line counts towards RFM
-- (`is_rfm_line`) when it is merchandise (the contract's `is_merchandise` rule leaves out
-- postage, fees, manual adjustments, write-offs) and priced (unit price > 0, or, without a
-- unit price, a non-zero amount): free samples and zero or negative price lines do not.
with

order_lines as (

    select * from {{ ref('stg_order_lines') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

payments as (

    select * from {{ ref('stg_payments') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

payment_totals as (

    select source, order_id, sum(amount) as paid_amount
    from payments
    group by source, order_id

),

own_lines as (

    select
        source,
        source as record_source,
        source_record_id as record_id,
        channel,
        order_id,
        line_number,
        ordered_at,
        category,
        quantity,
        unit_price,
        line_amount,
        is_merchandise,
        is_cancelled,
        is_returned
    from order_lines
    where order_source is null

),

related_lines as (

    select
        order_lines.source,
        orders.source as record_source,
        orders.source_record_id as record_id,
        orders.channel,
        order_lines.order_id,
        order_lines.line_number,
        coalesce(order_lines.ordered_at, orders.ordered_at) as ordered_at,
        order_lines.category,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.line_amount,
        order_lines.is_merchandise,
        order_lines.is_cancelled or orders.is_cancelled as is_cancelled,
        order_lines.is_returned or orders.is_returned as is_returned
    from order_lines
    inner join orders
        on order_lines.order_source = orders.source
        and order_lines.order_id = orders.order_id

),

header_lines as (

    select
        orders.source,
        orders.source as record_source,
        orders.source_record_id as record_id,
        orders.channel,
        orders.order_id,
        1 as line_number,
        orders.ordered_at,
        cast(null as varchar) as category,
        cast(null as integer) as quantity,
        cast(null as double) as unit_price,
        coalesce(orders.net_amount, payment_totals.paid_amount, 0) as line_amount,
        true as is_merchandise,
        orders.is_cancelled,
        orders.is_returned
    from orders
    left join payment_totals
        on orders.payments_source = payment_totals.source
        and orders.order_id = payment_totals.order_id
    where orders.lines_source is null

),

all_lines as (

    select * from own_lines
    union all by name
    select * from related_lines
    union all by name
    select * from header_lines

),

lines as (

    select
        channel || ':' || order_id || '-' || cast(line_number as varchar) as order_line_id,
        channel || ':' || order_id as order_id,
        channel,
        source,
        record_source,
        record_id,
        ordered_at,
        category,
        quantity,
        unit_price,
        line_amount,
        is_merchandise,
        is_cancelled,
        is_returned,
        is_cancelled or is_returned as is_returned_or_cancelled,
        is_merchandise
            and (case when unit_price is not null then unit_price > 0 else coalesce(line_amount, 0) <> 0 end)
            as is_rfm_line,
        case
            when (is_cancelled or is_returned) and line_amount >= 0 then 0.0
            else coalesce(line_amount, 0.0)
        end as net_line_amount
    from all_lines

),

final as (

    select
        lines.order_line_id,
        lines.order_id,
        customer_records.unified_customer_id,
        lines.channel,
        lines.source,
        lines.ordered_at,
        cast(lines.ordered_at as date) as order_date,
        lines.category,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        lines.net_line_amount,
        lines.is_merchandise,
        lines.is_rfm_line,
        lines.is_cancelled,
        lines.is_returned,
        lines.is_returned_or_cancelled
    from lines
    left join customer_records
        on lines.record_source = customer_records.source
        and lines.record_id = customer_records.source_record_id

)

select * from final
