"""The rules of glance-status upgrade check, on private configurations."""
import os

import pytest
from oslo_config import cfg
from oslo_upgradecheck import upgradecheck

from glance_lite import upgrade_checks
from glance_lite.cmd import status
from glance_lite.conf import encryption

Code = upgradecheck.Code
EXPAND, CONTRACT = 'rocky_expand02', 'rocky_contract02'


def checks_for(tmp_path, text):
    path = tmp_path / 'glance-api.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    lists = status.option_lists()
    for group, opts in lists:
        conf.register_opts(opts, group=group)
    conf(['--config-file', str(path)], default_config_files=[])
    return upgrade_checks.Checks(conf, lists)


@pytest.mark.parametrize('heads, pending, code, advice', [
    ([EXPAND, CONTRACT], False, Code.SUCCESS, None),
    ([], False, Code.FAILURE, 'not under migration control'),
    (['ocata_contract01', 'ocata_expand01'], False, Code.FAILURE,
     'Run "glance-manage db sync" (or db expand, db migrate, db contract).'),
    (['queens_contract01', EXPAND], True, Code.FAILURE,
     'Run "glance-manage db migrate", then "glance-manage db contract".'),
    (['queens_contract01', EXPAND], False, Code.FAILURE, 'Run "glance-manage db contract".'),
])
def test_database_verdict(heads, pending, code, advice):
    result = upgrade_checks._database_result(heads, pending)
    assert result.code == code
    if advice is None:
        assert result.details is None
    else:
        assert advice in result.details


def test_no_database_configured_is_a_failure(tmp_path):
    result = checks_for(tmp_path, '')._check_database()
    assert result.code == Code.FAILURE
    assert 'set [database] connection' in result.details


def test_clean_options_pass(tmp_path):
    checks = checks_for(tmp_path, '[DEFAULT]\nworkers = 2\n[glance_store]\n'
                                  'default_store = file\n')
    assert checks._check_options().code == Code.SUCCESS


def test_invalid_values_and_bad_keys_fail_with_what_was_written(tmp_path):
    checks = checks_for(tmp_path, '[DEFAULT]\nworkers = many\n'
                                  'metadata_encryption_key = short\n')
    result = checks._check_options()
    assert result.code == Code.FAILURE
    assert "[DEFAULT] workers = many is not valid: invalid literal for int() with base " \
           "10: 'many'." in result.details
    assert 'metadata_encryption_key must be 16, 24 or 32 bytes long (it is 5).' \
        in result.details


def test_group_options_written_in_default_are_a_warning(tmp_path):
    checks = checks_for(tmp_path, '[DEFAULT]\nfilesystem_store_datadir = /srv/images\n'
                                  'default_store = file\n')
    result = checks._check_options()
    assert result.code == Code.WARNING
    assert '[DEFAULT] filesystem_store_datadir is ignored: it belongs in [glance_store].' \
        in result.details
    assert '[DEFAULT] default_store is ignored' in result.details


def test_writable_default_store_passes_and_leaves_nothing(tmp_path):
    datadir = tmp_path / 'images'
    checks = checks_for(tmp_path, '[glance_store]\nfilesystem_store_datadir = %s\n'
                        % datadir)
    assert checks._check_default_store().code == Code.SUCCESS
    assert os.listdir(datadir) == []


@pytest.mark.parametrize('section, message', [
    ('default_store = http\n', 'The default store (http) cannot store image data.'),
    ('default_store = swift\n', 'Store for scheme swift not found'),
    ('stores = file, nosuch\n', "unknown store 'nosuch'"),
])
def test_unusable_default_store_fails(tmp_path, section, message):
    checks = checks_for(tmp_path, '[glance_store]\nfilesystem_store_datadir = %s\n%s'
                        % (tmp_path / 'images', section))
    result = checks._check_default_store()
    assert result.code == Code.FAILURE and message in result.details


def test_unwritable_default_store_fails(tmp_path):
    blocker = tmp_path / 'not-a-dir'
    blocker.write_text('')
    checks = checks_for(tmp_path, '[glance_store]\nfilesystem_store_datadir = %s/images\n'
                        % blocker)
    result = checks._check_default_store()
    assert result.code == Code.FAILURE
    assert result.details.startswith('The stores cannot be loaded')


def test_deprecated_options_and_names_in_use_are_warnings(tmp_path):
    path = tmp_path / 'glance.conf'
    path.write_text('[DEFAULT]\nold_name = 1\nretired = x\n')
    options = [(None, [cfg.IntOpt('new_name', deprecated_name='old_name'),
                       cfg.StrOpt('retired', deprecated_for_removal=True,
                                  deprecated_reason='nothing reads it'),
                       cfg.StrOpt('unset_retired', deprecated_for_removal=True)]
                + encryption.OPTS)]
    conf = cfg.ConfigOpts()
    conf.register_opts(options[0][1])
    conf(['--config-file', str(path)], default_config_files=[])
    result = upgrade_checks.Checks(conf, options)._check_options()
    assert result.code == Code.WARNING
    assert result.details == ('[DEFAULT] old_name is a deprecated name of [DEFAULT] '
                              'new_name. [DEFAULT] retired is deprecated for removal: '
                              'nothing reads it.')
