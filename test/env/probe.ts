// One-shot HTTP(S) GETs for readiness checks: short timeouts, never throwing on HTTP status
// (the caller decides what "ready" means), throwing only on connection errors.
import http from 'node:http';
import https from 'node:https';

export interface ProbeTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Daemons that generate their own serving certificate (kube-controller-manager). */
  insecure?: boolean;
}

export async function httpGet(url: string, tls: ProbeTls = {}, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    };
    const req = url.startsWith('https:')
      ? https.get(url, { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.insecure !== true, timeout: timeoutMs, agent: false }, onResponse)
      : http.get(url, { timeout: timeoutMs, agent: false }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${String(timeoutMs)}ms`)));
    req.on('error', reject);
  });
}
