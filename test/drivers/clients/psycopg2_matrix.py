"""The driver matrix's scenarios with psycopg2 (libpq underneath), in one process.

Usage: python3 psycopg2_matrix.py '<targets JSON array>'; prints one JSON object: target label ->
scenario id -> result (or {"na": why}), and `timings`. Results hold values as the driver returns them, made JSON-comparable, never
anything that differs between two sessions (PIDs, timings).
"""
import datetime
import decimal
import hashlib
import io
import json
import os
import select
import socket
import struct
import sys
import threading
import time
import traceback
import uuid

import psycopg2
import psycopg2.extensions
import psycopg2.extras

TARGETS = json.loads(sys.argv[1])
T = TARGETS[0]
S = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenarios.json')))
APP = 'matrix-psycopg2'
psycopg2.extras.register_uuid()


def tagged(sql):
    return sql.replace('{tag}', T['tag'])


def connect(database=None, user=None, password=None, **extra):
    conn = psycopg2.connect(
        host=T['host'], port=T['port'], dbname=database or T['database'], user=user or T['user'],
        password=password or T['password'], sslmode='require' if T['ssl'] else 'disable',
        application_name=APP, connect_timeout=10, **extra)
    conn.autocommit = True
    return conn


def plain(v):
    """A driver value as JSON: the Python type's name and a canonical text."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return 'Decimal:' + str(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return type(v).__name__ + ':' + v.isoformat()
    if isinstance(v, datetime.timedelta):
        return 'timedelta:' + str(v)
    if isinstance(v, memoryview):
        return 'bytes:' + bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return 'UUID:' + str(v)
    return type(v).__name__ + ':' + str(v)


def error(e):
    d = e.diag
    out = {'code': e.pgcode, 'message': d.message_primary}
    for key, value in (('detail', d.message_detail), ('hint', d.message_hint),
                       ('position', d.statement_position), ('constraint', d.constraint_name)):
        if value is not None:
            out[key] = value
    return out


def attempt(cur, sql, params=None):
    try:
        cur.execute(sql, params)
        return {'status': cur.statusmessage, 'rows': plain(cur.fetchall()) if cur.description else None}
    except psycopg2.Error as e:
        return {'error': error(e)}


def types_text(conn):
    cur = conn.cursor()
    cols = S['types']['columns']
    cur.execute('SELECT ' + ', '.join('%s::%s AS %s' % (psycopg2.extensions.adapt(v).getquoted().decode(), t, n)
                                      if v is not None else 'NULL::%s AS %s' % (t, n) for n, t, v in cols))
    row = cur.fetchone()
    oids = [c.type_code for c in cur.description]
    # The same values sent back as parameters: the driver's own encoding of its own types.
    params = [psycopg2.extras.Json(v) if isinstance(v, dict) else v for v in row]
    cur.execute('SELECT ' + ', '.join('%%s::%s AS %s' % (t, n) for n, t, _ in cols), params)
    return {'row': plain(list(row)), 'oids': oids, 'roundTrip': plain(list(cur.fetchone()))}


def prepared(conn):
    cur = conn.cursor()
    cur.execute('PREPARE matrix_stmt(int) AS ' + S['prepared']['sql'])
    out = []
    for i in range(S['prepared']['executions']):
        cur.execute('EXECUTE matrix_stmt(%s)', (i,))
        out.append(plain(list(cur.fetchone())))
    cur.execute('DEALLOCATE matrix_stmt')
    return {'results': out}


def cursor(conn):
    conn.autocommit = False
    cur = conn.cursor(name='matrix_cursor')
    cur.itersize = S['rows']['fetch']
    cur.execute(S['rows']['sql'])
    batches = []
    while True:
        rows = cur.fetchmany(S['rows']['fetch'])
        if not rows:
            break
        batches.append([r[0] for r in rows])
    cur.close()
    conn.commit()
    conn.autocommit = True
    return {'batches': batches}


def copy(conn):
    cur = conn.cursor()
    c = S['copy']
    cur.execute(c['table'])
    cur.copy_expert(c['in'], io.StringIO(c['data']))
    inserted = cur.rowcount
    out = io.StringIO()
    cur.copy_expert(c['out'], out)
    return {'inserted': inserted, 'out': out.getvalue()}


def listen_notify(conn):
    channel = tagged(S['notify']['channel'])
    cur = conn.cursor()
    cur.execute('LISTEN ' + channel)
    other = connect()
    other.cursor().execute('SELECT pg_notify(%s, %s)', (channel, S['notify']['payload']))
    other.close()
    cur.execute('NOTIFY %s, %%s' % channel, ('from myself',))
    deadline = time.time() + 5
    while len(conn.notifies) < 2 and time.time() < deadline:
        select.select([conn], [], [], 0.5)
        conn.poll()
    cur.execute('SELECT pg_backend_pid()')
    own = cur.fetchone()[0]
    return {
        'notifications': [{'channel': n.channel == channel, 'payload': n.payload, 'fromMyself': n.pid == own}
                          for n in conn.notifies],
        # libpq's PID is the one BackendKeyData announced: the server's own pg_backend_pid() directly.
        'backendKeyPidIsBackendPid': conn.get_backend_pid() == own,
    }


def cancel(conn):
    cur = conn.cursor()
    timer = threading.Timer(0.3, conn.cancel)
    timer.start()
    result = attempt(cur, S['sleep'])
    timer.join()
    return {'sleep': result, 'after': attempt(cur, 'SELECT 1')}


def statement_timeout(_):
    conn = connect(options='-c statement_timeout=%d' % S['statementTimeoutMs'])
    cur = conn.cursor()
    out = {'shown': attempt(cur, 'SHOW statement_timeout'), 'sleep': attempt(cur, S['timeoutSleep'])}
    conn.close()
    return out


def startup_settings(_):
    conn = connect(options=S['settings']['options'])
    cur = conn.cursor()
    out = {name: attempt(cur, 'SHOW ' + name)['rows'] for name in S['settings']['show']}
    out['probe'] = attempt(cur, S['settings']['probe'])
    conn.close()
    return out


def multi(conn):
    cur = conn.cursor()
    return attempt(cur, S['multi'])


def errors(conn):
    cur = conn.cursor()
    cur.execute(S['errorsSetup'])
    return [attempt(cur, sql) for sql in S['errors']]


def notices(conn):
    del conn.notices[:]
    cur = conn.cursor()
    cur.execute(S['notices'])
    return {'notices': list(conn.notices), 'status': cur.statusmessage}


def transaction(conn):
    t = S['transaction']
    cur = conn.cursor()
    cur.execute(t['setup'])
    conn.autocommit = False
    out = [attempt(cur, t['insert']), attempt(cur, t['fail']), attempt(cur, t['after'])]
    conn.rollback()
    conn.autocommit = True
    out.append(attempt(cur, t['count']))
    return out


def large(conn):
    cur = conn.cursor()
    cur.execute(S['large']['sql'])
    digest = hashlib.sha256()
    count = 0
    for g, h in cur.fetchall():
        digest.update(('%s,%s\n' % (g, h)).encode())
        count += 1
    return {'rows': count, 'sha256': digest.hexdigest()}


def disconnect(_):
    conn = connect()

    def cut():
        # The TCP connection cut under libpq while the server is still sending rows: shut now, and
        # reset (linger 0) when libpq closes it, as the kernel does for a client that crashed.
        s = socket.socket(fileno=os.dup(conn.fileno()))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.shutdown(socket.SHUT_RDWR)
        s.close()

    timer = threading.Timer(0.5, cut)
    timer.start()
    try:
        conn.cursor().execute(tagged(S['disconnect']['sql']))
        failed = False
    except psycopg2.Error:
        failed = True
    timer.join()
    # Closing the socket is the disconnect the server sees (a shut-down socket still holds its data).
    conn.close()
    return {'clientSawFailure': failed, 'serverBackendGone': backend_gone()}


def backend_gone():
    probe = connect()
    cur = probe.cursor()
    deadline = time.time() + 10
    while True:
        cur.execute(tagged(S['disconnect']['probe']))
        if cur.fetchone()[0] == 0:
            probe.close()
            return True
        if time.time() > deadline:
            probe.close()
            return False
        time.sleep(0.1)


def application_name(conn):
    cur = conn.cursor()
    return {'applicationName': attempt(cur, S['applicationName'])['rows'][0][0],
            'reported': conn.get_parameter_status('application_name')}


def current_user(**kw):
    try:
        conn = connect(**kw)
    except psycopg2.Error as e:
        # libpq gives no SQLSTATE for a failed login: its text, less the server's address.
        return {'error': {'message': str(e).strip().split('failed: ', 1)[-1]}}
    user = attempt(conn.cursor(), S['currentUser'])['rows'][0][0]
    conn.close()
    return {'currentUser': user}


def user_names(_):
    return {
        'scratchUnknown': current_user(user=T['unknownUser']),
        'phiUnknown': current_user(database=T['phiDatabase'], user=T['unknownUser']),
        'phiRole': current_user(database=T['phiDatabase'], user=T['role']['user'], password=T['role']['password']),
    }


def unrestricted(conn):
    cur = conn.cursor()
    return [attempt(cur, tagged(sql)) for sql in S['unrestricted']]


def phi_masking(_):
    conn = connect(database=T['phiDatabase'])
    cur = conn.cursor()
    cur.execute(S['phi']['select'])
    out = {'oids': [c.type_code for c in cur.description], 'rows': plain([list(r) for r in cur.fetchall()])}
    conn.close()
    return out


def phi_refusal(_):
    conn = connect(database=T['phiDatabase'])
    conn.autocommit = False
    cur = conn.cursor()
    out = [attempt(cur, sql) for sql in S['phi']['transaction']]
    conn.rollback()
    conn.autocommit = True
    out.append(attempt(cur, S['phi']['count']))
    conn.close()
    return out


NA_BINARY = 'psycopg2 reads every result in text format'
SCENARIOS = [
    ('types-text', types_text),
    ('types-binary', NA_BINARY),
    ('prepared-reuse', prepared),
    ('pipeline', 'psycopg2 has no pipeline mode'),
    ('portal-row-limit', 'psycopg2 has no protocol-level row limit (named cursors are SQL cursors)'),
    ('cursor', cursor),
    ('copy', copy),
    ('listen-notify', listen_notify),
    ('cancel', cancel),
    ('statement-timeout', statement_timeout),
    ('startup-settings', startup_settings),
    ('multi-statement', multi),
    ('errors', errors),
    ('notices', notices),
    ('transaction-rollback', transaction),
    ('large-result', large),
    ('disconnect-mid-result', disconnect),
    ('application-name', application_name),
    ('user-names', user_names),
    ('scratch-unrestricted', unrestricted),
    ('phi-masking', phi_masking),
    ('phi-policy-refusal', phi_refusal),
]


def main():
    global T
    out = {'timings': {}}
    for T in TARGETS:
        results = {}
        for name, run in SCENARIOS:
            if isinstance(run, str):
                results[name] = {'na': run}
                continue
            started = time.monotonic()
            conn = connect()
            try:
                results[name] = run(conn)
            except Exception as e:  # reported, so the test names the scenario that broke
                results[name] = {'crash': '%s: %s' % (type(e).__name__, e), 'trace': traceback.format_exc()[-800:]}
            finally:
                conn.close()
            out['timings']['%s:%s' % (T['label'], name)] = round((time.monotonic() - started) * 1000)
        out[T['label']] = results
    print(json.dumps(out))


main()
