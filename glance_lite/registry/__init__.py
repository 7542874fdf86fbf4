"""glance-registry: the REST app over image records (``api``) and the client glance-api
uses to reach it (``client``)."""
