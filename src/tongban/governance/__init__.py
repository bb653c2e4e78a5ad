"""Data governance: quality rules and scores, conflicts between departments, corrections (纠错)."""
