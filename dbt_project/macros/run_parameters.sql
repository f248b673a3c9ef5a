{#- The run's parameters. A `--vars` value wins, then the environment, then the default. -#}

{% macro logical_date() -%}
    {%- set value = var('logical_date', env_var('CDP_LOGICAL_DATE', '2026-06-30')) | string -%}
    {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value | trim) -%}
        {{ exceptions.raise_compiler_error("logical_date must be YYYY-MM-DD, got '" ~ value ~ "'") }}
    {%- endif -%}
    date '{{ value | trim }}'
{%- endmacro %}

{% macro rfm_window_days() -%}
    {%- set value = var('rfm_window_days', env_var('CDP_RFM_WINDOW_DAYS', '365')) | string | trim -%}
    {%- if not value.isdigit() or value | int <= 0 -%}
        {{ exceptions.raise_compiler_error("rfm_window_days must be a positive integer, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ value | int }}
{%- endmacro %}

{#- First day of the RFM / activity window: the window is (logical_date - days, logical_date]. -#}
{% macro window_start_date() -%}
    ({{ logical_date() }} - {{ rfm_window_days() }} + 1)
{%- endmacro %}
