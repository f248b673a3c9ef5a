{#- Engagement score 0..100: a weighted sum of six signals, each scaled to 0..1 and capped.
    | signal                      | scaled as                          | weight |
    | sessions in window          | min(sessions / 10, 1)              | 25     |
    | product views in window     | min(product_views / 20, 1)         | 15     |
    | add-to-carts in window      | min(add_to_carts / 5, 1)           | 15     |
    | email open rate             | rate (0..1)                        | 15     |
    | email click rate            | rate (0..1)                        | 15     |
    | engagement recency          | max(0, 1 - days / window_days)     | 15     | -#}
{% macro engagement_score(sessions, product_views, add_to_carts, open_rate, click_rate, days_since) -%}
    round(
        25 * least({{ sessions }} / 10.0, 1.0)
        + 15 * least({{ product_views }} / 20.0, 1.0)
        + 15 * least({{ add_to_carts }} / 5.0, 1.0)
        + 15 * {{ open_rate }}
        + 15 * {{ click_rate }}
        + 15 * greatest(1.0 - {{ days_since }} / {{ rfm_window_days() }}.0, 0.0),
        2
    )
{%- endmacro %}
