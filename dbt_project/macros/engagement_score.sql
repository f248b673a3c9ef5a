{#- Engagement score 0..100: a weighted sum of six signals, each scaled to 0..1 and capped.
    | signal                      | scaled as                          | weight |
    | sessions in window          | min(sessions / 10, 1)              | 25     |
    | product views in window     | min(product_views / 20, 1)         | 15     |
    | add-to-carts in window      | min(add_to_carts / 5, 1)           | 15     |
    | email open rate             | rate (0..1)                        | 15     |
    | email click rate            | rate (0..1)                        | 15     |
    | engagement recency          | max(0, 1 - days / window_days)     | 15     | -#}
{#- Only the signals an active source stands behind count (`feature_present`), their weights
    scaled up to 100; null when no web or email source is active. -#}
{% macro engagement_score(sessions, product_views, add_to_carts, open_rate, click_rate, days_since) -%}
    {%- set terms = [] -%}
    {%- set signals = [
        ('sessions', 25, 'least(' ~ sessions ~ ' / 10.0, 1.0)'),
        ('product_views', 15, 'least(' ~ product_views ~ ' / 20.0, 1.0)'),
        ('add_to_carts', 15, 'least(' ~ add_to_carts ~ ' / 5.0, 1.0)'),
        ('email_open_rate', 15, open_rate),
        ('email_click_rate', 15, click_rate),
        ('days_since_last_engagement', 15, 'greatest(1.0 - ' ~ days_since ~ ' / ' ~ rfm_window_days() ~ '.0, 0.0)'),
    ] -%}
    {%- for column, weight, scaled in signals if feature_present(column) -%}
        {%- do terms.append((weight, scaled)) -%}
    {%- endfor -%}
    {%- if not feature_present('engagement_score') or terms | length == 0 -%}
        cast(null as double)
    {%- else -%}
        {%- set total = terms | sum(attribute=0) -%}
        round(
            ({% for weight, scaled in terms %}{{ weight }} * {{ scaled }}{% if not loop.last %} + {% endif %}{% endfor %})
            * 100.0 / {{ total }},
            2
        )
    {%- endif -%}
{%- endmacro %}
