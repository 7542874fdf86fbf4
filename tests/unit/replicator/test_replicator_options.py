"""glance-replicator's command line: the man page's options, their defaults and the
errors that stop before any server is contacted."""
import io

import pytest

from glance_lite.cmd import replicator
from glance_lite.replicator import commands


def parse(*argv):
    return replicator.build_parser().parse_intermixed_args(list(argv))


def test_defaults_are_glances():
    args = parse('livecopy', 'a:1', 'b:2')
    assert (args.command, args.args) == ('livecopy', ['a:1', 'b:2'])
    assert args.chunksize == 65536
    assert args.dontreplicate == 'created_at date deleted_at location updated_at'
    assert not (args.metaonly or args.debug or args.verbose or args.syslog)
    assert args.logfile is None
    assert (args.token, args.sourcetoken, args.targettoken) == ('', '', '')
    assert args.api_version == 1


def test_short_options_of_the_man_page_anywhere_on_the_line():
    args = parse('-c', '4096', 'dump', '-m', 'a:1', '-D', 'name owner', '/tmp/x', '-d',
                 '-l', '/tmp/log', '-v', '-s')
    assert (args.command, args.args) == ('dump', ['a:1', '/tmp/x'])
    assert args.chunksize == 4096
    assert args.metaonly and args.debug and args.verbose and args.syslog
    assert args.dontreplicate == 'name owner'
    assert args.logfile == '/tmp/log'


@pytest.mark.parametrize('argv, expected', [
    (['-t', 'both'], ('both', 'both')),
    (['-t', 'both', '-M', 'src'], ('src', 'both')),
    (['-S', 'dst'], ('', 'dst')),
    (['--mastertoken', 'src', '--slavetoken', 'dst'], ('src', 'dst')),
    (['--sourcetoken', 'src', '--targettoken', 'dst', '-t', 'both'], ('src', 'dst')),
])
def test_tokens(argv, expected):
    assert replicator.tokens(parse('compare', 'a:1', 'b:2', *argv)) == expected


def test_api_version_is_1_or_2():
    assert parse('size', 'a:1', '--api-version', '2').api_version == 2
    with pytest.raises(replicator.UsageError):
        parse('size', 'a:1', '--api-version', '3')
    with pytest.raises(replicator.UsageError):
        parse('size', 'a:1', '-c', 'lots')


def test_a_chunk_size_below_one_byte_is_refused(capsys):
    assert replicator.main(['size', '127.0.0.1:1', '-c', '0']) == 1
    assert capsys.readouterr().err == ('Usage: glance-replicator size [options] '
                                       '<server:port>\nERROR: The chunk size must be a '
                                       'positive number of bytes\n')


def test_bad_option_value_is_exit_status_1(capsys):
    assert replicator.main(['size', 'a:1', '--api-version', '9']) == 1
    err = capsys.readouterr().err
    assert err.startswith('usage: glance-replicator <command> [options] [args]\nERROR: ')
    assert "invalid choice: 9" in err


def test_help_for_each_command():
    for name, command in replicator.COMMANDS.items():
        out = io.StringIO()
        assert replicator.main(['help', name], out=out) == 0
        expected = 'Usage: %s\n\n%s\n' % (command.usage(name), command.summary)
        assert out.getvalue().startswith(expected)


def test_dontreplicate_strips_top_level_fields_only():
    options = commands.Options(dont_replicate='created_at  updated_at')
    record = {'id': 'x', 'created_at': 1, 'updated_at': 2,
              'properties': {'created_at': 'kept'}}
    assert options.strip(record) == {'id': 'x', 'properties': {'created_at': 'kept'}}
    assert 'created_at' in record  # the caller's record is left alone
