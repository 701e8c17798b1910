"""scorecause.bench"""
