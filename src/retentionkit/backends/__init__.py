"""retentionkit.backends."""
