-- One row per web event of every active `web_event` source: the latest version of each
-- natural key delivered on or before the logical date, in the registry's canonical shape.
-- The identity record of an event is its browser (cookie) as the contract's record_id says.
{%- set sources = cdp_sources('web_event') %}
{%- if sources | length == 0 %}
{{ no_rows_of(web_event_columns()) }}
{%- else %}
with
{% for src in sources %}
{{ src.name }}__latest as (

    select * from {{ source_rows(src) }}
    where {{ delivered_by_logical_date('_ingest_date') }}
    {{ latest_version_of(quoted(src.natural_key), quoted_desc(src.latest_by)) }}

),

{{ src.name }}__staged as (

    select
        '{{ src.name }}' as source,
        {{ staging_key(src) }} as staging_key,
        {{ record_id(src) }} as source_record_id,
        {{ src.trust_rank }} as trust_rank,
        {{ measure(src, 'event_id') }} as event_id,
        {{ measure(src, 'occurred_at', 'timestamp') }} as occurred_at,
        {{ measure(src, 'session_id') }} as session_id,
        lower({{ measure(src, 'event_type') }}) as event_type,
        {{ measure(src, 'sku') }} as sku,
        {{ identity_attributes(src) }},
        {{ identity_keys(src) }} as identity_keys,
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
