"""Bookkeeping drivers of the image cache, picked by ``image_cache_driver``."""
