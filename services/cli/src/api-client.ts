/**
 * The CLI's way to the REST API: FAXGATE_URL (else FAXGATE_CONSOLE_URL, else
 * http://127.0.0.1:<FAXGATE_HTTP_PORT or 8080>) with FAXGATE_TOKEN (else FAXGATE_CONSOLE_TOKEN)
 * as bearer token, or FAXGATE_CONSOLE_USER/FAXGATE_CONSOLE_PASSWORD for basic auth.
 */
export function apiClient(env: NodeJS.ProcessEnv = process.env) {
  const base = (env.FAXGATE_URL ?? env.FAXGATE_CONSOLE_URL ?? `http://127.0.0.1:${env.FAXGATE_HTTP_PORT || 8080}`).replace(/\/+$/, '');
  const token = env.FAXGATE_TOKEN ?? env.FAXGATE_CONSOLE_TOKEN;
  const auth = token
    ? `Bearer ${token}`
    : env.FAXGATE_CONSOLE_PASSWORD
      ? `Basic ${Buffer.from(`${env.FAXGATE_CONSOLE_USER ?? 'admin'}:${env.FAXGATE_CONSOLE_PASSWORD}`).toString('base64')}`
      : undefined;
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const h: Record<string, string> = { ...(auth ? { authorization: auth } : {}), ...headers };
    let payload: RequestInit['body'];
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      h['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      return await fetch(`${base}${path}`, { method, headers: h, body: payload });
    } catch (err) {
      throw new Error(`cannot reach faxgate at ${base} (set FAXGATE_URL): ${(err as Error).cause ?? (err as Error).message}`);
    }
  };
  return {
    base,
    request,
    /** A JSON call: the status and the parsed answer (an error's text as `{ error }`). */
    async call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any }> {
      const res = await request(method, path, body, headers);
      const text = await res.text();
      try {
        return { status: res.status, json: text ? JSON.parse(text) : {} };
      } catch {
        return { status: res.status, json: { error: text } };
      }
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Prints the API's error (and each problem) on stderr and returns exit code 1. */
export function apiError(r: { status: number; json: any }): number {
  process.stderr.write(`faxgate: ${r.status}: ${String(r.json?.error ?? JSON.stringify(r.json))}\n`);
  for (const p of r.json?.problems ?? []) process.stderr.write(`  ${p.field}: ${p.problem}\n`);
  if (r.status === 401) process.stderr.write('faxgate: set FAXGATE_TOKEN (an API token: `faxgate tokens add`) and FAXGATE_URL\n');
  return 1;
}
