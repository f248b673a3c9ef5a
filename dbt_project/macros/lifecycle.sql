{#- Lifecycle stages of marts.customer_lifecycle, in rank order (lifecycle_stage_rank 1..6). The
    rule that assigns them (first match wins) is in the model: anonymous, prospect, lapsed, new,
    at_risk, active. -#}
{% macro lifecycle_stages() -%}
    {{ return(['anonymous', 'prospect', 'new', 'active', 'at_risk', 'lapsed']) }}
{%- endmacro %}

{#- SQL case: the rank (1..6) of a lifecycle stage column, in lifecycle_stages() order. -#}
{% macro lifecycle_stage_rank(stage) -%}
    case {{ stage }}
    {%- for name in lifecycle_stages() %}
        when '{{ name }}' then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}

{#- A lifecycle threshold from the vars (dbt_project.yml, overridden by `--vars`): a positive
    number, or a positive integer when `integer`. A typo fails the compile, not the stages. -#}
{% macro lifecycle_threshold(name, integer=true) -%}
    {%- set value = var(name) | string | trim -%}
    {%- set pattern = '^\d+$' if integer else '^\d+(\.\d+)?$' -%}
    {%- if not modules.re.match(pattern, value) or value | float <= 0 -%}
        {{ exceptions.raise_compiler_error(
            name ~ " must be a positive " ~ ("integer" if integer else "number") ~ ", got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ value }}
{%- endmacro %}
