import { COMMANDS, overview } from './commands.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(overview());
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(overview());
    return 2;
  }
  // `faxgate help <command> [sub]` is `faxgate <command> [sub] --help`.
  const [word, args] = name === 'help' ? [rest[0], [...rest.slice(1), '--help']] : [name, rest];
  const command = COMMANDS.find((c) => c.name === word);
  if (!command) {
    process.stderr.write(`faxgate: unknown ${word.startsWith('-') ? 'option' : 'command'} "${word}"\n${overview()}`);
    return 2;
  }
  return command.run(args);
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
