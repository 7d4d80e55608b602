import { resolve } from 'node:path';
import { runMain } from '@faxgate/runtime';
import { resolveRoles, ROLE_NAMES } from './roles.ts';
import { configDocs } from './config-docs.ts';

const USAGE = `usage: faxgate <command>

  run <role...>|all        start roles in this process (${ROLE_NAMES.join(', ')})
  tiff info|convert|topdf  inspect and convert fax TIFFs (faxgate tiff --help)
  t38 send|receive         fax over T.38/UDPTL to or from a peer (faxgate t38 --help)
  render <file|.eml>... -o out.tif   preview mails and documents as a fax (faxgate render --help)
  config docs [--check]    regenerate (or check) the variable table in docs/configuration.md
  users|routes|directory   edit the received-fax directory through the console API (faxgate users --help)
  sim receive              offer a simulated incoming fax call to a running gateway (faxgate sim --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run': {
      if (rest.length === 0) {
        process.stderr.write(USAGE);
        return 2;
      }
      let defs;
      try {
        defs = await resolveRoles(rest);
      } catch (err) {
        process.stderr.write(`faxgate: ${(err as Error).message}\n`);
        return 2;
      }
      await runMain(defs);
      return -1; // keeps running until a signal
    }
    case 'config':
      if (rest[0] === 'docs') return configDocs(resolve(import.meta.dirname, '../../../docs/configuration.md'), rest.includes('--check'));
      break;
    case 'users':
    case 'routes':
    case 'directory':
      return (await import('@faxgate/inbound')).directoryCli(command, rest);
    case 'sim':
      return (await import('@faxgate/inbound')).simCli(rest);
    case 'tiff': {
      const mod = (await import('@faxgate/fax-image')) as { tiffCli?: (argv: string[]) => Promise<number> };
      if (!mod.tiffCli) {
        process.stderr.write('faxgate: the tiff command is not available in this build\n');
        return 1;
      }
      return mod.tiffCli(rest);
    }
    case 'render': {
      const { renderCli } = await import('@faxgate/render');
      return renderCli(rest);
    }
    case 't38': {
      const mod = (await import('@faxgate/t38')) as { t38Cli?: (argv: string[]) => Promise<number> };
      if (!mod.t38Cli) {
        process.stderr.write('faxgate: the t38 command is not available in this build\n');
        return 1;
      }
      return mod.t38Cli(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command ? 0 : 2;
  }
  process.stderr.write(`faxgate: unknown command "${argv.join(' ')}"\n${USAGE}`);
  return 2;
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
