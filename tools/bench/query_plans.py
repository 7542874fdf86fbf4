"""Query plans of the registry's image lists on SQLite, MariaDB and PostgreSQL.

    python -m tools.bench.query_plans [--count N] [--out PATH]

For each engine: a fresh database (a temporary file for SQLite, ``glance_plans`` on the
local MariaDB and PostgreSQL servers, dropped afterwards) is shaped with
``migration.sync``, seeded with N public active images (tools/bench/seed.py) and
analyzed.  Each case of ``CASES`` then calls ``listing.image_get_all`` once with a
``before_cursor_execute`` listener that records the SQL it runs; the page query (and,
for the first case, the children query) is explained on a raw DBAPI cursor with the
captured parameters, and the call is timed (median of ``REPEAT`` calls).  An engine
that cannot be reached is reported as such and skipped.
"""
import argparse
import contextlib
import datetime
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time

import sqlalchemy
from sqlalchemy import event

from glance_lite.common.context import RequestContext
from glance_lite.db import engine as db_engine, listing, migration
from tools.bench import seed

DB_NAME = 'glance_plans'
MARIADB_SERVER = 'mysql+pymysql://root@127.0.0.1:3306/'
POSTGRES_SERVER = 'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'results', 'query-plans.txt')
REPEAT = 20
MARIADB_COLUMNS = ('table', 'type', 'key', 'rows', 'Extra')
PAGE_QUERY = re.compile(r'\bFROM images\b')


def cases(count):
    """(name, admin?, image_get_all kwargs, explain the children query too?)."""
    v2 = {'filters': {'os_hidden': False}, 'limit': 25}
    v1 = {'filters': {}, 'limit': 25, 'sort_key': ['created_at'], 'sort_dir': ['desc'],
          'member_status': 'all', 'v1_mode': True, 'admin_as_user': True}
    return [
        ('1. v2 default list, admin', True, v2, True),
        ('2. v2 sort_key=created_at sort_dir=desc, admin', True,
         dict(v2, sort_key=['created_at'], sort_dir=['desc']), False),
        ('3. v2 name=%s, admin' % seed.image_name(count // 2), True,
         dict(v2, filters={'os_hidden': False, 'name': seed.image_name(count // 2)}), False),
        ('4. v2 default list, regular user', False, v2, False),
        ('5. v1 public list (GET /v1/images?limit=25)', True, v1, False),
        ('6. v1 public list, sort_dir=asc', True, dict(v1, sort_dir=['asc']), False),
    ]


def context(admin):
    if admin:
        return RequestContext(is_admin=True, overwrite=False)
    return RequestContext(project_id='someone', user_id='u', is_admin=False,
                          overwrite=False)


# ------------------------------------------------------------------ databases

@contextlib.contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix='query-plans-') as tmp:
        yield 'sqlite:///%s' % os.path.join(tmp, 'glance.sqlite')


@contextlib.contextmanager
def server_database(server_url):
    """A fresh ``glance_plans`` database on the server of ``server_url``; its URL."""
    server = sqlalchemy.create_engine(server_url, isolation_level='AUTOCOMMIT',
                                      poolclass=sqlalchemy.pool.NullPool)

    def run(sql):
        with server.connect() as conn:
            conn.exec_driver_sql(sql)

    run('DROP DATABASE IF EXISTS %s' % DB_NAME)
    run('CREATE DATABASE %s' % DB_NAME)
    try:
        yield sqlalchemy.engine.make_url(server_url).set(database=DB_NAME) \
            .render_as_string(hide_password=False)
    finally:
        run('DROP DATABASE IF EXISTS %s' % DB_NAME)
        server.dispose()


ENGINES = [
    ('SQLite %s' % sqlite3.sqlite_version, sqlite_database),
    ('MariaDB', lambda: server_database(MARIADB_SERVER)),
    ('PostgreSQL', lambda: server_database(POSTGRES_SERVER)),
]


def analyze(db):
    """Fresh statistics, as a server that has been running for a while would have."""
    sql = {'mysql': 'ANALYZE TABLE images, image_properties',
           'postgresql': 'ANALYZE'}.get(db.dialect)
    if sql:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(sql)


# ------------------------------------------------------------------ one case

def capture(db, ctx, kwargs):
    """The (statement, parameters) of the page query and the children query."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, 'before_cursor_execute', record)
    try:
        listing.image_get_all(db, ctx, **kwargs)
    finally:
        event.remove(db.engine, 'before_cursor_execute', record)
    selects = [s for s in seen if s[0].lstrip().upper().startswith('SELECT')]
    page = next(i for i, (sql, _) in enumerate(selects) if PAGE_QUERY.search(sql))
    return selects[page], (selects[page + 1] if page + 1 < len(selects) else None)


def explain(db, statement, parameters):
    """The engine's plan of ``statement`` as lines of text."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        prefix = 'EXPLAIN QUERY PLAN ' if db.dialect == 'sqlite' else 'EXPLAIN '
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        names = [d[0] for d in cursor.description]
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    if db.dialect == 'sqlite':
        return sqlite_tree(rows)
    if db.dialect == 'mysql':
        return ['  '.join('%s=%s' % (c, row[names.index(c)]) for c in MARIADB_COLUMNS)
                for row in rows]
    return [row[0] for row in rows]


def sqlite_tree(rows):
    """EXPLAIN QUERY PLAN rows (id, parent, notused, detail) indented by depth."""
    depth = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append('  ' * depth[node] + detail)
    return lines


def median_ms(db, ctx, kwargs):
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        listing.image_get_all(db, ctx, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# ------------------------------------------------------------------ report

def engine_report(url, count):
    """The report lines of one engine, its database at ``url`` (empty, reachable)."""
    migration.sync(url)
    seed.seed(url, 0, count)
    db = db_engine.Database(url)
    try:
        analyze(db)
        lines = []
        for name, admin, kwargs, children_too in cases(count):
            ctx = context(admin)
            page, children = capture(db, ctx, kwargs)
            lines.append('  %s   median %.2f ms' % (name, median_ms(db, ctx, kwargs)))
            lines.extend('      ' + line for line in explain(db, *page))
            if children_too and children:
                lines.append('    children query (properties/locations/tags):')
                lines.extend('      ' + line for line in explain(db, *children))
        return lines
    finally:
        db.engine.dispose()


def unreachable(error):
    detail = getattr(error, 'orig', None) or error
    return '  unreachable: %s' % str(detail).strip().splitlines()[0]


def report(count):
    lines = [
        "Query plans of the registry's image-list queries "
        '(glance_lite.db.listing.image_get_all, limit 25),',
        '%d seeded images (tools/bench/seed.py: public, active, 2 properties each).' % count,
        'Produced by: python -m tools.bench.query_plans --count %d' % count,
        'Taken: %s' % datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'Per case: median of %d image_get_all calls, then the plan of its page query.'
        % REPEAT,
    ]
    for label, database in ENGINES:
        lines += ['', '== %s' % label]
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(database())
            except (sqlalchemy.exc.SQLAlchemyError, ImportError) as e:
                lines.append(unreachable(e))
                continue
            lines += engine_report(url, count)
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--count', type=int, default=20000, help='images to seed')
    parser.add_argument('--out', default=DEFAULT_OUT, help='report file')
    args = parser.parse_args(argv)
    text = report(args.count)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as out:
        out.write(text)
    sys.stdout.write(text)


if __name__ == '__main__':
    main()
