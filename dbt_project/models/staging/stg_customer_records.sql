-- One row per customer record (a CRM contact, a loyalty member, a shop account) of every
-- active `customer_record` source: the latest version of each natural key delivered on or
-- before the logical date, in the registry's canonical shape. `identity_keys` holds every key
-- the record has had in any delivered version, so records made with an old email keep linking.
{%- set sources = cdp_sources('customer_record') %}
{%- if sources | length == 0 %}
{{ no_rows_of(customer_record_columns()) }}
{%- else %}
with
{% for src in sources %}
{{ src.name }}__versions as (

    select
        *,
        {{ record_id(src) }} as _record_id,
        {{ identity_keys(src) }} as _row_keys
    from {{ source_rows(src) }}
    where {{ delivered_by_logical_date() }}

),

{{ src.name }}__latest as (

    select
        *,
        list_distinct(flatten(list(_row_keys) over (partition by _record_id))) as _known_keys
    from {{ src.name }}__versions
    where _record_id is not null
    {{ latest_version_of(quoted(src.natural_key), quoted_desc(src.latest_by)) }}

),

{{ src.name }}__staged as (

    select
        '{{ src.name }}' as source,
        {{ staging_key(src) }} as staging_key,
        _record_id as source_record_id,
        {{ src.trust_rank }} as trust_rank,
        {{ identity_attributes(src) }},
        nullif(upper(trim({{ measure(src, 'country_code') }})), '') as country_code,
        {{ measure(src, 'marketing_consent', 'boolean') }} as has_marketing_consent,
        coalesce({{ measure(src, 'first_seen_at', 'timestamp') }}, {{ measure(src, 'observed_at', 'timestamp') }})
            as first_seen_at,
        coalesce({{ measure(src, 'observed_at', 'timestamp') }}, cast(_ingest_date as timestamp)) as observed_at,
        _known_keys as identity_keys,
        {{ lineage_columns() }}
    from {{ src.name }}__latest

),
{% endfor %}
final as (

    {% for src in sources -%}
    select * from {{ src.name }}__staged
    {% if not loop.last %}union all by name
    {% endif %}
    {%- endfor %}

)

select * from final
{%- endif %}
