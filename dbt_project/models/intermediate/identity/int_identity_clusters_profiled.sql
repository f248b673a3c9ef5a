-- One contact profile per deterministic cluster, the input of probabilistic matching: every
-- cluster with a usable email or any matching attribute (a member file's contact with no
-- email or phone takes part through its names, birth date and address). Over-merge key
-- values (a family mailbox) are blanked so they cannot link anything here either; the
-- email's local part is reduced to letters and digits (anna.smith12 and anna_smith12 compare
-- equal); names, city and street are lower-cased, postcodes lose their spaces. The customer
-- record sources of a cluster feed the over-merge guard of the linking step. A cluster is known
-- across nights by its cluster_key (its smallest record key); profile_hash is what the linking
-- step sees of it, so a night re-links only the profiles that changed (identity_increment).
with

identity_records as (

    select * from {{ ref('int_identity_records_unioned') }}

),

clustered_records as (

    select * from {{ ref('int_identity_records_clustered') }}

),

overmerge_keys as (

    select * from {{ ref('int_identity_overmerge_keys') }}

),

records as (

    select
        clustered_records.deterministic_cluster_id,
        identity_records.*,
        overmerge_keys.key_value is null as is_usable_email
    from identity_records
    inner join clustered_records
        on identity_records.record_index = clustered_records.record_index
    left join overmerge_keys
        on overmerge_keys.key_type = 'email'
        and identity_records.email = overmerge_keys.key_value

),

profiles as (

    select
        deterministic_cluster_id,
        min(record_key) as cluster_key,
        coalesce(
            array_agg(distinct source order by source) filter (where entity = 'customer_record'),
            cast([] as varchar[])
        ) as customer_record_sources,
        first(email order by source_priority, observed_at desc nulls last, record_key)
            filter (where email is not null and is_usable_email) as email,
        first(lower(first_name) order by observed_at desc nulls last, record_key)
            filter (where first_name is not null) as first_name,
        first(lower(last_name) order by observed_at desc nulls last, record_key)
            filter (where last_name is not null) as last_name,
        first(birth_date order by observed_at desc nulls last, record_key)
            filter (where birth_date is not null) as birth_date,
        first(replace(upper(postcode), ' ', '') order by source_priority, observed_at desc nulls last, record_key)
            filter (where postcode is not null) as postcode,
        first(lower(city) order by source_priority, observed_at desc nulls last, record_key)
            filter (where city is not null) as city,
        first(lower(street_address) order by source_priority, observed_at desc nulls last, record_key)
            filter (where street_address is not null) as street_address
    from records
    group by deterministic_cluster_id

),

profiled as (

    select
        deterministic_cluster_id,
        cluster_key,
        customer_record_sources,
        email,
        nullif(regexp_replace(split_part(email, '@', 1), '[^a-z0-9]', '', 'g'), '') as email_local,
        nullif(split_part(email, '@', 2), '') as email_domain,
        first_name,
        last_name,
        birth_date,
        postcode,
        city,
        street_address
    from profiles
    where
        email is not null
        or first_name is not null
        or last_name is not null
        or birth_date is not null
        or postcode is not null
        or street_address is not null

),

final as (

    select
        *,
        md5(cast(row(
            customer_record_sources, email, first_name, last_name, birth_date, postcode, city, street_address
        ) as varchar)) as profile_hash
    from profiled

)

select * from final
