{#- Incremental copies of silver fact tables (the `base_*_deliveries` models).

    A delivery model keeps every silver row it has loaded, one partition per `_ingest_date`,
    including dates later than the current logical date (after a backfill), because the
    staging model above it filters `_ingest_date <= logical_date` and picks the latest
    version of each key. Each incremental run:
      1. deletes the loaded ingest dates (up to the logical date) that silver no longer has
         (pre-hook `delete_withdrawn_deliveries`);
      2. loads the silver ingest dates (up to the logical date) whose fingerprint -
         (row count, latest `_ingested_at`) - differs from the loaded copy: new dates, and
         dates Spark re-ingested (a re-run, a late correction, an erasure);
      3. replaces those dates with `delete+insert` on `_ingest_date`.
    So re-running a date with unchanged silver changes nothing, a backfill loads nothing it
    should not see, and `--full-refresh` rebuilds from every delivered partition. -#}

{#- Fingerprint per ingest date: a re-ingested partition has a new `_ingested_at`. -#}
{% macro _delivery_fingerprints(relation, date_column, upto) -%}
    select
        cast({{ date_column }} as date) as ingest_date,
        count(*) as row_count,
        max(_ingested_at) as last_ingested_at
    from {{ relation }}
    where cast({{ date_column }} as date) <= {{ upto }}
    group by 1
{%- endmacro %}

{#- Filter on the silver partition column: every delivered date on a full build, only the
    new or re-ingested dates on an incremental run (literal dates, so DuckDB prunes files). -#}
{% macro deliveries_to_load(source_relation) -%}
    {%- if not is_incremental() -%}
        {{ delivered_by_logical_date() }}
    {%- elif not execute -%}
        false
    {%- else -%}
        {%- set changed_sql -%}
            select strftime(ingest_date, '%Y-%m-%d') as ingest_date from (
                {{ _delivery_fingerprints(source_relation, 'ingest_date', logical_date()) }}
                except
                {{ _delivery_fingerprints(this, '_ingest_date', logical_date()) }}
            )
            order by 1
        {%- endset -%}
        {%- set dates = run_query(changed_sql).columns[0].values() -%}
        {%- if dates | length == 0 -%}
            false
        {%- else -%}
            cast(ingest_date as date) in ({% for d in dates %}date '{{ d }}'{{ ", " if not loop.last }}{% endfor %})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: drop loaded ingest dates (up to the logical date) that are gone from silver. -#}
{% macro delete_withdrawn_deliveries(source_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where _ingest_date <= {{ logical_date() }}
            and _ingest_date not in (
                select distinct cast(ingest_date as date) from {{ source_relation }}
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The body of a delivery model: the silver partitions to load, `_ingest_date` typed from
    the partition value (what delete+insert keys on). -#}
{% macro silver_deliveries(source_relation) -%}
with

source as (

    select * from {{ source_relation }}

),

deliveries as (

    select * from source
    where {{ deliveries_to_load(source_relation) }}

),

final as (

    select
        * exclude (ingest_date, _ingest_date),
        cast(ingest_date as date) as _ingest_date
    from deliveries

)

select * from final
{%- endmacro %}
