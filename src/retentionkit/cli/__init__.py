"""retentionkit.cli."""
