import { escapeHtml } from './html-escape.ts';

/**
 * A text/plain body as HTML for the layout engine: tabs expanded to 8 columns, lines wrapped at
 * the page width, and monospace when the text looks preformatted (tables, ASCII art), where
 * proportional glyphs would break the columns.
 */
export function textToHtml(text: string): string {
  const expanded = text.replace(/\r\n?/g, '\n').split('\n').map(expandTabs).join('\n');
  const mono = looksPreformatted(expanded);
  const font = mono ? 'font-family: monospace; font-size: 10pt;' : 'font-family: sans-serif; font-size: 11pt;';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body { margin: 0.6in 0.5in; ${font} }
pre { white-space: pre-wrap; margin: 0; ${font} }
</style></head><body><pre>${escapeHtml(expanded)}</pre></body></html>`;
}

export function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) {
    if (ch === '\t') out += ' '.repeat(8 - (out.length % 8));
    else out += ch;
  }
  return out;
}

/** Several lines with runs of 2+ spaces inside, box-drawing or pipe tables: keep the columns. */
export function looksPreformatted(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  if (lines.length < 3) return false;
  const aligned = lines.filter((l) => /\S {2,}\S/.test(l.trimEnd()) || /[|+][-=]{3,}|[─│┌┐└┘├┤]/.test(l)).length;
  return aligned / lines.length >= 0.3;
}
