{#- Staging helpers shared by every silver source. -#}

{#- Rows delivered on or before the run's logical date (partition pruning on ingest_date). -#}
{% macro delivered_by_logical_date(column='ingest_date') -%}
    cast({{ column }} as date) <= {{ logical_date() }}
{%- endmacro %}

{#- Silver is deduplicated only within an ingest date: keep the latest version of each key. -#}
{% macro latest_version_of(key_columns, order_by='') -%}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {% if order_by %}{{ order_by }}, {% endif %}_ingest_date desc, _ingested_at desc, _source_file desc
    ) = 1
{%- endmacro %}

{#- Lineage columns carried by every staging model. -#}
{% macro lineage_columns() -%}
    cast(_ingest_date as date) as _ingest_date,
    cast(_run_id as varchar) as _run_id,
    cast(_source_file as varchar) as _source_file
{%- endmacro %}
