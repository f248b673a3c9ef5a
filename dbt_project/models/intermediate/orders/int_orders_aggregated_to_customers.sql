-- Order behaviour per unified customer inside the RFM window (logical_date - rfm_window_days,
-- logical_date]; customers whose orders all fall before the window are kept with zeros. Guest
-- orders (no customer) are left out. The RFM semantics, the same for every source:
-- - frequency: distinct purchases in the window (int_order_lines_aggregated_to_orders:
--   not cancelled, merchandise lines netting to more than zero);
-- - monetary: the merchandise net amount of every order in the window, cancellations and
--   returns subtracting; a negative net (goods bought before the window returned inside it)
--   is 0;
-- - last_completed_order_date: the last purchase in the window (recency in marts.customer_rfm);
-- - main_channel_purchases: purchases in the window through the business's main channel (the
--   order channel with the most purchases in the window, ties by name): where a customer buys,
--   without the platform knowing what the channels' names mean.
-- Incremental per customer (macros/incremental_customers.sql): only customers whose orders or
-- lines to date changed (including crossing the window's edge) are aggregated again; a new
-- main channel recomputes everyone.
{{ customer_incremental_config() }}

with

orders as (

    select * from {{ ref('int_order_lines_aggregated_to_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

orders_to_date as materialized (

    select
        *,
        order_date >= {{ window_start_date() }} as is_in_window
    from orders
    where order_date <= {{ logical_date() }}
        and unified_customer_id is not null

),

main_channel as (

    select channel
    from orders_to_date
    where is_in_window and is_completed
    group by channel
    order by count(distinct order_id) desc, channel
    limit 1

),

window_lines as materialized (

    select *
    from order_lines
    where order_date between {{ window_start_date() }} and {{ logical_date() }}
        and unified_customer_id is not null

),

fingerprint_inputs as (

    select
        unified_customer_id,
        hash('order', order_id, order_date, is_in_window, is_completed, channel, merchandise_net_amount)
            as input_row_hash
    from orders_to_date
    union all
    select
        unified_customer_id,
        hash('line', order_line_id, category, net_line_amount, is_rfm_line, is_returned_or_cancelled)
    from window_lines

),

fingerprints as (

    {{ customer_fingerprints(
        'fingerprint_inputs', ['input_row_hash'],
        shared=["coalesce((select channel from main_channel), '')"],
        settings=var('product_categories')
    ) }}

),

changed as (

    {{ changed_customers('fingerprints') }}

),

order_totals as (

    select
        orders_to_date.unified_customer_id,
        min(orders_to_date.order_date) as first_order_date,
        max(orders_to_date.order_date) as last_order_date,
        max(orders_to_date.order_date) filter (
            where orders_to_date.is_in_window and orders_to_date.is_completed
        ) as last_completed_order_date,
        count(distinct orders_to_date.order_id) filter (
            where orders_to_date.is_in_window and orders_to_date.is_completed
        ) as frequency,
        count(distinct orders_to_date.order_id) filter (
            where orders_to_date.is_in_window and orders_to_date.is_completed
            and orders_to_date.channel = main_channel.channel
        ) as main_channel_purchases,
        greatest(
            coalesce(sum(orders_to_date.merchandise_net_amount) filter (where orders_to_date.is_in_window), 0), 0
        ) as monetary
    from orders_to_date
    semi join changed
        on orders_to_date.unified_customer_id = changed.unified_customer_id
    left join main_channel
        on true
    group by orders_to_date.unified_customer_id

),

line_totals as (

    select
        unified_customer_id,
        count(*) as line_count,
        count(*) filter (where is_returned_or_cancelled) as returned_or_cancelled_line_count
    from window_lines
    semi join changed
        on window_lines.unified_customer_id = changed.unified_customer_id
    group by unified_customer_id

),

category_spend as (

    select
        unified_customer_id,
        category,
        greatest(sum(net_line_amount), 0) as net_spend
    from window_lines
    semi join changed
        on window_lines.unified_customer_id = changed.unified_customer_id
    where is_rfm_line
    group by unified_customer_id, category

),

category_shares as (

    select
        unified_customer_id,
        {% for category in var('product_categories') -%}
        coalesce(sum(net_spend) filter (where category = '{{ category }}') / nullif(sum(net_spend), 0), 0)
            as share_{{ category }},
        {% endfor -%}
        sum(net_spend) as category_net_spend
    from category_spend
    group by unified_customer_id

),

final as (

    select
        order_totals.unified_customer_id,
        order_totals.first_order_date,
        order_totals.last_order_date,
        order_totals.last_completed_order_date,
        order_totals.frequency,
        order_totals.main_channel_purchases,
        order_totals.monetary,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.returned_or_cancelled_line_count, 0) as returned_or_cancelled_line_count,
        {% for category in var('product_categories') -%}
        coalesce(category_shares.share_{{ category }}, 0) as share_{{ category }},
        {% endfor -%}
        coalesce(category_shares.category_net_spend, 0) as category_net_spend,
        {{ customer_row_provenance('changed') }}
    from order_totals
    inner join changed
        on order_totals.unified_customer_id = changed.unified_customer_id
    left join line_totals
        on order_totals.unified_customer_id = line_totals.unified_customer_id
    left join category_shares
        on order_totals.unified_customer_id = category_shares.unified_customer_id

)

select * from final
{{ customer_tombstones('fingerprints') }}
