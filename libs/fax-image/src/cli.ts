// `faxgate tiff …`: inspect, convert and turn fax TIFFs into PDF from the command line.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { VerticalResolution } from './convert.ts';
import type { FaxCompression } from './t4-encode.ts';
import { convertTiff } from './tiff-convert.ts';
import { readTiff } from './tiff-read.ts';
import { tiffToPdf } from './tiff-to-pdf.ts';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const USAGE = `usage:
  faxgate tiff info <file>
  faxgate tiff convert <in> -o <out> [--compression mh|mr|mmr] [--resolution standard|fine|superfine] [--width a4|b4|a3|<pixels>] [--centre]
  faxgate tiff topdf <in> -o <out.pdf>
  -h, --help    this text
`;

class UsageError extends Error {}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

async function info(file: string, io: CliIo): Promise<void> {
  const pages = readTiff(await readFile(file));
  io.out(`${file}: ${pages.length} page${pages.length === 1 ? '' : 's'}\n`);
  pages.forEach((p, i) => {
    const { badRows } = p.decodeWithStats();
    const bad = p.badFaxLines !== undefined ? `, BadFaxLines ${p.badFaxLines}` : '';
    io.out(`page ${i + 1}: ${p.width}x${p.height}, ${p.xDpi}x${p.yDpi} dpi, ${p.compression}, FillOrder ${p.fillOrder}, ` +
      `${p.strips.length} strip${p.strips.length === 1 ? '' : 's'}${bad}, damaged rows ${badRows}\n`);
  });
}

/**
 * Runs `faxgate tiff <argv…>` (argv starts after the word `tiff`).
 * @returns the exit code: 0 done, 1 the file could not be read or written, 2 bad usage.
 */
export async function tiffCli(argv: string[], io: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
}): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (command?.startsWith('-')) throw new UsageError(`unknown option ${command} (a command comes first: info, convert or topdf)`);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        compression: { type: 'string' },
        resolution: { type: 'string' },
        width: { type: 'string' },
        centre: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (command === undefined) {
      io.err(USAGE);
      return 2;
    }
    if (!['info', 'convert', 'topdf'].includes(command)) throw new UsageError(`unknown command "${command}"`);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one input file`);
    const input = positionals[0];
    switch (command) {
      case 'info':
        await info(input, io);
        return 0;
      case 'convert': {
        if (!values.output) throw new UsageError('convert needs -o <out>');
        const compression = oneOf<FaxCompression>(values.compression, ['mh', 'mr', 'mmr'], 'compression');
        const resolution = oneOf<VerticalResolution>(values.resolution, ['standard', 'fine', 'superfine'], 'resolution');
        let width: 'a4' | 'b4' | 'a3' | number | undefined;
        if (values.width !== undefined) {
          width = /^\d+$/.test(values.width) ? Number(values.width) : oneOf(values.width, ['a4', 'b4', 'a3'] as const, 'width');
          if (width === 0) throw new UsageError('--width must be positive');
        }
        const out = convertTiff(await readFile(input), { compression, resolution, width, widthMode: values.centre ? 'centre' : 'scale' });
        await writeFile(values.output, out);
        return 0;
      }
      case 'topdf': {
        if (!values.output) throw new UsageError('topdf needs -o <out.pdf>');
        await writeFile(values.output, tiffToPdf(await readFile(input)));
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`faxgate tiff: ${(e as Error).message}\n${usage ? USAGE : ''}`);
    return usage ? 2 : 1;
  }
}
