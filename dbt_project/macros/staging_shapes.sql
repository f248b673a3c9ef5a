{#- The canonical shape of each entity's staging model, for the typed empty result a model
    returns when no active source has its entity (downstream models still build, with no rows). -#}

{% macro _identity_shape() -%}
    {%- set columns = [] -%}
    {%- for type, form, sql_type in identity_attribute_columns() -%}
        {%- do columns.append((identifier_column_name(type, form), sql_type)) -%}
    {%- endfor -%}
    {%- do columns.append(('identity_keys', 'struct(key_type varchar, key_value varchar, per_record varchar, is_own_id boolean)[]')) -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro _lineage_shape() -%}
    {{ return([('_ingest_date', 'date'), ('_run_id', 'varchar'), ('_source_file', 'varchar')]) }}
{%- endmacro %}

{% macro customer_record_columns() -%}
    {{ return([
        ('source', 'varchar'), ('staging_key', 'varchar'), ('source_record_id', 'varchar'), ('trust_rank', 'integer'),
        ('country_code', 'varchar'), ('has_marketing_consent', 'boolean'),
        ('first_seen_at', 'timestamp'), ('observed_at', 'timestamp'),
    ] + _identity_shape() + _lineage_shape()) }}
{%- endmacro %}

{% macro order_line_columns() -%}
    {{ return([
        ('source', 'varchar'), ('channel', 'varchar'), ('staging_key', 'varchar'), ('source_record_id', 'varchar'),
        ('trust_rank', 'integer'), ('order_id', 'varchar'), ('line_number', 'integer'), ('ordered_at', 'timestamp'),
        ('order_status', 'varchar'), ('is_cancelled', 'boolean'), ('is_returned', 'boolean'), ('sku', 'varchar'),
        ('category', 'varchar'), ('quantity', 'integer'), ('unit_price', 'double'), ('currency', 'varchar'),
        ('line_amount', 'double'), ('is_merchandise', 'boolean'), ('order_source', 'varchar'),
        ('order_line_id', 'varchar'),
    ] + _identity_shape() + _lineage_shape()) }}
{%- endmacro %}

{% macro order_columns() -%}
    {{ return([
        ('source', 'varchar'), ('channel', 'varchar'), ('staging_key', 'varchar'), ('source_record_id', 'varchar'),
        ('trust_rank', 'integer'), ('order_id', 'varchar'), ('ordered_at', 'timestamp'), ('order_status', 'varchar'),
        ('is_cancelled', 'boolean'), ('is_returned', 'boolean'), ('currency', 'varchar'), ('net_amount', 'double'),
        ('payments_source', 'varchar'), ('lines_source', 'varchar'),
    ] + _identity_shape() + _lineage_shape()) }}
{%- endmacro %}

{% macro payment_columns() -%}
    {{ return([
        ('source', 'varchar'), ('staging_key', 'varchar'), ('order_id', 'varchar'), ('amount', 'double'),
        ('paid_at', 'timestamp'), ('payment_method', 'varchar'),
    ] + _lineage_shape()) }}
{%- endmacro %}

{#- Order cancelled / returned: the source's flag when it maps one, else its status. -#}
{% macro order_flag(src, flag, statuses) -%}
    {%- if measure_column(src, flag) -%}
        coalesce({{ measure(src, flag, 'boolean') }}, false)
    {%- elif measure_column(src, 'order_status') -%}
        coalesce(lower(trim({{ measure(src, 'order_status') }})) in ('{{ statuses | join("', '") }}'), false)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- The order source naming an order-line source as its `lines`, or none. -#}
{% macro order_source_of_lines(src) -%}
    {%- for order in cdp_sources('order') if order.relations.get('lines') == src.name -%}
        {{ return(order.name) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{% macro web_event_columns() -%}
    {{ return([
        ('source', 'varchar'), ('staging_key', 'varchar'), ('source_record_id', 'varchar'), ('trust_rank', 'integer'),
        ('event_id', 'varchar'), ('occurred_at', 'timestamp'), ('session_id', 'varchar'), ('event_type', 'varchar'),
        ('sku', 'varchar'),
    ] + _identity_shape() + _lineage_shape()) }}
{%- endmacro %}

{% macro email_event_columns() -%}
    {{ return([
        ('source', 'varchar'), ('staging_key', 'varchar'), ('source_record_id', 'varchar'), ('trust_rank', 'integer'),
        ('event_id', 'varchar'), ('occurred_at', 'timestamp'), ('event_type', 'varchar'), ('campaign_id', 'varchar'),
    ] + _identity_shape() + _lineage_shape()) }}
{%- endmacro %}

{#- `group` is a reserved word in SQL: always quoted. -#}
{% macro campaign_member_columns() -%}
    {{ return([
        ('source', 'varchar'), ('staging_key', 'varchar'), ('source_record_id', 'varchar'), ('trust_rank', 'integer'),
        ('campaign_id', 'varchar'), ('campaign_name', 'varchar'), ('channel', 'varchar'), ('group', 'varchar'),
        ('assigned_at', 'timestamp'),
    ] + _identity_shape() + _lineage_shape()) }}
{%- endmacro %}

{% macro enrichment_columns() -%}
    {{ return([
        ('source', 'varchar'), ('staging_key', 'varchar'), ('trust_rank', 'integer'), ('match_key_type', 'varchar'),
        ('match_key', 'varchar'), ('age_band', 'varchar'), ('income_band', 'varchar'), ('household_size', 'integer'),
        ('has_children', 'boolean'), ('region_type', 'varchar'),
    ] + _lineage_shape()) }}
{%- endmacro %}

{#- Helpers for the per-source CTEs. -#}
{% macro quoted(columns) -%}
    {%- set out = [] -%}
    {%- for column in columns -%}{%- do out.append('"' ~ column ~ '"') -%}{%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro quoted_desc(column) -%}
    {{ return('"' ~ column ~ '" desc nulls last' if column else '') }}
{%- endmacro %}

{#- One staging row per source and natural key: the key every staging model is unique on. -#}
{% macro staging_key(src) -%}
    '{{ src.name }}:' || concat_ws('|'{% for column in src.natural_key %}, cast("{{ column }}" as varchar){% endfor %})
{%- endmacro %}
