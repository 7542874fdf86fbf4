"""[database]: where glance-registry and glance-manage keep image records."""
from oslo_config import cfg

OPTS = [
    cfg.StrOpt('connection', secret=True,
               help='SQLAlchemy URL, e.g. mysql+pymysql://glance:pw@host/glance, '
                    'postgresql://glance:pw@host/glance or '
                    'sqlite:////var/lib/glance/glance.sqlite.'),
    cfg.StrOpt('backend', default='sqlalchemy', help='Only sqlalchemy is supported.'),
    cfg.IntOpt('max_pool_size', default=5, help='Connections kept open in the pool.'),
    cfg.IntOpt('max_overflow', default=50, help='Extra connections allowed beyond the pool.'),
    cfg.IntOpt('pool_timeout', help='Seconds to wait for a free pooled connection.'),
    cfg.IntOpt('max_retries', default=10,
               help='Attempts to connect at start-up; -1 retries forever.'),
    cfg.IntOpt('retry_interval', default=10, help='Seconds between connection attempts.'),
    cfg.IntOpt('connection_recycle_time', default=3600,
               help='Seconds after which a pooled connection is replaced.'),
    cfg.StrOpt('mysql_sql_mode', default='TRADITIONAL', help='sql_mode of MySQL sessions.'),
    cfg.BoolOpt('sqlite_synchronous', default=True,
                help='Keep SQLite synchronous=FULL; False trades durability for speed.'),
]


def register_opts(conf):
    conf.register_opts(OPTS, group='database')


def list_opts():
    return [('database', OPTS)]
