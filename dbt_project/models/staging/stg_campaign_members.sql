-- One row per member of a campaign audience of every active `campaign_member` source: the
-- latest version of each natural key delivered on or before the logical date, in the
-- registry's canonical shape. The identity record is the contract's record_id (the email
-- tool's subscriber); `group` (quoted: a reserved word) is lower-cased, and ingestion has
-- already quarantined any group other than treatment or holdout.
{%- set sources = cdp_sources('campaign_member') %}
{%- if sources | length == 0 %}
{{ no_rows_of(campaign_member_columns()) }}
{%- else %}
with
{% for src in sources %}
{{ src.name }}__latest as (

    select * from {{ source_rows(src) }}
    where {{ delivered_by_logical_date() }}
    {{ latest_version_of(quoted(src.natural_key), quoted_desc(src.latest_by)) }}

),

{{ src.name }}__staged as (

    select
        '{{ src.name }}' as source,
        {{ staging_key(src) }} as staging_key,
        {{ record_id(src) }} as source_record_id,
        {{ src.trust_rank }} as trust_rank,
        {{ measure(src, 'campaign_id') }} as campaign_id,
        {{ measure(src, 'campaign_name') }} as campaign_name,
        lower({{ measure(src, 'channel') }}) as channel,
        lower(trim({{ measure(src, 'group') }})) as "group",
        {{ measure(src, 'assigned_at', 'timestamp') }} as assigned_at,
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
