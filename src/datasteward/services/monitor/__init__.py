"""The monitor service: metric history, anomaly detection, schema changes and drift."""
