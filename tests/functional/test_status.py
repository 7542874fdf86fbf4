"""The real glance-status console script: exit codes and the results table."""
import json
import os
import subprocess

import pytest

from tests.functional import fixtures

HEADER = ('+----', '| Upgrade Check Results')


def run(cwd, *args):
    result = subprocess.run([fixtures.venv_bin('glance-status')] + list(args),
                            capture_output=True, text=True, timeout=120, cwd=cwd,
                            env=dict(os.environ, HOME=str(cwd)))
    return result.returncode, result.stdout, result.stderr


def manage(conf, *args):
    subprocess.run([fixtures.venv_bin('glance-manage'), '--config-file', str(conf)]
                   + list(args), check=True, capture_output=True, timeout=120)


@pytest.fixture
def setup(tmp_path):
    """``(conf path, write(sections))``: a glance-status.conf with a database and a
    file store under tmp_path; ``write`` adds sections and rewrites it."""
    conf = tmp_path / 'glance-status.conf'
    base = {'database': {'connection': 'sqlite:///%s' % (tmp_path / 'glance.sqlite')},
            'glance_store': {'filesystem_store_datadir': str(tmp_path / 'images')}}

    def write(extra=None):
        fixtures.write_conf(str(conf), fixtures.merge_sections(base, extra))
        return conf
    write()
    return conf, write


def results(stdout):
    """{check name: (result, details)} from the JSON output."""
    return {c['check']: (c['result'], c['details']) for c in json.loads(stdout)['checks']}


def test_everything_up_to_date_is_success(setup, tmp_path):
    conf, _ = setup
    manage(conf, 'db_sync')
    code, out, err = run(tmp_path, '--config-file', str(conf), 'upgrade', 'check')
    assert code == 0, out + err
    assert out.startswith(HEADER[0]) and HEADER[1] in out
    for name in ('Database schema version', 'Configuration options', 'Default store'):
        assert '| Check: %s' % name in out
    assert out.count('| Result: Success') == 3
    assert os.listdir(tmp_path / 'images') == []


def test_config_found_in_the_current_directory(setup, tmp_path):
    conf, _ = setup
    manage(conf, 'db_sync')
    assert run(tmp_path, 'upgrade', 'check')[0] == 0


def test_an_older_database_revision_is_a_failure(setup, tmp_path):
    conf, _ = setup
    manage(conf, 'db_upgrade', 'ocata_expand01')
    code, out, _ = run(tmp_path, '--config-file', str(conf), 'upgrade', 'check', '--json')
    assert code == 2
    result, details = results(out)['Database schema version']
    assert result == 2
    assert details.startswith('The database is at ocata_expand01; this release needs '
                              'rocky_expand02 and rocky_contract02.')
    assert 'glance-manage db sync' in details


def test_a_misplaced_option_is_a_warning(setup, tmp_path):
    conf, write = setup
    manage(conf, 'db_sync')
    write({'DEFAULT': {'filesystem_store_datadir': '/srv/images'}})
    code, out, _ = run(tmp_path, '--config-file', str(conf), 'upgrade', 'check', '--json')
    assert code == 1
    assert results(out)['Configuration options'] == (
        1, '[DEFAULT] filesystem_store_datadir is ignored: it belongs in [glance_store].')


def test_invalid_values_and_an_unusable_store_are_failures(setup, tmp_path):
    conf, write = setup
    manage(conf, 'db_sync')
    write({'DEFAULT': {'workers': 'many'}, 'glance_store': {'default_store': 'http'}})
    code, out, _ = run(tmp_path, '--config-file', str(conf), 'upgrade', 'check', '--json')
    assert code == 2
    found = results(out)
    assert found['Configuration options'][1].startswith(
        '[DEFAULT] workers = many is not valid')
    assert found['Default store'] == (
        2, 'The default store (http) cannot store image data.')
    assert found['Database schema version'] == (0, None)


def test_an_unreadable_config_file_is_255(tmp_path):
    broken = tmp_path / 'broken.conf'
    broken.write_text('[DEFAULT]\nthis line has no value\n')
    code, out, _ = run(tmp_path, '--config-file', str(broken), 'upgrade', 'check')
    assert code == 255
    assert out.startswith('Error: Failed to parse %s' % broken)
    code, out, _ = run(tmp_path, '--config-file', str(tmp_path / 'missing.conf'),
                       'upgrade', 'check')
    assert (code, out) == (255, 'Error: Failed to find some config files: %s\n'
                           % (tmp_path / 'missing.conf'))


def test_without_a_command_it_prints_usage(tmp_path):
    code, _, err = run(tmp_path)
    assert code == 2 and 'usage: glance-status' in err
