"""The identity of the caller of one request."""
from oslo_context import context


class RequestContext(context.RequestContext):
    """oslo.context's context plus who owns what the caller creates.

    :param owner_is_tenant: images belong to the project (True) or to the user.
    :param service_catalog: the caller's catalog, forwarded to the registry.
    """

    def __init__(self, owner_is_tenant=True, service_catalog=None, **kwargs):
        super().__init__(**kwargs)
        self.owner_is_tenant = owner_is_tenant
        self.service_catalog = service_catalog

    @property
    def owner(self):
        return self.project_id if self.owner_is_tenant else self.user_id

    @property
    def can_see_deleted(self):
        return self.is_admin

    def to_dict(self):
        d = super().to_dict()
        d.update(owner_is_tenant=self.owner_is_tenant,
                 service_catalog=self.service_catalog)
        return d


def admin_context(**kwargs):
    """A context for internal jobs and for the no-auth pipelines."""
    return RequestContext(is_admin=True, overwrite=False, **kwargs)
