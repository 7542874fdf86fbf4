"""Fixtures shared by the functional tests: every server a test starts is stopped at
teardown, and its log is printed when the test failed."""
import pytest

from tests.functional import fixtures


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, 'report_' + report.when, report)


@pytest.fixture
def server_factory(request, tmp_path):
    """``server_factory(prog, conf_sections=None, workdir=None, **kwargs)`` →
    an unstarted :class:`fixtures.ServerProcess` (workdir defaults to a fresh
    directory under tmp_path); all of them are stopped at teardown."""
    started = []

    def make(prog, conf_sections=None, workdir=None, **kwargs):
        if workdir is None:
            workdir = tmp_path / ('%s-%d' % (prog, len(started)))
            workdir.mkdir()
        server = fixtures.ServerProcess(prog, workdir, conf_sections, **kwargs)
        started.append(server)
        return server

    yield make

    failed = any(getattr(getattr(request.node, 'report_' + when, None), 'failed', False)
                 for when in ('setup', 'call'))
    for server in started:
        if server.process is not None:
            server.stop(timeout=10)
        if failed:
            print(server.diagnostics())
