"""Policy: Glance's rule names and defaults, enforced through one oslo.policy
Enforcer built per worker (building one per request was half of a metadata call's
cost in older Glance)."""
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from glance_lite.common import exception

_OPEN = ('add_image', 'delete_image', 'get_image', 'get_images', 'modify_image',
         'communitize_image', 'download_image', 'upload_image',
         'delete_image_location', 'get_image_location',
         'add_member', 'delete_member', 'get_member', 'get_members', 'modify_member',
         'get_task', 'get_tasks', 'add_task', 'modify_task', 'deactivate', 'reactivate')
# Stricter than Glance's defaults for set_image_location and copy_from: both let a user
# point the server at arbitrary URLs (OSSN-0065, OSSN-0078), so they are admin-only
# unless the operator's policy file opens them.
_ADMIN = ('publicize_image', 'manage_image_cache', 'tasks_api_access',
          'set_image_location', 'copy_from')

RULES = ([policy.RuleDefault('context_is_admin', 'role:admin',
                             'Who is an administrator.'),
          policy.RuleDefault('default', 'role:admin', 'Rule for actions not listed.')]
         + [policy.RuleDefault(name, '') for name in _OPEN]
         + [policy.RuleDefault(name, 'rule:context_is_admin') for name in _ADMIN])


# Actions that change something: refused to read-only (anonymous) callers whatever
# the policy file says.
WRITE_ACTIONS = frozenset(['add_image', 'delete_image', 'modify_image', 'publicize_image',
                           'communitize_image', 'copy_from', 'upload_image',
                           'delete_image_location', 'set_image_location', 'add_member',
                           'delete_member', 'modify_member', 'add_task', 'modify_task',
                           'deactivate', 'reactivate', 'manage_image_cache'])


def list_rules():
    return RULES


def set_defaults(conf):
    # Glance's default file name; a file that does not exist means "defaults only".
    policy_opts.set_defaults(conf, policy_file='policy.json')


class Policy:
    """``enforce(ctx, action, target)`` raises Forbidden when the rule says no."""

    def __init__(self, conf):
        set_defaults(conf)
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(RULES)

    def allows(self, ctx, action, target=None):
        if ctx.read_only and action in WRITE_ACTIONS:
            return False
        if ctx.is_admin:
            # The no-auth pipelines make every caller admin; admins are never refused,
            # as in Glance.
            return True
        return self._enforcer.enforce(action, target or {}, ctx.to_policy_values())

    def knows(self, rule):
        """True when ``rule`` is a default rule or defined in the policy file."""
        self._enforcer.load_rules()
        return rule in self._enforcer.rules

    def rule_allows(self, ctx, rule):
        """``rule`` evaluated as written, with no admin short cut: property protections
        in the policies format apply to admins too."""
        return self._enforcer.enforce(rule, {}, ctx.to_policy_values())

    def enforce(self, ctx, action, target=None):
        if ctx.read_only and action in WRITE_ACTIONS:
            raise exception.Forbidden('Read-only access')
        if not self.allows(ctx, action, target):
            raise exception.Forbidden('You are not authorized to complete %s action.'
                                      % action)
