// Starts `igfeed demo` and Debian's chromium for a browser test, and stops both afterwards.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const binary = process.env.IGFEED_BIN || `${repo}target/debug/igfeed`;

/**
 * Runs `igfeed demo` on a free port; resolves with its admin URL and password. `settings`
 * are extra `IGFEED__…` variables (the admin API's token, say).
 */
export async function startDemo(args = [], settings = {}) {
  // The demo generates its own password; settings from the caller's shell must not leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IGFEED')));
  const child = spawn(binary, ['demo', '--port', '0', ...args], {
    // JPEG only unless a test asks for AVIF: its encodes take seconds of CPU per image in the
    // background, and the tests share two cores with chromium.
    env: { ...env, IGFEED__MEDIA__FORMATS: '', ...settings, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let admin;
  let password;
  for await (const line of lines) {
    const match = line.match(/Admin:\s+(\S+)\s+password:\s+(\S+)/);
    if (match) {
      [, admin, password] = match;
      break;
    }
  }
  clearTimeout(deadline);
  if (!admin) throw new Error('igfeed demo printed no admin URL');
  const origin = new URL(admin).origin;
  return {
    admin,
    origin,
    password,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Debian's chromium, headless, no network beyond loopback. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}
