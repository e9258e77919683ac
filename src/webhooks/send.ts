import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPublicAddress } from './address-guard.js';
import { sign } from './signing.js';

export interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * POSTs one event, signed (Standard Webhooks): 2xx within the timeout is
 * delivered, anything else a failed attempt. Redirects are not followed and
 * the answer's body is drained and dropped.
 */
export async function sendEvent(
  target: { url: string; secret: string },
  event: { id: string; type: string; occurredAt: string; data: unknown },
  opts: { timeoutMs: number; allowInsecure: boolean },
): Promise<Outcome> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'cash-ledger-webhooks/1',
    'webhook-id': event.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(target.secret, event.id, timestamp, body),
  };
  try {
    const status = await post(target.url, headers, body, opts);
    return status >= 200 && status < 300 ? { ok: true, status, error: null } : { ok: false, status, error: `HTTP ${status}` };
  } catch (err) {
    // The request's signal aborts it with an AbortError whose cause is the TimeoutError.
    const e = err as Error & { cause?: { name?: string } };
    const timedOut = e.name === 'TimeoutError' || (e.name === 'AbortError' && e.cause?.name === 'TimeoutError');
    const error = timedOut ? `no answer in ${opts.timeoutMs} ms` : String(e.message ?? err).slice(0, 200);
    return { ok: false, status: null, error };
  }
}

function post(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowInsecure: boolean }): Promise<number> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowInsecure && (u.protocol !== 'https:' || (isIP(host) && !isPublicAddress(host)))) {
    return Promise.reject(new Error('refused: not an https URL to a public address'));
  }
  const send = u.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: guardedLookup(opts.allowInsecure),
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
