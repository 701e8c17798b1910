"""scorecause.scores"""
