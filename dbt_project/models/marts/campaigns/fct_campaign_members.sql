-- One row per campaign and unified customer (contract): who was in a campaign's audience, in
-- the treatment or the holdout group, from every active `campaign_member` source, on the
-- unified customer of the member's identity record, up to the logical date. A customer listed
-- more than once in one campaign (two records of the same person, or a re-listing) is one row,
-- the earliest listing: earliest assigned_at and, at the same instant, treatment before
-- holdout (a treatment listing means the message went out); listing_count says how many
-- listings the row stands for. A listing whose record carries no usable identifier (no valid
-- email, no customer id) resolves to no customer and is left out.
with

campaign_members as (

    select * from {{ ref('stg_campaign_members') }}

),

customer_records as (

    select * from {{ ref('int_identity_records_anchored_to_customers') }}

),

listings as (

    select
        campaign_members.campaign_id,
        campaign_members.campaign_name,
        campaign_members.channel,
        customer_records.unified_customer_id,
        campaign_members."group",
        campaign_members.assigned_at,
        campaign_members.source,
        campaign_members.source_record_id
    from campaign_members
    inner join customer_records
        on campaign_members.source = customer_records.source
        and campaign_members.source_record_id = customer_records.source_record_id
    where cast(campaign_members.assigned_at as date) <= {{ logical_date() }}

),

earliest_listings as (

    select
        *,
        count(*) over (partition by campaign_id, unified_customer_id) as listing_count
    from listings
    qualify row_number() over (
        partition by campaign_id, unified_customer_id
        order by assigned_at, "group" = 'holdout', source, source_record_id
    ) = 1

),

final as (

    select
        campaign_id,
        campaign_name,
        channel,
        unified_customer_id,
        "group",
        "group" = 'holdout' as is_holdout,
        assigned_at,
        cast(assigned_at as date) as assigned_date,
        cast(listing_count as integer) as listing_count
    from earliest_listings

)

select * from final
