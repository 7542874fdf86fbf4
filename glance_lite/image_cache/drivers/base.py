"""The contract of a cache bookkeeping driver.

The cache itself (files and directories) is :class:`glance_lite.image_cache.ImageCache`;
a driver only remembers how often and how recently each cached file was read, which
is what ``glance-cache-manage list-cached`` shows and what the pruner orders by.
Bookkeeping is advisory: the files on disk are the truth, and an entry the driver has
no record of counts as never read.
"""
import abc


class BadDriverConfiguration(RuntimeError):
    """The cache cannot work with its options: the program refuses to start.

    A RuntimeError so that every program prints it as one ``ERROR:`` line.
    """


class Driver(abc.ABC):
    """Bookkeeping of the complete files directly in ``cache_dir``.

    Every method may be called from several processes at once (api workers and the
    cron tools) and, within one process, from several threads.

    :param cache_dir: absolute path of ``image_cache_dir`` (it exists and is writable).
    :param conf: the program's ConfigOpts (cache options registered).
    :raises BadDriverConfiguration: the driver cannot work there.
    """

    name = None

    def __init__(self, cache_dir, conf):
        self.cache_dir = cache_dir

    @abc.abstractmethod
    def record_cached(self, image_id, path):
        """The complete data of ``image_id`` has just been moved to ``path``."""

    @abc.abstractmethod
    def record_hit(self, image_id, data):
        """The cached data of ``image_id``, open as file ``data``, is being served once
        more (the file may have been removed from the directory since it was opened)."""

    @abc.abstractmethod
    def forget(self, image_id):
        """The cached data of ``image_id`` was removed."""

    @abc.abstractmethod
    def known_ids(self):
        """Ids of the entries the driver keeps records of apart from the files
        (empty when the records live in the files)."""

    @abc.abstractmethod
    def describe(self, entries):
        """Bookkeeping of cached files.

        :param entries: ``[(image_id, path, os.stat_result)]`` of files present now.
        :returns: one dict per entry: ``image_id``, ``size``, ``hits``,
            ``last_accessed`` and ``last_modified`` (epoch seconds; ``last_accessed``
            is 0 for a file the driver has no record of, so it is pruned first).
        """
