"""The status and ownership rules of image records, before any registry call."""
import pytest
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api import policy
from glance_lite.common import context, exception
from glance_lite.images import deps, records
from tests.unit.images.test_validation import SETTINGS


@pytest.fixture(scope='module')
def rules():
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    conf([])
    return deps.Deps(settings=SETTINGS, registry=None, stores=None,
                     policy=policy.Policy(conf))


MEMBER = context.RequestContext(project_id='alice', roles=['member'])
ADMIN = context.RequestContext(project_id='ops', roles=['admin'], is_admin=True)


def image(**fields):
    base = {'id': 'i1', 'status': 'active', 'size': 10, 'checksum': 'c' * 32,
            'owner': 'alice', 'properties': {'a': '1'}, 'deleted': False}
    base.update(fields)
    return base


@pytest.mark.parametrize('ctx', [MEMBER, ADMIN])
def test_status_is_never_client_settable_but_same_value_is_fine(rules, ctx):
    with pytest.raises(exception.Forbidden, match="Forbidden to modify 'status' of image."):
        records.check_update(rules, ctx, image(), {'status': 'queued'}, False)
    changes = {'status': 'active', 'name': 'x'}
    records.check_update(rules, ctx, image(), changes, False)
    assert changes == {'name': 'x'}


def test_size_and_checksum_of_active_image_are_immutable_for_users(rules):
    with pytest.raises(exception.Forbidden, match="Forbidden to modify 'size' of active"):
        records.check_update(rules, MEMBER, image(), {'size': 11}, False)
    records.check_update(rules, MEMBER, image(status='queued'), {'size': 11}, False)
    records.check_update(rules, ADMIN, image(), {'checksum': 'd' * 32}, False)


def test_deleted_image_cannot_be_updated(rules):
    with pytest.raises(exception.Forbidden, match='Forbidden to update deleted image.'):
        records.check_update(rules, ADMIN, image(status='deleted', deleted=True),
                             {'name': 'x'}, False)


def test_owner_change_by_user_is_dropped(rules):
    changes = {'owner': 'mallory'}
    records.check_update(rules, MEMBER, image(), changes, False)
    assert 'owner' not in changes


def test_property_quota_counts_kept_properties_unless_purging(rules):
    # SETTINGS allows two properties; the image already has one.
    records.check_update(rules, MEMBER, image(), {'properties': {'b': '2'}}, False)
    with pytest.raises(exception.ImagePropertyLimitExceeded):
        records.check_update(rules, MEMBER, image(),
                             {'properties': {'b': '2', 'c': '3'}}, False)
    records.check_update(rules, MEMBER, image(), {'properties': {'b': '2', 'c': '3'}},
                         True)


def test_create_forces_the_owner_of_users_and_checks_publicize(rules):
    meta = {'owner': 'mallory', 'properties': {}}
    records.check_create(rules, MEMBER, meta)
    assert meta['owner'] == 'alice'
    with pytest.raises(exception.Forbidden):
        records.check_create(rules, MEMBER, {'is_public': True, 'properties': {}})
    meta = {'owner': 'bob', 'is_public': True, 'properties': {}}
    records.check_create(rules, ADMIN, meta)
    assert meta['owner'] == 'bob'


@pytest.mark.parametrize('fields,error,message', [
    ({'protected': True}, exception.Forbidden, 'Image is protected'),
    ({'status': 'pending_delete'}, exception.Forbidden,
     'Forbidden to delete a pending_delete image.'),
    ({'status': 'deleted', 'deleted': True}, exception.ImageNotFound, 'not found'),
])
def test_delete_rules(rules, fields, error, message):
    with pytest.raises(error, match=message):
        records.check_delete(rules, ADMIN, image(**fields))
    records.check_delete(rules, MEMBER, image())
