{#- The RFM score map: segment name per (r_score, fm_score) with
    fm_score = ceil((f_score + m_score) / 2), so frequency and spend weigh equally.
    Rows are recency (5 = bought most recently), columns fm 1..5 (5 = buys most, spends most):

    | r \ fm | 1              | 2                  | 3                  | 4         | 5                |
    | 5      | New            | Potential Loyalist | Potential Loyalist | Champions | Champions        |
    | 4      | Promising      | Potential Loyalist | Potential Loyalist | Loyal     | Loyal            |
    | 3      | About to Sleep | About to Sleep     | Need Attention     | Loyal     | Loyal            |
    | 2      | Hibernating    | Hibernating        | At Risk            | At Risk   | Cannot Lose Them |
    | 1      | Lost           | Hibernating        | At Risk            | At Risk   | Cannot Lose Them |
-#}
{% macro rfm_segment_grid() -%}
    {{ return({
        5: ['New', 'Potential Loyalist', 'Potential Loyalist', 'Champions', 'Champions'],
        4: ['Promising', 'Potential Loyalist', 'Potential Loyalist', 'Loyal', 'Loyal'],
        3: ['About to Sleep', 'About to Sleep', 'Need Attention', 'Loyal', 'Loyal'],
        2: ['Hibernating', 'Hibernating', 'At Risk', 'At Risk', 'Cannot Lose Them'],
        1: ['Lost', 'Hibernating', 'At Risk', 'At Risk', 'Cannot Lose Them'],
    }) }}
{%- endmacro %}

{% macro fm_score(f_score, m_score) -%}
    (({{ f_score }} + {{ m_score }} + 1) // 2)
{%- endmacro %}

{#- SQL case naming the segment of scores r_score, fm_score (integers 1..5). -#}
{% macro rfm_segment(r_score, fm_score) -%}
    case
    {%- for r, row in rfm_segment_grid().items() %}
        {%- for segment in row %}
        when {{ r_score }} = {{ r }} and {{ fm_score }} = {{ loop.index }} then '{{ segment }}'
        {%- endfor %}
    {%- endfor %}
    end
{%- endmacro %}
