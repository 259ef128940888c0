"""retentionkit.clv."""
