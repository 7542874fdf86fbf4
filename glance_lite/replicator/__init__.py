"""glance-replicator: copy images, with their ids, metadata and data, from one
deployment to another (cli.md §7).

``endpoint`` reaches one API server; ``images_v1`` and ``images_v2`` speak each Images
API version over it with one interface; ``transfer`` checks data on its way;
``commands`` holds size, compare, dump, load and livecopy.
"""
import collections

# One field on which a target's image differs from the source's (``source`` and
# ``target`` are the two values; None for an absent one).
Difference = collections.namedtuple('Difference', 'field source target')
