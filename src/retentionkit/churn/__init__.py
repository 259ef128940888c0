"""retentionkit.churn."""
