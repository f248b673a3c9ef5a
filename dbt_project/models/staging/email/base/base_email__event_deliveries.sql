-- Every delivered silver row of email_events, one partition per _ingest_date, loaded
-- incrementally (macros/incremental.sql); stg_email__events picks the latest version.
{{ config(pre_hook="{{ delete_withdrawn_deliveries(source('email', 'email_events')) }}") }}

{{ silver_deliveries(source('email', 'email_events')) }}
