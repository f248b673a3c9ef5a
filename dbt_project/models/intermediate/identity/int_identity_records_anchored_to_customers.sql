-- Each record's unified customer (deterministic clusters joined by accepted Splink links).
-- The id is derived from the cluster's anchor, its earliest-seen record (ties broken by
-- source and record id), so a person keeps their id when new records join the cluster.
-- Each record also keeps its id before this logical date's build (from this model's previous
-- build, which dbt swaps out only after this one is written), the input of the id-changes
-- history (marts.customer_id_changes): a re-run of a date compares with the same build as
-- its first run did.
{%- set previous = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none %}
{%- set previous_columns = adapter.get_columns_in_relation(previous) | map(attribute='name') | list if previous is not none else [] %}
with

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

clustered_records as (

    select * from {{ ref('int_identity_records_clustered') }}

),

linked_clusters as (

    select * from {{ ref('int_identity_clusters_linked') }}

),

records_with_cluster as (

    select
        identity_records.record_key,
        identity_records.source,
        identity_records.source_record_id,
        identity_records.first_seen_at,
        clustered_records.deterministic_cluster_id,
        linked_clusters.cluster_id,
        linked_clusters.match_probability as probabilistic_match_probability,
        count(*) over (partition by clustered_records.deterministic_cluster_id) as deterministic_cluster_size
    from identity_records
    inner join clustered_records
        on identity_records.record_index = clustered_records.record_index
    inner join linked_clusters
        on clustered_records.deterministic_cluster_id = linked_clusters.deterministic_cluster_id

),

anchors as (

    select
        cluster_id,
        arg_min(
            {{ unified_customer_id('source', 'source_record_id') }},
            (coalesce(first_seen_at, timestamp '9999-12-31'), source, source_record_id)
        ) as unified_customer_id,
        arg_min(
            deterministic_cluster_id,
            (coalesce(first_seen_at, timestamp '9999-12-31'), source, source_record_id)
        ) as anchor_deterministic_cluster_id,
        count(*) as cluster_size
    from records_with_cluster
    group by cluster_id

),

classified as (

    select
        records_with_cluster.*,
        anchors.unified_customer_id,
        anchors.cluster_size,
        -- In a multi-record cluster, a record whose own deterministic cluster is not the
        -- anchor's (or is a lone record) joined the others only through a Splink match.
        anchors.cluster_size > 1
            and (records_with_cluster.deterministic_cluster_id <> anchors.anchor_deterministic_cluster_id
                or records_with_cluster.deterministic_cluster_size = 1) as is_probabilistic
    from records_with_cluster
    inner join anchors
        on records_with_cluster.cluster_id = anchors.cluster_id

),

previous_build as (

    {% if 'assigned_on' in previous_columns %}
    select
        record_key,
        case when assigned_on = {{ logical_date() }} then previous_unified_customer_id
            else unified_customer_id end as previous_unified_customer_id,
        case when assigned_on = {{ logical_date() }} then previous_assigned_on
            else assigned_on end as previous_assigned_on
    from {{ this }}
    {% else %}
    select
        cast(null as varchar) as record_key,
        cast(null as varchar) as previous_unified_customer_id,
        cast(null as date) as previous_assigned_on
    where false
    {% endif %}

),

final as (

    select
        classified.record_key,
        source,
        source_record_id,
        unified_customer_id,
        case
            when cluster_size = 1 then 'singleton'
            when is_probabilistic then 'probabilistic'
            else 'deterministic'
        end as match_method,
        case
            when is_probabilistic then coalesce(probabilistic_match_probability, 1.0)
            else 1.0
        end as match_probability,
        cluster_size,
        {{ logical_date() }} as assigned_on,
        previous_build.previous_unified_customer_id,
        previous_build.previous_assigned_on
    from classified
    left join previous_build
        on classified.record_key = previous_build.record_key

)

select * from final
