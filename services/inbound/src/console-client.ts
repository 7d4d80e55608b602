/**
 * The CLI's way to the console API: FAXGATE_CONSOLE_URL (default http://127.0.0.1:<FAXGATE_HTTP_PORT
 * or 8080>) with FAXGATE_CONSOLE_TOKEN as bearer token, or FAXGATE_CONSOLE_USER and
 * FAXGATE_CONSOLE_PASSWORD for basic auth.
 */
export function consoleClient(env: NodeJS.ProcessEnv = process.env) {
  const base = (env.FAXGATE_CONSOLE_URL ?? `http://127.0.0.1:${env.FAXGATE_HTTP_PORT || 8080}`).replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (env.FAXGATE_CONSOLE_TOKEN) headers.authorization = `Bearer ${env.FAXGATE_CONSOLE_TOKEN}`;
  else if (env.FAXGATE_CONSOLE_PASSWORD) headers.authorization = `Basic ${Buffer.from(`${env.FAXGATE_CONSOLE_USER ?? 'admin'}:${env.FAXGATE_CONSOLE_PASSWORD}`).toString('base64')}`;
  return {
    base,
    async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { ...headers, ...(body !== undefined ? { 'content-type': contentType } : {}) },
          body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : (body as Uint8Array),
        });
      } catch (err) {
        throw new Error(`cannot reach the console at ${base} (set FAXGATE_CONSOLE_URL): ${(err as Error).cause ?? (err as Error).message}`);
      }
      const text = await res.text();
      let json: Record<string, unknown>;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        json = { error: text };
      }
      return { status: res.status, json };
    },
  };
}

/** Prints the API's error (and its issues) and returns the exit code. */
export function reportError(r: { status: number; json: Record<string, unknown> }): number {
  process.stderr.write(`faxgate: ${r.status}: ${String(r.json.error ?? JSON.stringify(r.json))}\n`);
  if (r.status === 401) process.stderr.write('faxgate: set FAXGATE_CONSOLE_TOKEN (or FAXGATE_CONSOLE_PASSWORD)\n');
  return 1;
}
