"""retentionkit.cohorts."""
