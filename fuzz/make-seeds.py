#!/usr/bin/env python3
"""Writes the small committed seed corpus of every fuzz target from the test fixtures.

Run from fuzz/: python3 make-seeds.py (it replaces corpus/)."""
import glob, hashlib, json, os, shutil

BASE = '../ota-core/tests/fixtures'
shutil.rmtree('corpus', ignore_errors=True)

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    os.makedirs(f'corpus/{target}', exist_ok=True)
    with open(f'corpus/{target}/{hashlib.sha1(data).hexdigest()[:16]}', 'wb') as f:
        f.write(data)

for path in sorted(glob.glob(BASE + '/documents/*.json')):
    data = open(path, 'rb').read()
    put('json_value', data)
    put('jobs_payloads', data)
    try:
        put('job_document', json.dumps(json.loads(data)['execution']['jobDocument']))
    except (KeyError, ValueError):
        pass
for topic in ['$aws/things/dev-1/jobs/notify-next', '$aws/things/dev-1/jobs/$next/get/accepted',
              '$aws/things/dev-1/jobs/job-7/update/rejected', '$aws/things/dev-1/jobs/get',
              '$aws/things/dev-1/jobs/start-next/accepted', '$aws/things/dev-1/jobs/notify']:
    put('jobs_topic', topic)
for msg in [bytes.fromhex('a56163637264796161660061 6c1908006f00616244ffffff7f'.replace(' ', '')),
            bytes.fromhex('bf616600616900616c190004617059040000') + bytes(1024) + b'\xff',
            b'{"c":"1","s":1,"l":256,"f":1,"o":20,"n":32,"b":"0x130080"}',
            b'{"o":"BlockSizeOutOfBounds","m":"too big","c":"x"}',
            b'{"c":"x","s":1,"d":"fw","r":[{"f":0,"z":131072},{"f":1,"z":51200}]}',
            b'{"c":"rdy","f":0,"l":4,"i":3,"p":"AAECAw=="}',
            b'$aws/things/dev-1/streams/fw-1/data/cbor']:
    put('stream_messages', msg)
ossl = BASE + '/openssl'
for name in ['p256_sig.b64', 'p256_sig.der', 'rsa2048_pkcs1v15_sig.bin']:
    put('signature_decode', open(f'{ossl}/{name}', 'rb').read())
for name in ['p256_pub.der', 'p256_pub.pem', 'rsa2048_pub.der', 'rsa2048_pkcs1_pub.der', 'rsa3072_pub.pem',
             'rsa1024_pub.der']:
    put('public_key', open(f'{ossl}/{name}', 'rb').read())
put('manifest_verify', b'eyJwcm9kdWN0IjoiYWNtZSJ9\x00MEQCIF2QDvww1G/kpRGZ8FYvQrok1bSZvXjXefRk7sqNcyPTAiB4dvGt8fozIY5'
    b'NC0vUDJ2MY42ZERYEcrbwA4n6q7vrBg==\x00' + b'0' * 64)
for name in ['leaf-p256.der', 'int-p256.der']:
    put('cert_chain', b'\x00' + open(f'{BASE}/x509/{name}', 'rb').read())
# client_ops: a few operation bytes for arbitrary's decoder (flush, deliver, advance...).
put('client_ops', bytes([0, 1, 0, 0, 1, 0, 0, 1, 0, 5, 0, 0, 0, 1, 0]))
for expr in ['cron(0 12 * * ? *)', 'cron(15 10 ? * 6L 2022-2030)', '0/5 8-17 ? * MON-FRI *',
             'cron(0 0 L * ? *)', 'cron(30 2 ? * SUN#2 *)']:
    put('cron_expr', expr.encode())
for query in ['thingName:dev-* AND attributes.rev:b', 'attributes.fw:*',
              'NOT (attributes.region:"eu west" OR attributes.tier:[1 TO *])']:
    put('fleet_query', query.encode())
for req in ['>=1.2.0, <2.0.0', '^1.2', '=1.0.3-rc.1', '~1.4']:
    put('version_req', req.encode())
# Private keys: throwaway test keys, written fresh by openssl in each format the parser reads.
import subprocess, tempfile
with tempfile.TemporaryDirectory() as tmp:
    p256 = f'{tmp}/p256.pem'
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
                    '-out', p256], check=True, capture_output=True)
    put('private_key_pem', open(p256, 'rb').read())
    sec1 = subprocess.run(['openssl', 'ec', '-in', p256], check=True, capture_output=True).stdout
    put('private_key_pem', sec1)
    rsa = subprocess.run(['openssl', 'genrsa', '-traditional', '2048'], check=True,
                         capture_output=True).stdout
    put('private_key_pem', rsa)
# Trust documents made once with ota-cloud (root, sign) and kept in seed-docs/: a trust
# update, its root statement, a floor reset and a latest-statement reply.
for path in sorted(glob.glob('seed-docs/trust_statements/*')):
    put('trust_statements', open(path, 'rb').read())
