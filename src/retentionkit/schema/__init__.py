"""retentionkit.schema."""
