import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJobList } from './job-list.ts';
import { parseRecvList } from './recv-list.ts';

test('a JOBFMT listing gives id, state, owner, tag and number', () => {
  const jobs = parseJobList('2\tT\tfaxgate\tfg-tag-1\t5550002\r\n7\tD\troot\t\t+1 555 0002\r\n', 'sendq');
  assert.deepEqual(jobs.map((j) => [j.jobId, j.state, j.owner, j.tag, j.dialString]), [
    [2, 'suspended', 'faxgate', 'fg-tag-1', '5550002'],
    [7, 'done', 'root', '', '+1 555 0002'],
  ]);
});

test('a RCVFMT listing gives the metadata of each received fax', () => {
  // Shaped like hfaxd 6.0.7's answer for a fax from one iaxmodem to the other.
  const line = 'fax000000001.tif\t1795958875\t2\t \t14400\t196\t1728\t0:00:16\t4666\t2-D MMR\t5550040110\t\tFAXGATE MODEM A\tModem A\t\r\n';
  const [f] = parseRecvList(line + 'fax000000002.tif\t1795958999\t1\t*\t0\t98\t1728\t0:00:01\t100\t\t\t\t\t\tRSPREC error\r\n');
  assert.equal(f.file, 'fax000000001.tif');
  assert.equal(f.receivedAt.toISOString(), new Date(1795958875 * 1000).toISOString());
  assert.equal(f.pages, 2);
  assert.equal(f.inProgress, false);
  assert.equal(f.senderTsi, 'FAXGATE MODEM A');
  assert.equal(f.callerNumber, '5550040110');
  assert.equal(f.callerName, 'Modem A');
  assert.equal(f.signalRate, 14400);
  assert.equal(f.verticalResolution, 196);
  const second = parseRecvList(line + 'fax000000002.tif\t1795958999\t1\t*\t0\t98\t1728\t0:00:01\t100\t\t\t\t\t\tRSPREC error\r\n')[1];
  assert.equal(second.inProgress, true);
  assert.equal(second.error, 'RSPREC error');
});

test('a listing in another format is refused rather than misread', () => {
  assert.throws(() => parseRecvList('-rw-r--    2  10       FAXGATE MODEM    13:27 fax000000001.tif\r\n'), SyntaxError);
  assert.throws(() => parseJobList('1    127 D   root 5550002       2:2   1:12\r\n', 'doneq'), SyntaxError);
});
