{#- The source registry (customer_platform.dbt_registry) as dbt sees it.

    `CDP_DBT_REGISTRY` holds one JSON entry per active source: name, entity, silver table,
    natural key, latest_by, record_id, trust rank, channel, identifiers (column, type, match,
    key_space, per_record, form, hashes) and measures (role -> silver column). The platform
    passes it to every dbt invocation; the staging models loop over it, so no model names a
    source. -#}

{% macro cdp_sources(entity=none) -%}
    {%- set raw = env_var('CDP_DBT_REGISTRY', '') -%}
    {%- if not raw -%}
        {{ exceptions.raise_compiler_error(
            "CDP_DBT_REGISTRY is not set: run dbt through the platform (cdp, customer_platform.warehouse), "
            ~ "which passes the active sources of the registry") }}
    {%- endif -%}
    {%- set sources = fromjson(raw) -%}
    {%- if entity is none -%}
        {{ return(sources) }}
    {%- endif -%}
    {{ return(sources | selectattr('entity', 'equalto', entity) | list) }}
{%- endmacro %}

{#- The silver rows of a source: its incremental delivery copy for facts, else silver itself. -#}
{% macro source_rows(src) -%}
    {%- if src.relation -%}{{ ref(src.relation) }}{%- else -%}{{ source('silver', src.table) }}{%- endif -%}
{%- endmacro %}

{#- The silver column mapped to a measure role, or none. -#}
{% macro measure_column(src, role) -%}
    {{ return(src.measures.get(role)) }}
{%- endmacro %}

{#- A measure as a typed expression, or a typed null when the source does not map it. -#}
{% macro measure(src, role, type='varchar', default='null') -%}
    {%- set column = src.measures.get(role) -%}
    {%- if column -%}cast("{{ column }}" as {{ type }}){%- else -%}cast({{ default }} as {{ type }}){%- endif -%}
{%- endmacro %}

{#- Canonical warehouse column of an identifier: the type, or <type>_sha256 / <type>_hash for hashed forms. -#}
{% macro identifier_column_name(type, form='raw') -%}
    {%- if form == 'sha256' -%}{{ type }}_sha256{%- elif form == 'salted_sha256' -%}{{ type }}_hash{%- else -%}{{ type }}{%- endif -%}
{%- endmacro %}

{#- Normalized value of an identifier column: the same rules for every source. -#}
{% macro normalized_identifier(type, column, form='raw') -%}
    {%- if form != 'raw' -%}nullif(lower(trim(cast("{{ column }}" as varchar))), '')
    {%- elif type == 'email' -%}nullif(lower(trim(cast("{{ column }}" as varchar))), '')
    {%- elif type == 'loyalty_id' -%}nullif(upper(trim(cast("{{ column }}" as varchar))), '')
    {%- elif type == 'birth_date' -%}cast("{{ column }}" as date)
    {%- else -%}nullif(trim(cast("{{ column }}" as varchar)), '')
    {%- endif -%}
{%- endmacro %}

{#- The silver column holding an identifier of a type and form, or none (first declared wins;
    a hash may also be declared as the `hashes` of the raw identifier). -#}
{% macro identifier_source_column(src, type, form='raw') -%}
    {%- for identifier in src.identifiers if identifier.type == type and identifier.form == form -%}
        {{ return(identifier.column) }}
    {%- endfor -%}
    {%- if form != 'raw' -%}
        {%- for identifier in src.identifiers if identifier.type == type and identifier.form == 'raw' -%}
            {%- if identifier.hashes.get(form) -%}{{ return(identifier.hashes.get(form)) }}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- Contact and matching attributes every identity-bearing staging model carries (null when
    the source has none): the golden record and probabilistic matching read these. -#}
{% macro identity_attribute_columns() -%}
    {{ return([
        ('email', 'raw', 'varchar'), ('email', 'salted_sha256', 'varchar'), ('email', 'sha256', 'varchar'),
        ('phone', 'raw', 'varchar'), ('phone', 'salted_sha256', 'varchar'),
        ('first_name', 'raw', 'varchar'), ('last_name', 'raw', 'varchar'), ('birth_date', 'raw', 'date'),
        ('postcode', 'raw', 'varchar'), ('city', 'raw', 'varchar'), ('street_address', 'raw', 'varchar'),
        ('loyalty_id', 'raw', 'varchar'),
    ]) }}
{%- endmacro %}

{% macro identity_attributes(src) -%}
    {%- for type, form, sql_type in identity_attribute_columns() -%}
        {%- set column = identifier_source_column(src, type, form) -%}
        {%- if column -%}
            {{ normalized_identifier(type, column, form) }}
        {%- else -%}
            cast(null as {{ sql_type }})
        {%- endif %} as {{ identifier_column_name(type, form) }}{{ ",\n        " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- The deterministic keys of a row: key space, normalized value, whether a record links by
    all its values or only its most frequent one, and whether it is the record's own id. -#}
{% macro identity_keys(src) -%}
    {%- set keys = src.identifiers | selectattr('form', 'equalto', 'raw')
        | selectattr('match', 'in', ['deterministic', 'both']) | list -%}
    {%- if keys | length == 0 -%}
        cast([] as struct(key_type varchar, key_value varchar, per_record varchar, is_own_id boolean)[])
    {%- else -%}
        list_filter([
            {%- for key in keys %}
            {
                'key_type': '{{ key.key_space }}',
                'key_value': {{ normalized_identifier(key.type, key.column) }},
                'per_record': '{{ key.per_record }}',
                'is_own_id': {{ 'true' if key.column == src.record_id else 'false' }}
            }{{ "," if not loop.last }}
            {%- endfor %}
        ], lambda k: k.key_value is not null)
    {%- endif -%}
{%- endmacro %}

{#- The identity-graph record a row belongs to. -#}
{% macro record_id(src) -%}
    {%- if src.record_id -%}nullif(trim(cast("{{ src.record_id }}" as varchar)), ''){%- else -%}cast(null as varchar){%- endif -%}
{%- endmacro %}

{#- Typed empty result when no active source has the entity: downstream models still build. -#}
{% macro no_rows_of(columns) -%}
    select
        {%- for name, sql_type in columns %}
        cast(null as {{ sql_type }}) as "{{ name }}"{{ "," if not loop.last }}
        {%- endfor %}
    where false
{%- endmacro %}

{#- A feature column: `expression` cast to `type`, or a typed null when no active source stands
    behind the feature (CDP_DBT_ABSENT_FEATURES, customer_platform.feature_sources): a
    deployment without a clickstream has no sessions, not zero sessions. -#}
{% macro feature(column, expression, type) -%}
    {%- if column in fromjson(env_var('CDP_DBT_ABSENT_FEATURES', '[]')) -%}
        cast(null as {{ type }})
    {%- else -%}
        cast({{ expression }} as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- Whether a feature has a source behind it (see `feature`). -#}
{% macro feature_present(column) -%}
    {{ return(column not in fromjson(env_var('CDP_DBT_ABSENT_FEATURES', '[]'))) }}
{%- endmacro %}
