"""Customer segmentation: select, train, register (MLflow), name personas and score.

`candidates` and `pipeline` build the clusterers and the logged pipeline, `selection`
picks one by a fixed rule, `personas` names segments and keeps their ids stable,
`promotion_rule` says when a challenger replaces the champion, `training` logs and
registers, `scoring` writes `marts.customer_segments` and `marts.segment_history`,
`reports` draws the training artifacts, `registered_model` names the MLflow model.
"""
