-- Every delivered silver row of web_events, one partition per _ingest_date, loaded
-- incrementally (macros/incremental.sql); stg_web_analytics__events picks the latest version.
{{ config(pre_hook="{{ delete_withdrawn_deliveries(source('web_analytics', 'web_events')) }}") }}

{{ silver_deliveries(source('web_analytics', 'web_events')) }}
