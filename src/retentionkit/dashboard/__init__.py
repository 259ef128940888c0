"""retentionkit.dashboard."""
