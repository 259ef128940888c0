"""retentionkit.clv.models."""
