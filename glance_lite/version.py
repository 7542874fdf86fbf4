"""The version glance_lite reports (--version, versions document)."""
from importlib import metadata


def version_string():
    try:
        return metadata.version('glance_lite')
    except metadata.PackageNotFoundError:
        return '0.0.0'
