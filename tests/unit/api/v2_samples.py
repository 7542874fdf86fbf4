"""Sample v2 image schemas and image views shared by the v2 unit tests."""
import json
import pathlib

from glance_lite.api.v2 import schemas

STOCK_FILE = pathlib.Path(__file__).parents[3] / 'etc' / 'schema-image.json'
STOCK = json.loads(STOCK_FILE.read_text())
DISK_FORMATS = ('raw', 'qcow2', 'iso')
CONTAINER_FORMATS = ('bare', 'ovf')
IMAGE_ID = '1bea47ed-f6a9-463b-b423-14b9cca9ad27'


def make_schemas(custom=None, allow_additional=True):
    """Schemas with the stock custom properties unless ``custom`` is given."""
    return schemas.Schemas(DISK_FORMATS, CONTAINER_FORMATS,
                           STOCK if custom is None else custom, allow_additional)


def image_view(**overrides):
    """What glance-api renders for an active image (api-v2.md §3.1)."""
    view = {
        'id': IMAGE_ID, 'name': 'cirros', 'status': 'active', 'visibility': 'public',
        'protected': False, 'os_hidden': False,
        'checksum': '64d7c1cd2b6f60c92c14662941cb7913', 'os_hash_algo': 'sha512',
        'os_hash_value': 'ab' * 64, 'owner': '5ef70662f8b34079a6eddb8da9d75fe8',
        'size': 13167616, 'virtual_size': None, 'container_format': 'bare',
        'disk_format': 'qcow2', 'min_ram': 0, 'min_disk': 0,
        'created_at': '2014-05-05T17:15:10Z', 'updated_at': '2014-05-05T17:15:11Z',
        'tags': ['small', 'test'], 'hw_disk_bus': 'scsi', 'legacy_null': '',
        'kernel_id': None, 'os_distro': 'cirros',
        'locations': [{'url': 'file:///var/lib/glance/images/%s' % IMAGE_ID,
                       'metadata': {}}],
        'direct_url': 'file:///var/lib/glance/images/%s' % IMAGE_ID,
        'self': '/v2/images/%s' % IMAGE_ID, 'file': '/v2/images/%s/file' % IMAGE_ID,
        'schema': '/v2/schemas/image'}
    view.update(overrides)
    return view
