"""The targets of issue 7, judged on the medians of a bench run.

Each verdict carries the measured value, the reference it is compared with (a baseline
measured in the same run, or a fixed bound), their ratio, the bound on that ratio and
whether it is met.  ``workload`` names what to re-run under py-spy when it is not.
"""

HASH_CPU_FACTOR = 1.3
HASH_RATE_FACTOR = 0.7
DOWNLOAD_CPU_S_PER_GIB = 0.25
RSS_GROWTH_MIB = 20
CONCURRENT_RSS_GROWTH_MIB = 50
METADATA_FACTOR = 0.40
LIST_FACTOR = 0.25
P99_MS = 50
SCALE_P50_MS = 15


def _verdict(name, value, reference, bound, at_most, workload, unit=''):
    if value is None or reference in (None, 0):
        return {'target': name, 'value': value, 'reference': reference, 'ratio': None,
                'bound': bound, 'met': False, 'workload': workload, 'unit': unit}
    ratio = value / reference
    met = ratio <= bound if at_most else ratio >= bound
    return {'target': name, 'value': round(value, 3), 'reference': round(reference, 3),
            'ratio': round(ratio, 3), 'bound': ('<= %s' if at_most else '>= %s') % bound,
            'met': met, 'workload': workload, 'unit': unit}


def evaluate(m, counts):
    """Verdicts for the medians ``m`` (a flat dict) of a run over ``counts`` images."""
    out = []
    hash_cpu = m.get('md5_sha512_cpu_s_per_gib')
    hash_rate = m.get('slower_hash_gib_per_s')
    for api in ('v1', 'v2'):
        for mode in ('chunked', 'length'):
            key = 'upload_%s_%s' % (api, mode)
            out.append(_verdict('%s CPU s/GiB vs md5+sha512' % key,
                                m.get(key + '_cpu_s_per_gib'), hash_cpu, HASH_CPU_FACTOR,
                                True, key, 's/GiB'))
            out.append(_verdict('%s GiB/s vs slower hash' % key, m.get(key + '_gib_per_s'),
                                hash_rate, HASH_RATE_FACTOR, False, key, 'GiB/s'))
    for key in ('download_v1', 'download_v2', 'download_cache'):
        out.append(_verdict('%s CPU s/GiB' % key, m.get(key + '_cpu_s_per_gib'),
                            DOWNLOAD_CPU_S_PER_GIB, 1, True, key, 's/GiB'))
    for api in ('v1', 'v2'):
        out.append(_verdict('RSS growth %s small -> large transfer' % api,
                            m.get('rss_growth_%s_mib' % api), RSS_GROWTH_MIB, 1, True,
                            'upload_%s_length' % api, 'MiB'))
    out.append(_verdict('RSS growth, 16 concurrent transfers',
                        m.get('concurrent_rss_growth_mib'), CONCURRENT_RSS_GROWTH_MIB, 1,
                        True, 'concurrent', 'MiB'))
    two_hop = m.get('two_hop_rps')
    for count in counts:
        for op in ('get_v2', 'head_v1'):
            key = '%s_%d' % (op, count)
            out.append(_verdict('%s req/s vs two-hop' % key, m.get(key + '_rps'), two_hop,
                                METADATA_FACTOR, False, key, 'req/s'))
            out.append(_verdict('%s p99 ms' % key, m.get(key + '_p99_ms'), P99_MS, 1, True,
                                key, 'ms'))
    largest = max(counts)
    for op in ('list_v2', 'list_v1'):
        key = '%s_%d' % (op, largest)
        out.append(_verdict('%s req/s vs two-hop' % key, m.get(key + '_rps'), two_hop,
                            LIST_FACTOR, False, key, 'req/s'))
    for op in ('filtered_v2', 'sorted_v2', 'filtered_v1', 'sorted_v1'):
        out.append(_verdict('%s at %d images p50 ms' % (op, largest),
                            m.get(op + '_p50_ms'), SCALE_P50_MS, 1, True, op, 'ms'))
    for key in ('concurrent_upload', 'concurrent_download', 'create_delete'):
        errors = m.get(key + '_errors')
        out.append({'target': '%s errors' % key, 'value': errors, 'reference': 0,
                    'ratio': None, 'bound': '== 0', 'met': errors == 0,
                    'workload': key.replace('_upload', '').replace('_download', ''),
                    'unit': ''})
    return out
