"""The collaborators of the image rules, built once per app load and shared by the v1
and v2 apps (one registry pool, one policy enforcer, one set of stores)."""
from glance_lite.api import policy
from glance_lite.common import config, offload
from glance_lite.images import deps as image_deps
from glance_lite.images import protections
from glance_lite.registry import client as registry_client
from glance_lite import store


def build_deps(conf):
    api_policy = policy.Policy(conf)
    return image_deps.Deps(settings=image_deps.Settings.from_conf(conf),
                           registry=registry_client.RegistryClient(conf),
                           stores=store.load_stores(conf),
                           policy=api_policy,
                           protections=protections.PropertyProtections.from_conf(
                               conf, api_policy),
                           offload=offload.offload)


def deps_for(global_conf):
    """The Deps of the paste load that ``global_conf`` belongs to (shared by the v1
    and v2 apps; a reload builds new ones from the re-read configuration)."""
    return config.shared_in_load(global_conf, 'image_deps', build_deps)
