"""Property protection rules: the file formats, which section decides, and the helpers
both API versions use to hide, refuse and keep properties."""
import os
import textwrap

import pytest
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api import policy
from glance_lite.common import context, exception
from glance_lite.images import protections

ETC = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc')

ROLES_RULES = """
[^x_owner_.*]
create = admin,member
read = admin,member
update = admin,member
delete = admin,member

[^x_readonly_.*]
create = admin
read = @
update = admin
delete = !

[^x_secret_.*]
create = member
read = Ops
update = ops
delete = ops

[^x_.*]
create = !
read = !
update = !
delete = !

[.*]
create = @
read = @
update = @
delete = @
"""

POLICIES_RULES = """
[^x_billing_.*]
create = billing_writer
read = @
update = billing_writer
delete = !

[.*]
create = context_is_admin
read = project_member
update = context_is_admin
delete = context_is_admin
"""

POLICY_FILE = """{
    "billing_writer": "role:billing",
    "project_member": "role:member or role:admin"
}"""


def caller(*roles, is_admin=False):
    return context.RequestContext(project_id='p1', roles=list(roles), is_admin=is_admin)


MEMBER = caller('member')
OPS = caller('OPS')
ADMIN = caller('admin', is_admin=True)
NOBODY = caller()


def make_conf(tmp_path, rules, rule_format='roles', policy_file=None, name='rules.conf'):
    """A parsed api ConfigOpts whose config dir holds the rules (and policy) files."""
    (tmp_path / name).write_text(textwrap.dedent(rules))
    if policy_file is not None:
        (tmp_path / 'policy.json').write_text(policy_file)
    (tmp_path / 'glance-api.conf').write_text(
        '[DEFAULT]\nproperty_protection_file = %s\n'
        'property_protection_rule_format = %s\n' % (name, rule_format))
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    conf(['--config-file', str(tmp_path / 'glance-api.conf')])
    return conf


def load(tmp_path, rules, rule_format='roles', policy_file=None):
    conf = make_conf(tmp_path, rules, rule_format, policy_file)
    return protections.PropertyProtections.from_conf(conf, policy.Policy(conf))


@pytest.fixture
def roles(tmp_path):
    return load(tmp_path, ROLES_RULES)


@pytest.fixture
def policies(tmp_path):
    return load(tmp_path, POLICIES_RULES, 'policies', POLICY_FILE)


# -- which section decides -----------------------------------------------------------

def test_no_file_configured_means_no_protections():
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    conf([])
    assert protections.PropertyProtections.from_conf(conf, policy.Policy(conf)) is None


def test_first_matching_section_decides_even_when_a_later_one_is_permissive(roles):
    # x_other matches [^x_.*] (nobody) before [.*] (everybody): refused (OSSN-0013)
    for action in protections.ACTIONS:
        assert not roles.can(ADMIN, 'x_other', action)
        assert roles.can(NOBODY, 'os_distro', action)
    # x_owner_ is listed before [^x_.*], so its own roles apply
    assert roles.can(MEMBER, 'x_owner_team', 'update')


def test_expression_is_searched_not_anchored(tmp_path):
    prot = load(tmp_path, """
        [secret]
        create = admin
        read = admin
        update = admin
        delete = admin
        [.*]
        create = @
        read = @
        update = @
        delete = @
        """)
    assert not prot.can(MEMBER, 'my_secret_key', 'read')
    assert prot.can(MEMBER, 'my_key', 'read')


def test_property_matching_no_section_is_refused_everything(tmp_path):
    prot = load(tmp_path, """
        [^os_]
        create = @
        read = @
        update = @
        delete = @
        """)
    assert prot.can(MEMBER, 'os_distro', 'create')
    for action in protections.ACTIONS:
        assert not prot.can(ADMIN, 'hw_disk_bus', action)


def test_everyone_and_no_one(roles):
    assert roles.can(NOBODY, 'x_readonly_tag', 'read')
    assert not roles.can(ADMIN, 'x_readonly_tag', 'delete')
    assert roles.can(ADMIN, 'x_readonly_tag', 'update')
    assert not roles.can(MEMBER, 'x_readonly_tag', 'update')


def test_roles_compare_case_insensitively(roles):
    assert roles.can(OPS, 'x_secret_key', 'read')
    assert roles.can(caller('ops'), 'x_secret_key', 'update')


def test_admins_are_not_exempt(roles):
    assert not roles.can(ADMIN, 'x_secret_key', 'read')
    assert not roles.can(ADMIN, 'x_secret_key', 'create')


# -- policies format -----------------------------------------------------------------

def test_policies_format_evaluates_the_named_rule(policies):
    billing = caller('billing')
    assert policies.can(billing, 'x_billing_code', 'create')
    assert not policies.can(MEMBER, 'x_billing_code', 'update')
    assert policies.can(NOBODY, 'x_billing_code', 'read')  # '@'
    assert not policies.can(billing, 'x_billing_code', 'delete')  # '!'
    assert policies.can(MEMBER, 'os_distro', 'read')
    assert not policies.can(MEMBER, 'os_distro', 'create')


def test_policies_format_gives_admins_no_short_cut(policies):
    # the admin role satisfies context_is_admin, but not billing_writer
    assert policies.can(ADMIN, 'os_distro', 'create')
    assert not policies.can(ADMIN, 'x_billing_code', 'create')


def test_policies_format_refuses_a_rule_the_policy_file_does_not_define(tmp_path):
    with pytest.raises(protections.InvalidProtectionsFile,
                       match=r"\[\.\*\] read names the policy rule 'project_member'"):
        load(tmp_path, POLICIES_RULES, 'policies', '{"billing_writer": "role:billing"}')


def test_policies_format_allows_one_rule_per_operation(tmp_path):
    with pytest.raises(protections.InvalidProtectionsFile, match='one policy rule per'):
        load(tmp_path, POLICIES_RULES.replace('create = billing_writer',
                                              'create = billing_writer,project_member'),
             'policies', POLICY_FILE)


# -- files that refuse to load -------------------------------------------------------

GOOD_SECTION = '[.*]\ncreate = @\nread = @\nupdate = @\ndelete = @\n'


@pytest.mark.parametrize('rules,message', [
    ('[x(]\ncreate = @\nread = @\nupdate = @\ndelete = @\n',
     r'Invalid regular expression \[x\(\]'),
    ('[.*]\ncreate = @\nread = @\nupdate = @\n', r'\[\.\*\] does not say who may delete'),
    (GOOD_SECTION + 'dleete = admin\n', r'unknown operation dleete'),
    (GOOD_SECTION.replace('read = @', 'read ='), r'read is empty'),
    (GOOD_SECTION.replace('read = @', 'read = @,!'), r"'@' and '!' exclude each other"),
    ('# nothing but a comment\n', 'no rules'),
    ('create = admin\n', 'cannot read the rules'),
    (GOOD_SECTION + GOOD_SECTION, 'cannot read the rules'),
])
def test_bad_file_is_refused_with_a_clear_message(tmp_path, rules, message):
    with pytest.raises(protections.InvalidProtectionsFile, match=message) as raised:
        load(tmp_path, rules)
    assert str(tmp_path / 'rules.conf') in str(raised.value)


def test_missing_file_is_refused(tmp_path):
    conf = make_conf(tmp_path, GOOD_SECTION)
    conf.set_override('property_protection_file', 'absent.conf')
    with pytest.raises(protections.InvalidProtectionsFile,
                       match='Unable to find the property protections file absent.conf'):
        protections.PropertyProtections.from_conf(conf, policy.Policy(conf))


def test_unknown_rule_format_is_a_config_error(tmp_path):
    conf = make_conf(tmp_path, GOOD_SECTION, rule_format='acl')
    with pytest.raises(cfg.ConfigFileValueError):
        protections.PropertyProtections.from_conf(conf, policy.Policy(conf))


@pytest.mark.parametrize('sample,rule_format,policy_file', [
    ('property-protections-roles.conf.sample', 'roles', None),
    ('property-protections-policies.conf.sample', 'policies',
     '{"billing_writer": "role:admin or role:billing",'
     ' "project_member": "role:admin or role:member"}'),
])
def test_shipped_samples_load(tmp_path, sample, rule_format, policy_file):
    with open(os.path.join(ETC, sample)) as f:
        prot = load(tmp_path, f.read(), rule_format, policy_file)
    assert prot.can(caller('billing'), 'x_billing_code', 'update')
    assert not prot.can(MEMBER, 'x_internal_note', 'read')
    assert prot.can(MEMBER, 'os_distro', 'update')


# -- helpers shared by v1 and v2 -----------------------------------------------------

PROPS = {'os_distro': 'debian', 'x_secret_key': 's3cret', 'x_readonly_tag': 'gold'}


def test_readable_hides_what_the_caller_may_not_read(roles):
    assert protections.readable(roles, MEMBER, PROPS) == {'os_distro': 'debian',
                                                          'x_readonly_tag': 'gold'}
    assert protections.readable(roles, OPS, PROPS) == PROPS
    image = {'id': 'i1', 'properties': PROPS}
    shown = protections.readable_image(roles, MEMBER, image)
    assert 'x_secret_key' not in shown['properties'] and shown['id'] == 'i1'
    assert image['properties'] is PROPS  # the record itself is untouched


def test_helpers_let_everything_through_without_protections():
    assert protections.readable(None, NOBODY, PROPS) is PROPS
    protections.check_create(None, NOBODY, {'x_anything': '1'})
    assert protections.merge_update(None, NOBODY, PROPS, {}, True) == {}


def test_check_create_names_the_refused_property(roles):
    protections.check_create(roles, MEMBER, {'os_distro': 'a', 'x_owner_team': 'b'})
    with pytest.raises(exception.Forbidden, match="Property 'x_readonly_tag' is protected"):
        protections.check_create(roles, MEMBER, {'os_distro': 'a', 'x_readonly_tag': 'b'})


def test_update_needs_read_and_update_only_when_the_value_changes(roles):
    # same value: reading is enough
    assert protections.merge_update(roles, MEMBER, PROPS, {'x_readonly_tag': 'gold'},
                                    False) == {'x_readonly_tag': 'gold'}
    with pytest.raises(exception.Forbidden, match="Property 'x_readonly_tag'"):
        protections.merge_update(roles, MEMBER, PROPS, {'x_readonly_tag': 'silver'}, False)
    # an unreadable property cannot be written, even with the same value
    with pytest.raises(exception.Forbidden, match="Property 'x_secret_key'"):
        protections.merge_update(roles, MEMBER, PROPS, {'x_secret_key': 's3cret'}, False)
    with pytest.raises(exception.Forbidden, match="Property 'x_other' is protected"):
        protections.merge_update(roles, ADMIN, PROPS, {'x_other': '1'}, False)


def test_purge_keeps_unreadable_properties_and_refuses_undeletable_ones(roles):
    # the member never saw x_secret_key: leaving it out does not delete it
    stored = protections.merge_update(roles, MEMBER, PROPS,
                                      {'x_readonly_tag': 'gold', 'hw_bus': 'scsi'}, True)
    assert stored == {'x_readonly_tag': 'gold', 'hw_bus': 'scsi', 'x_secret_key': 's3cret'}
    # os_distro is readable and deletable by all: gone
    assert 'os_distro' not in stored
    # x_readonly_tag is readable but nobody may delete it
    with pytest.raises(exception.Forbidden, match="Property 'x_readonly_tag' is protected"):
        protections.merge_update(roles, MEMBER, PROPS, {}, True)
    # ops may read and delete x_secret_key, but not x_readonly_tag
    with pytest.raises(exception.Forbidden, match="Property 'x_readonly_tag'"):
        protections.merge_update(roles, OPS, PROPS, {'os_distro': 'debian'}, True)
    assert protections.merge_update(roles, OPS, PROPS, {'x_readonly_tag': 'gold'},
                                    True) == {'x_readonly_tag': 'gold'}
