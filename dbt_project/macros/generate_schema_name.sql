{#- Schemas are exactly `staging`, `intermediate`, `marts`, `pii` (not prefixed with the
    target schema), so analysts and other code can rely on the contract names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
