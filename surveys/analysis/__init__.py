"""Statistics for survey measures: pure functions over counts, with no Django import.

Selectors aggregate in the database and hand these functions plain numbers.
"""
