-- Every delivered silver row of web_order_lines, one partition per _ingest_date, loaded
-- incrementally (macros/incremental.sql); stg_web_shop__order_lines picks the latest version.
{{ config(pre_hook="{{ delete_withdrawn_deliveries(source('web_shop', 'web_order_lines')) }}") }}

{{ silver_deliveries(source('web_shop', 'web_order_lines')) }}
