"""gov-hub elicense service:

E-license library: claimed types, stock declarations, pushes with verified files and seals, uses.
"""
