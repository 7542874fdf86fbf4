import logging
import os

import pytest
from oslo_config import cfg
from oslo_log import log

from glance_lite import conf as glance_conf
from glance_lite.common import config


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """cwd and HOME are empty temp dirs, so only what a test writes is found
    (plus /etc/glance and /etc, which this machine does not populate)."""
    home, cwd = tmp_path / 'home', tmp_path / 'cwd'
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv('HOME', str(home))
    monkeypatch.chdir(cwd)
    return home, cwd


def new_conf():
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    return conf


def test_current_directory_is_searched_before_home(isolated):
    home, cwd = isolated
    (home / '.glance').mkdir()
    (home / '.glance' / 'glance-api.conf').write_text('[DEFAULT]\n')
    (cwd / 'glance-api.conf').write_text('[DEFAULT]\n')
    assert config.find_config_files('glance-api') == [str(cwd / 'glance-api.conf')]


def test_glance_conf_is_read_before_the_program_file(isolated):
    home, _cwd = isolated
    (home / 'glance.conf').write_text('[DEFAULT]\n')
    (home / 'glance-api.conf').write_text('[DEFAULT]\n')
    assert config.find_config_files('glance-api') == [str(home / 'glance.conf'),
                                                      str(home / 'glance-api.conf')]


def test_no_file_anywhere_gives_the_seed_error(isolated):
    conf = new_conf()
    config.parse_args(conf, 'glance-api', [])
    with pytest.raises(RuntimeError) as e:
        config.find_paste_config(conf, 'glance-api')
    assert str(e.value) == ('Unable to locate any configuration file. '
                            'Cannot load application glance-api')


def test_paste_file_beside_the_config_file(isolated, tmp_path):
    etc = tmp_path / 'etc'
    etc.mkdir()
    (etc / 'my-api.conf').write_text('[DEFAULT]\n')
    (etc / 'my-api-paste.ini').write_text('')
    conf = new_conf()
    config.parse_args(conf, 'glance-api', ['--config-file', str(etc / 'my-api.conf')])
    assert config.find_paste_config(conf, 'glance-api') == str(etc / 'my-api-paste.ini')


def test_missing_paste_file_with_a_config_file(isolated, tmp_path):
    (tmp_path / 'a.conf').write_text('[DEFAULT]\n')
    conf = new_conf()
    config.parse_args(conf, 'glance-api', ['--config-file', str(tmp_path / 'a.conf')])
    with pytest.raises(RuntimeError, match='Unable to locate paste config file for '
                                           'glance-api.'):
        config.find_paste_config(conf, 'glance-api')


def test_paste_config_file_option_relative_to_config_dir(isolated, tmp_path):
    (tmp_path / 'a.conf').write_text('[paste_deploy]\nconfig_file = custom.ini\n'
                                     'flavor = keystone\n')
    (tmp_path / 'custom.ini').write_text('')
    conf = new_conf()
    config.parse_args(conf, 'glance-api', ['--config-file', str(tmp_path / 'a.conf')])
    assert config.find_paste_config(conf, 'glance-api') == str(tmp_path / 'custom.ini')
    assert config.pipeline_name(conf, 'glance-api') == 'glance-api-keystone'


def test_unknown_flavor_names_pipeline_and_file(isolated, tmp_path):
    repo_etc = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc')
    (tmp_path / 'glance-api.conf').write_text('[paste_deploy]\nflavor = nope\n')
    (tmp_path / 'glance-api-paste.ini').write_text(
        open(os.path.join(repo_etc, 'glance-api-paste.ini')).read())
    conf = new_conf()
    config.parse_args(conf, 'glance-api', ['--config-file',
                                           str(tmp_path / 'glance-api.conf')])
    with pytest.raises(RuntimeError) as e:
        config.load_paste_app(conf, 'glance-api')
    paste = tmp_path / 'glance-api-paste.ini'
    assert str(e.value).startswith('Unable to load glance-api-nope from configuration file '
                                   '%s.\nGot: LookupError(' % paste)


@pytest.fixture
def thread_logging():
    saved = logging.logThreads
    yield
    logging.logThreads = saved


@pytest.mark.parametrize('context_format, records_threads', [
    (None, False),
    ('%(asctime)s %(thread)d %(message)s', True),
    ('%(asctime)s %(threadName)s %(message)s', True),
], ids=['default formats', 'thread id shown', 'thread name shown'])
def test_log_records_carry_threads_only_when_a_format_shows_them(
        tmp_path, thread_logging, context_format, records_threads):
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    args = ['--log-file', str(tmp_path / 'x.log')]
    conf(args, default_config_files=[])
    if context_format:
        conf.set_override('logging_context_format_string', context_format)
    logging.logThreads = True
    config.setup_logging(conf, 'glance-api')
    assert logging.logThreads is records_threads
