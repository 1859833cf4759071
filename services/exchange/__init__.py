"""gov-hub exchange service:

Data-sharing exchange: access requests with working-day deadlines, quality disputes, and a call gateway.
"""
