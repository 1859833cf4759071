"""Reference data shipped with the service (the license-type list)."""
