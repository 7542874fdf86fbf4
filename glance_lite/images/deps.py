"""What the image rules need, built once per worker by the paste factory."""
import dataclasses
import re

_UNITS = {'': 1, 'B': 1, 'KB': 1024, 'MB': 1024 ** 2, 'GB': 1024 ** 3, 'TB': 1024 ** 4}


def parse_storage_quota(text):
    """``user_storage_quota`` in bytes: digits with an optional 1024-based unit."""
    match = re.fullmatch(r'\s*(\d+)\s*([KMGT]?B?)\s*', text or '0', re.IGNORECASE)
    if match is None:
        raise ValueError('Invalid user_storage_quota %r: use digits with an optional '
                         'unit B, KB, MB, GB or TB' % text)
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


@dataclasses.dataclass(frozen=True)
class Settings:
    """Options read once into plain attributes (no option lookups on the hot path)."""

    image_size_cap: int
    image_member_quota: int
    image_property_quota: int
    disk_formats: tuple
    container_formats: tuple
    hashing_algorithm: str
    image_tag_quota: int = 128
    image_location_quota: int = 10
    user_storage_quota: int = 0
    show_image_direct_url: bool = False
    show_multiple_locations: bool = False
    location_strategy: str = 'location_order'
    store_type_preference: tuple = ()
    delayed_delete: bool = False

    @classmethod
    def from_conf(cls, conf):
        return cls(image_size_cap=conf.image_size_cap,
                   image_member_quota=conf.image_member_quota,
                   image_property_quota=conf.image_property_quota,
                   disk_formats=tuple(conf.image_format.disk_formats),
                   container_formats=tuple(conf.image_format.container_formats),
                   hashing_algorithm=conf.hashing_algorithm,
                   image_tag_quota=conf.image_tag_quota,
                   image_location_quota=conf.image_location_quota,
                   user_storage_quota=parse_storage_quota(conf.user_storage_quota),
                   show_image_direct_url=conf.show_image_direct_url,
                   show_multiple_locations=conf.show_multiple_locations,
                   location_strategy=conf.location_strategy,
                   store_type_preference=tuple(
                       conf.store_type_location_strategy.store_type_preference),
                   delayed_delete=conf.delayed_delete)


@dataclasses.dataclass(frozen=True)
class Deps:
    """:param registry: a RegistryClient (``for_context(ctx)`` gives a bound client).
    :param stores: the loaded Stores.
    :param policy: the api Policy.
    :param protections: the PropertyProtections, or None when not configured.
    :param offload: runs CPU work in a native thread (``streams.Hashes``), or None.
    """

    settings: Settings
    registry: object
    stores: object
    policy: object
    protections: object = None
    offload: object = None

    def registry_for(self, ctx):
        return self.registry.for_context(ctx)
