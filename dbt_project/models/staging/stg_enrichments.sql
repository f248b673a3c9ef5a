-- One row per enrichment profile (bought-in attributes) of every active `enrichment`
-- source: the latest version of each natural key delivered on or before the logical date.
-- `match_key_type` names the identity-record column the profile joins on (e.g. the
-- unsalted email SHA-256 a vendor keys on), `match_key` holds its value.
{%- set sources = cdp_sources('enrichment') %}
{%- if sources | length == 0 %}
{{ no_rows_of(enrichment_columns()) }}
{%- else %}
with
{% for src in sources %}
{%- set key = src.identifiers[0] %}
{{ src.name }}__latest as (

    select * from {{ source_rows(src) }}
    where {{ delivered_by_logical_date() }}
    {{ latest_version_of(quoted(src.natural_key), quoted_desc(src.latest_by)) }}

),

{{ src.name }}__staged as (

    select
        '{{ src.name }}' as source,
        {{ staging_key(src) }} as staging_key,
        {{ src.trust_rank }} as trust_rank,
        '{{ identifier_column_name(key.type, key.form) }}' as match_key_type,
        {{ normalized_identifier(key.type, key.column, key.form) }} as match_key,
        {{ measure(src, 'age_band') }} as age_band,
        lower({{ measure(src, 'income_band') }}) as income_band,
        {{ measure(src, 'household_size', 'integer') }} as household_size,
        {{ measure(src, 'has_children', 'boolean') }} as has_children,
        lower({{ measure(src, 'region_type') }}) as region_type,
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
