"""Client load from a process of its own, for tests that reload servers under it.

    python loadgen.py API_URL IMAGE_ID MD5 REPORT_PATH STOP_PATH

Until STOP_PATH exists it repeats: a full v1 download of the image on a new connection
(its bytes must hash to MD5), then two metadata calls on one keep-alive connection
(``HEAD /v1/images/<id>``, ``GET /v1/images/detail``), as clients do.  After every
request it replaces REPORT_PATH with ``{"downloads": n, "metadata": n, "failures":
[...]}``; a failure is any exception or unexpected answer, described in one line.
"""
import hashlib
import json
import os
import sys

import requests

TIMEOUT = 30


def download(url, md5):
    response = requests.get(url, timeout=TIMEOUT, headers={'Connection': 'close'})
    if response.status_code != 200:
        return 'GET image: %d %s' % (response.status_code, response.text[:200])
    if hashlib.md5(response.content).hexdigest() != md5:
        return 'GET image: %d bytes, wrong checksum' % len(response.content)
    return None


def metadata(session, api, image_id):
    head = session.head('%s/v1/images/%s' % (api, image_id), timeout=TIMEOUT)
    if head.status_code != 200 or head.headers.get('x-image-meta-id') != image_id:
        return 'HEAD image: %d' % head.status_code
    listing = session.get('%s/v1/images/detail' % api, timeout=TIMEOUT)
    if listing.status_code != 200 or image_id not in listing.text:
        return 'GET detail: %d %s' % (listing.status_code, listing.text[:200])
    return None


def main(api, image_id, md5, report_path, stop_path):
    counts = {'downloads': 0, 'metadata': 0, 'failures': []}
    session = requests.Session()
    calls = (('downloads', lambda: download('%s/v1/images/%s' % (api, image_id), md5)),
             ('metadata', lambda: metadata(session, api, image_id)))
    while not os.path.exists(stop_path):
        for kind, call in calls:
            try:
                failure = call()
            except requests.RequestException as e:
                failure = '%s: %r' % (kind, e)
            if failure:
                counts['failures'].append(failure)
            else:
                counts[kind] += 1
            with open(report_path + '.tmp', 'w') as f:
                json.dump(counts, f)
            os.replace(report_path + '.tmp', report_path)
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
