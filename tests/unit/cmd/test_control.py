"""glance-control's command line: servers, commands, options and where pid files go."""
import os

import pytest

from glance_lite import control
from glance_lite.cmd import control as control_cmd


def parse(*argv):
    return control_cmd.parse(list(argv))


def usage_error(capsys, *argv):
    with pytest.raises(SystemExit) as raised:
        parse(*argv)
    assert raised.value.code == control.EXIT_USAGE
    return capsys.readouterr().err


@pytest.mark.parametrize('name, server', [
    ('api', 'glance-api'), ('glance-api', 'glance-api'),
    ('registry', 'glance-registry'), ('glance-registry', 'glance-registry'),
    ('scrubber', 'glance-scrubber'), ('glance-scrubber', 'glance-scrubber'),
])
def test_short_and_long_server_names(name, server):
    command, targets, _options = parse(name, 'status')
    assert command == 'status'
    assert [t.name for t in targets] == [server]


def test_all_is_api_registry_scrubber_in_that_order():
    _command, targets, _options = parse('all', 'stop')
    assert [t.name for t in targets] == ['glance-api', 'glance-registry', 'glance-scrubber']


def test_all_reload_skips_the_scrubber_which_cannot_reload():
    _command, targets, _options = parse('all', 'reload')
    assert [t.name for t in targets] == ['glance-api', 'glance-registry']


@pytest.mark.parametrize('command', control_cmd.COMMANDS)
def test_every_command_is_accepted(command):
    assert parse('api', command)[0] == command


def test_default_pid_file_is_under_var_run_glance():
    _command, targets, _options = parse('registry', 'start')
    assert targets[0].pid_path == '/var/run/glance/glance-registry.pid'


def test_confpath_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _command, targets, _options = parse('api', 'start', 'glance-api.conf')
    assert targets[0].conf_path == str(tmp_path / 'glance-api.conf')


def test_without_confpath_the_server_searches_itself():
    assert parse('api', 'start')[1][0].conf_path is None


def test_confpath_directory_holds_one_file_per_server(tmp_path):
    _command, targets, _options = parse('all', 'start', str(tmp_path))
    assert [t.conf_path for t in targets] == [
        str(tmp_path / 'glance-api.conf'), str(tmp_path / 'glance-registry.conf'),
        str(tmp_path / 'glance-scrubber.conf')]


def test_options_may_follow_the_command_as_in_the_seed(tmp_path):
    conf = str(tmp_path / 'api.conf')
    _command, targets, options = parse('api', 'start', '--respawn', conf,
                                       '--capture-output')
    assert options == control.Options(capture_output=True, respawn=True)
    assert targets[0].conf_path == conf


def test_options_may_precede_the_server():
    _command, _targets, options = parse('--await-child', '2.5', 'api', 'start')
    assert options.await_child == 2.5


def test_no_forms_undo_the_options():
    _command, _targets, options = parse('--respawn', '--capture-output', 'api', 'start',
                                        '--norespawn', '--nocapture-output')
    assert options == control.Options()


def test_await_child_and_respawn_are_mutually_exclusive(capsys):
    err = usage_error(capsys, '--await-child', '3', '--respawn', 'api', 'start')
    assert '--await-child and --respawn are mutually exclusive' in err


@pytest.mark.parametrize('value', ['-1', 'soon'])
def test_await_child_needs_a_non_negative_number(capsys, value):
    err = usage_error(capsys, '--await-child', value, 'api', 'start')
    assert 'argument --await-child' in err


@pytest.mark.parametrize('argv, complaint', [
    (('nova', 'start'), "argument SERVER: invalid choice: 'nova'"),
    (('api', 'launch'), "argument COMMAND: invalid choice: 'launch'"),
    (('api',), 'the following arguments are required: COMMAND'),
    (('api', 'start', 'a.conf', 'b.conf'), 'unrecognized arguments: b.conf'),
])
def test_bad_arguments_are_usage_errors(capsys, argv, complaint):
    err = usage_error(capsys, *argv)
    assert err.startswith('usage: glance-control [options] <SERVER> <COMMAND> [CONFPATH]')
    assert complaint in err


def test_pid_file_option_names_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _command, targets, _options = parse('--pid-file', 'api.pid', 'api', 'stop')
    assert targets[0].pid_path == str(tmp_path / 'api.pid')


def test_pid_file_option_may_name_a_directory(tmp_path):
    _command, targets, _options = parse('--pid-file', str(tmp_path), 'all', 'status')
    assert [t.pid_path for t in targets] == [
        str(tmp_path / ('%s.pid' % name)) for name in control_cmd.ALL_SERVERS]


def test_a_trailing_slash_names_a_directory_yet_to_be_created(tmp_path):
    run = os.path.join(str(tmp_path), 'run') + os.sep
    _command, targets, _options = parse('--pid-file', run, 'api', 'start')
    assert targets[0].pid_path == str(tmp_path / 'run' / 'glance-api.pid')


def test_all_with_one_pid_file_is_refused(capsys, tmp_path):
    err = usage_error(capsys, '--pid-file', str(tmp_path / 'x.pid'), 'all', 'start')
    assert 'with all, --pid-file must name a directory' in err


def test_main_reports_status_with_its_exit_code(capsys, tmp_path):
    assert control_cmd.main(['--pid-file', str(tmp_path), 'all', 'status']) == \
        control.EXIT_STOPPED
    assert capsys.readouterr().out.splitlines() == [
        'glance-api is stopped', 'glance-registry is stopped', 'glance-scrubber is stopped']
