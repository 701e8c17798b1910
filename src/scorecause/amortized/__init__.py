"""scorecause.amortized"""
