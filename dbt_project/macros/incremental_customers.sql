{#- Customer-level incremental models: one row per unified customer, recomputed only for the
    customers whose inputs changed since the table was last built.

    A model's output row for a customer is a function of that customer's input rows (the
    records, orders, lines or events it aggregates, with any flag that depends on the logical
    date, such as `is_in_window`) and of a few values shared by everyone (a main channel, the
    model's own definition). Each row keeps `_input_fingerprint`: the sum of a 64-bit hash of
    every input row, with the shared values and `definition_key()` hashed into each one. A
    build then:
      1. computes every customer's fingerprint (one scan of the inputs, no sorting);
      2. recomputes the customers whose fingerprint is new or differs from the stored one: new
         facts, edited records, records moved by identity resolution, orders or events
         crossing the window's edge as the date moves, or a new shared value or definition
         (every customer);
      3. writes a tombstone for each stored customer that has no inputs any more (merged away,
         erased), which the post-hook `delete_customer_tombstones()` removes.
    `delete+insert` on `unified_customer_id` replaces the recomputed rows; the others are kept.
    So the table equals a full refresh (tests/dbt/test_incremental.py), whatever happened
    since the last build: a new night, a re-run, a backfill to an earlier date, a re-ingest.
    `_built_in` is the dbt invocation that last computed the row (how many a night touched). -#}

{#- Config of a customer-level incremental model. -#}
{% macro customer_incremental_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='unified_customer_id',
        on_schema_change='sync_all_columns',
        pre_hook="{{ reset_customer_rows_without_fingerprints() }}",
        post_hook="{{ delete_customer_tombstones() }}"
    ) }}
{%- endmacro %}

{#- A literal that changes when the model's code or the given settings change: hashed into
    every fingerprint, so a new definition recomputes every customer. -#}
{% macro definition_key(settings=[]) -%}
    '{{ local_md5(model.raw_code ~ tojson(settings)) }}'
{%- endmacro %}

{#- Per customer: the fingerprint of its input rows. `columns` are the expressions the model
    reads from `inputs` (a CTE name); `shared` are SQL expressions everyone depends on. -#}
{% macro customer_fingerprints(inputs, columns, shared=[], settings=[]) -%}
    select
        unified_customer_id,
        sum(hash({{ (columns + shared) | join(', ') }}, {{ definition_key(settings) }})) as _input_fingerprint
    from {{ inputs }}
    group by unified_customer_id
{%- endmacro %}

{#- An incremental run of the model (never inside a unit test, which has no stored table). -#}
{% macro _customer_rows_stored() -%}
    {%- if this is none or not is_incremental() or not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{- return('_input_fingerprint' in columns) -}}
{%- endmacro %}

{#- Pre-hook: a table built before it was incremental (no fingerprints) is emptied, so this
    build recomputes every customer into it. -#}
{% macro reset_customer_rows_without_fingerprints() -%}
    {%- if this is not none and is_incremental() and not _customer_rows_stored() -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The customers to recompute: every one on a full build, else those whose fingerprint is
    new or changed. -#}
{% macro changed_customers(fingerprints) -%}
    select fingerprints.unified_customer_id, fingerprints._input_fingerprint
    from {{ fingerprints }} as fingerprints
    {%- if _customer_rows_stored() %}
    anti join {{ this }} as built
        on built.unified_customer_id = fingerprints.unified_customer_id
        and built._input_fingerprint = fingerprints._input_fingerprint
    {%- endif %}
{%- endmacro %}

{#- Appended to the model's final select: tombstones of stored customers without inputs. -#}
{% macro customer_tombstones(fingerprints) -%}
    {%- if _customer_rows_stored() %}
    union all by name
    select built.* replace (cast(null as hugeint) as _input_fingerprint)
    from {{ this }} as built
    anti join {{ fingerprints }} as fingerprints
        on built.unified_customer_id = fingerprints.unified_customer_id
    {%- endif %}
{%- endmacro %}

{#- The bookkeeping columns of a recomputed row. -#}
{% macro customer_row_provenance(changed) -%}
    {{ changed }}._input_fingerprint,
    '{{ invocation_id }}' as _built_in
{%- endmacro %}

{#- Post-hook: remove the tombstones (rows of customers who have no inputs any more). -#}
{% macro delete_customer_tombstones() -%}
    delete from {{ this }} where _input_fingerprint is null
{%- endmacro %}
