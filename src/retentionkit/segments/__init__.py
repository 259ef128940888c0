"""retentionkit.segments."""
