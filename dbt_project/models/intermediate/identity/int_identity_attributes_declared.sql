-- The identifier roles the active sources offer to probabilistic matching: one row per
-- identifier type declared `match: probabilistic` or `both` (raw form) by at least one active
-- source, with how many sources and which. The probabilistic step builds its comparisons and
-- blocking rules from this list, so a deployment's own person files need no code.
{%- set declared = {} %}
{%- for src in cdp_sources() %}
    {%- for identifier in src.identifiers
        if identifier.form == 'raw' and identifier.match in ['probabilistic', 'both'] %}
        {%- set names = declared.setdefault(identifier.type, []) %}
        {%- if src.name not in names %}{% do names.append(src.name) %}{% endif %}
    {%- endfor %}
{%- endfor %}
with

final as (

    {%- if declared %}
    select *
    from (
        values
        {%- for type in declared | sort %}
        ('{{ type }}', {{ declared[type] | length }}, '{{ declared[type] | join(",") }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as declared (identifier_type, source_count, sources)
    {%- else %}
    {{ no_rows_of([('identifier_type', 'varchar'), ('source_count', 'integer'), ('sources', 'varchar')]) }}
    {%- endif %}

)

select * from final
