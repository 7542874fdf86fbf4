"""Property protections: who may create, read, update and delete which custom
properties, from the INI file named by ``property_protection_file``.

Each section name is a regular expression searched in the property name.  Sections are
tried in file order and the first match decides alone: a later, more permissive section
never rescues a refusal (OSSN-0013).  A property no section matches is refused every
operation.  Every section gives all four operations, ``create``, ``read``, ``update`` and
``delete``; the value is

- roles format: comma-separated role names, compared case-insensitively with the
  caller's roles;
- policies format: the name of one policy rule, evaluated by the api policy enforcer,
  which must know it (a default rule or one defined in the policy file);
- in both formats, ``@`` lets everyone do it and ``!`` lets no one.

Admins are not exempt: the rules alone decide, by role or by policy rule.

Helpers shared by API v1 and v2.  ``prot`` is the PropertyProtections of the worker, or
None when protections are off (then every helper lets everything through):

- ``readable(prot, ctx, props) -> dict``: the properties the caller may read.  Every
  response goes through it (``readable_image`` does it for a whole image record).
- ``check_create(prot, ctx, props)``: Forbidden, 403 "Property 'k' is protected", unless
  the caller may create every key of ``props`` (a new image).
- ``merge_update(prot, ctx, old_props, new_props, purge) -> dict``: checks a change of
  properties and returns what to send to the registry with the same ``purge`` flag.
  A key of ``new_props`` absent from ``old_props`` needs ``create``; a key in both needs
  ``read``, and ``update`` when its value changes.  Without ``purge`` the stored keys not
  named are untouched and the result is ``new_props``.  With ``purge`` (``new_props`` is
  the whole new set) a stored key left out is a deletion and needs ``delete``, except
  that a key the caller may not ``read`` is kept silently: the caller never saw it, so
  leaving it out is no request to delete it (Glance's v1 behaviour).  A readable key the
  caller may not delete is a 403, not kept.  v2 fits the same call: apply the JSON patch
  to the ``readable`` view, then ``merge_update(prot, ctx, stored, patched, True)``.
"""
import configparser
import re

from glance_lite.common import exception

ACTIONS = ('create', 'read', 'update', 'delete')
EVERYONE = '@'
NO_ONE = '!'


class InvalidProtectionsFile(ValueError):
    """The property protections file cannot be used; glance-api refuses to start."""


class _Rule:
    """One section: its compiled expression and, per action, who is allowed."""

    def __init__(self, expression, allowed):
        self.expression = expression
        self.pattern = re.compile(expression)
        self.allowed = allowed


class PropertyProtections:
    """Rules read from one file.

    :param rules: ``[(expression, {action: [names]})]`` in file order.
    :param rule_format: ``roles`` or ``policies``.
    :param policy: the api Policy (used by the policies format).
    """

    def __init__(self, rules, rule_format, policy):
        self.rule_format = rule_format
        self._policy = policy
        self._rules = []
        for expression, allowed in rules:
            try:
                self._rules.append(_Rule(expression, allowed))
            except re.error as e:
                raise InvalidProtectionsFile(
                    'Invalid regular expression [%s] in the property protections file: %s'
                    % (expression, e))

    @classmethod
    def from_conf(cls, conf, policy):
        """The protections ``conf`` asks for, or None when no file is configured.

        Raises InvalidProtectionsFile naming the file and the problem.
        """
        name = conf.property_protection_file
        if not name:
            return None
        path = conf.find_file(name)
        if path is None:
            raise InvalidProtectionsFile('Unable to find the property protections file %s'
                                         % name)
        rule_format = conf.property_protection_rule_format
        try:
            rules = parse_rules(path, rule_format)
            protections = cls(rules, rule_format, policy)
        except InvalidProtectionsFile as e:
            raise InvalidProtectionsFile('%s: %s' % (path, e))
        if rule_format == 'policies':
            protections._check_policy_names(path)
        return protections

    def _check_policy_names(self, path):
        for rule in self._rules:
            for action, names in rule.allowed.items():
                for name in names:
                    if name not in (EVERYONE, NO_ONE) and not self._policy.knows(name):
                        raise InvalidProtectionsFile(
                            '%s: [%s] %s names the policy rule %r, which the policy file '
                            'does not define' % (path, rule.expression, action, name))

    def _match(self, name):
        for rule in self._rules:
            if rule.pattern.search(name):
                return rule
        return None

    def can(self, ctx, name, action):
        """True when the caller of ``ctx`` may ``action`` the property ``name``."""
        rule = self._match(name)
        if rule is None:
            return False
        allowed = rule.allowed[action]
        if NO_ONE in allowed:
            return False
        if EVERYONE in allowed:
            return True
        if self.rule_format == 'policies':
            return self._policy.rule_allows(ctx, allowed[0])
        roles = {r.lower() for r in list(ctx.roles) + list(ctx.service_roles)}
        return not roles.isdisjoint(allowed)


def parse_rules(path, rule_format):
    """``[(expression, {action: [names]})]`` from the file at ``path``, in file order.

    Raises InvalidProtectionsFile for anything that would make a rule ambiguous: a file
    that cannot be read or parsed, no sections, a missing, unknown or empty operation,
    ``@`` with ``!``, or several policy names for one operation.
    """
    # No interpolation: expressions and names may contain '%'.
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding='utf-8') as f:
            parser.read_file(f)
    except (OSError, UnicodeDecodeError, configparser.Error) as e:
        raise InvalidProtectionsFile('cannot read the rules: %s' % e)
    if not parser.sections():
        raise InvalidProtectionsFile('no rules; every property would be refused')
    return [(expression, _section_rules(parser, expression, rule_format))
            for expression in parser.sections()]


def _section_rules(parser, expression, rule_format):
    unknown = sorted(set(parser.options(expression)) - set(ACTIONS))
    if unknown:
        raise InvalidProtectionsFile('[%s] has unknown operation %s (known: %s)'
                                     % (expression, unknown[0], ', '.join(ACTIONS)))
    allowed = {}
    for action in ACTIONS:
        if not parser.has_option(expression, action):
            raise InvalidProtectionsFile('[%s] does not say who may %s' % (expression, action))
        value = parser.get(expression, action)
        names = [n.strip() for n in value.split(',') if n.strip()]
        if not names:
            raise InvalidProtectionsFile("[%s] %s is empty; use '!' to refuse everyone"
                                         % (expression, action))
        if EVERYONE in names and NO_ONE in names:
            raise InvalidProtectionsFile("[%s] %s = %s: '@' and '!' exclude each other"
                                         % (expression, action, value))
        if rule_format == 'policies':
            if len(names) > 1:
                raise InvalidProtectionsFile(
                    '[%s] %s = %s: one policy rule per operation; combine rules in '
                    'the policy file' % (expression, action, value))
        else:
            names = [n.lower() for n in names]
        allowed[action] = names
    return allowed


def _refuse(name):
    raise exception.Forbidden("Property '%s' is protected" % name)


def readable(prot, ctx, props):
    """``props`` without the properties the caller may not read."""
    if prot is None:
        return props
    return {k: v for k, v in props.items() if prot.can(ctx, k, 'read')}


def readable_image(prot, ctx, image):
    """``image`` (a record dict) with only the properties the caller may read."""
    if prot is None or not image.get('properties'):
        return image
    return dict(image, properties=readable(prot, ctx, image['properties']))


def check_create(prot, ctx, props):
    """Forbidden unless the caller may create every property of ``props``."""
    if prot is None:
        return
    for name in props:
        if not prot.can(ctx, name, 'create'):
            _refuse(name)


def merge_update(prot, ctx, old_props, new_props, purge):
    """The properties to store for a change from ``old_props`` to ``new_props``.

    See the module docstring for the rules; raises Forbidden naming the first property
    the caller may not change.
    """
    if prot is None:
        return new_props
    for name, value in new_props.items():
        if name not in old_props:
            if not prot.can(ctx, name, 'create'):
                _refuse(name)
        elif not prot.can(ctx, name, 'read'):
            _refuse(name)
        elif value != old_props[name] and not prot.can(ctx, name, 'update'):
            _refuse(name)
    if not purge:
        return new_props
    merged = dict(new_props)
    for name, value in old_props.items():
        if name in new_props:
            continue
        if not prot.can(ctx, name, 'read'):
            merged[name] = value
        elif not prot.can(ctx, name, 'delete'):
            _refuse(name)
    return merged
