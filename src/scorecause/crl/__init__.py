"""scorecause.crl"""
