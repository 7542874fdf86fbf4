"""Images API v2: JSON translations of the image rules in glance_lite.images."""
