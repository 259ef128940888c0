"""retentionkit.generate."""
