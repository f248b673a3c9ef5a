"""Activation: audiences as code, consented exports, holdouts, measured lift, next best action.

catalog         the per-customer columns rules may test, typed from the warehouse
conditions      rule parsing, checking and compilation to SQL with bound values
audiences       audience files (`CDP_AUDIENCES_DIR/*.yml`) and their checks
"""
