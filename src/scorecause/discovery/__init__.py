"""scorecause.discovery"""
