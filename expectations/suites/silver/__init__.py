"""Silver suites: one per active source, derived from its contract (`rules`, `suite`), plus
optional extras declared beside the contract (`extras`), history checks (`drift`) and the
cross-source reconciliation of the ingestion manifests (`ingestion`).
"""
