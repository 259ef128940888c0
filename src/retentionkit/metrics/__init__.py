"""retentionkit.metrics."""
