"""glance_lite: an image service that behaves like OpenStack Glance (api + registry)."""
