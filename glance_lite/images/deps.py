"""What the image rules need, built once per worker by the paste factory."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Settings:
    """Options read once into plain attributes (no option lookups on the hot path)."""

    image_size_cap: int
    image_member_quota: int
    image_property_quota: int
    disk_formats: tuple
    container_formats: tuple
    hashing_algorithm: str

    @classmethod
    def from_conf(cls, conf):
        return cls(image_size_cap=conf.image_size_cap,
                   image_member_quota=conf.image_member_quota,
                   image_property_quota=conf.image_property_quota,
                   disk_formats=tuple(conf.image_format.disk_formats),
                   container_formats=tuple(conf.image_format.container_formats),
                   hashing_algorithm=conf.hashing_algorithm)


@dataclasses.dataclass(frozen=True)
class Deps:
    """:param registry: a RegistryClient (``for_context(ctx)`` gives a bound client).
    :param stores: the loaded Stores.
    :param policy: the api Policy.
    """

    settings: Settings
    registry: object
    stores: object
    policy: object

    def registry_for(self, ctx):
        return self.registry.for_context(ctx)
