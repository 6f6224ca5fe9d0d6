"""consistency-dashboard: snapshot consistency for OpenStack, as a Horizon plugin."""
