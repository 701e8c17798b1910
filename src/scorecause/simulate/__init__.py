"""scorecause.simulate"""
