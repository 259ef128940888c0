"""retentionkit.api."""
