-- Every delivered silver row of pos_order_lines, one partition per _ingest_date, loaded
-- incrementally (macros/incremental.sql); stg_pos__order_lines picks the latest version.
{{ config(pre_hook="{{ delete_withdrawn_deliveries(source('pos', 'pos_order_lines')) }}") }}

{{ silver_deliveries(source('pos', 'pos_order_lines')) }}
