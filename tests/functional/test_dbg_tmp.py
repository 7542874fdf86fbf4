from tests.functional.test_server import *

@pytest.mark.parametrize('keepalive', [False, True])
def test_dbg(make_server, keepalive):
    server = make_server({'workers': '2'}).start()
    with Hammer(server, keepalive) as hammer:
        fixtures.wait_for(lambda: hammer.ok > 20)
        server.write_files({'DEFAULT': {'workers': '3'}, 'paste_deploy': {'flavor': 'alt'}})
        t0 = hammer.ok
        server.reload()
        fixtures.wait_for(lambda: 'exited (status 0)' in server.log_text() and server.log_text().count('exited (status 0)') == 2, timeout=10)
        t1 = hammer.ok
        time.sleep(0.5)
    print(t0, t1, hammer.ok, hammer.failures, hammer.answers)
    print(server.log_text()[-3000:].replace('INFO eventlet.wsgi.server', ''))
    lines = [l for l in server.log_text().splitlines() if 'eventlet.wsgi' not in l]
    print('\n'.join(lines))
