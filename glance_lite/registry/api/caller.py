"""Who is calling the registry, as the context middleware established it.

The registry trusts no identity of its own making: the context comes from the paste
pipeline (authtoken + context, trusted-auth context, or the no-auth admin context).
"""
from glance_lite.common import exception


def context_of(req):
    """The request context; 401 when the pipeline put none there (fail closed)."""
    ctx = req.environ.get('glance.context')
    if ctx is None:
        raise exception.NotAuthenticated('No authenticated user')
    return ctx


def writable_context_of(req):
    """The request context of a call that changes records; 403 for read-only callers
    (anonymous access)."""
    ctx = context_of(req)
    if getattr(ctx, 'read_only', False):
        raise exception.Forbidden('Read-only access')
    return ctx
