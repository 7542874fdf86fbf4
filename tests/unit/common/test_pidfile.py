import os
import stat

import pytest

from glance_lite.common import pidfile


def test_default_location():
    assert pidfile.resolve(None, 'glance-api') == '/var/run/glance/glance-api.pid'


def test_relative_file_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert pidfile.resolve('x.pid', 'glance-api') == str(tmp_path / 'x.pid')


def test_existing_directory_holds_server_pid(tmp_path):
    assert pidfile.resolve(str(tmp_path), 'glance-registry') == \
        str(tmp_path / 'glance-registry.pid')


def test_trailing_slash_means_a_directory(tmp_path):
    assert pidfile.resolve(str(tmp_path / 'new') + '/', 'glance-api') == \
        str(tmp_path / 'new' / 'glance-api.pid')


def test_write_then_read(tmp_path):
    pid_file = pidfile.PidFile(str(tmp_path / 'run' / 'glance-api.pid'))
    pid_file.write(4242)
    assert (tmp_path / 'run' / 'glance-api.pid').read_text() == '4242\n'
    assert pid_file.read() == 4242
    mode = stat.S_IMODE(os.stat(pid_file.path).st_mode)
    assert mode == 0o644  # status works for every user
    assert os.listdir(tmp_path / 'run') == ['glance-api.pid']  # no temporary left


def test_read_without_a_file_is_none(tmp_path):
    assert pidfile.PidFile(str(tmp_path / 'none.pid')).read() is None


@pytest.mark.parametrize('content', ['', 'abc\n', '0\n', '-5\n'])
def test_read_of_a_file_without_a_pid_raises(tmp_path, content):
    path = tmp_path / 'bad.pid'
    path.write_text(content)
    with pytest.raises(ValueError):
        pidfile.PidFile(str(path)).read()


def test_reserve_claims_the_place_before_the_pid_is_known(tmp_path):
    pid_file = pidfile.PidFile(str(tmp_path / 'a' / 'b' / 'glance-api.pid'))
    reservation = pid_file.reserve()
    assert pid_file.read() is None  # nothing visible yet
    reservation.commit(77)
    assert pid_file.read() == 77


def test_cancelled_reservation_leaves_nothing(tmp_path):
    pid_file = pidfile.PidFile(str(tmp_path / 'glance-api.pid'))
    pid_file.reserve().cancel()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('below', ['', 'run'])
def test_reserve_fails_where_a_file_stands_for_the_directory(tmp_path, below):
    (tmp_path / 'file').write_text('')
    pid_file = pidfile.PidFile(os.path.join(str(tmp_path / 'file'), below, 'glance-api.pid'))
    with pytest.raises(NotADirectoryError):
        pid_file.reserve()
    assert pid_file.read() is None


def test_commit_replaces_an_old_file(tmp_path):
    pid_file = pidfile.PidFile(str(tmp_path / 'glance-api.pid'))
    pid_file.write(1)
    pid_file.write(2)
    assert pid_file.read() == 2


def test_remove_is_quiet_when_already_gone(tmp_path):
    pid_file = pidfile.PidFile(str(tmp_path / 'glance-api.pid'))
    pid_file.write(3)
    pid_file.remove()
    pid_file.remove()
    assert pid_file.read() is None
