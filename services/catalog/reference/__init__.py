"""The unit directory the catalog ships with (units.csv: the region's departments and cities)."""
