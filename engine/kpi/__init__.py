"""The KPI library: every inventory and departmental KPI of the seeds, computed from raw facts."""
