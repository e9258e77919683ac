import { execFile } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';

// A new embedded data directory is made (initdb) by a child process: initdb
// runs a second WebAssembly instance of PostgreSQL, and a process that did
// it in-process kept 400-800 MB resident for good, while one that opens
// the finished directory idles near 200 MB. The child writes beside the
// directory and renames it into place, so a start killed during initdb
// leaves nothing half-made behind.

const initdbScript = `
  const [url, dir, sharedBuffers] = process.argv.slice(1);
  const { PGlite } = await import(url);
  const lite = await PGlite.create(dir);
  if (sharedBuffers) await lite.exec("alter system set shared_buffers = '" + sharedBuffers + "'");
  await lite.close();`;

/** Makes `dir` a PostgreSQL data directory if it is missing or empty; anything else is left to the engine. */
export async function initEmbeddedDataDir(dir: string, sharedBuffers: string | undefined): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length > 0) return;
  const partial = `${dir}.init`;
  rmSync(partial, { recursive: true, force: true });
  try {
    // sharedBuffers is a validated size (config.ts): digits and a unit.
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', initdbScript, import.meta.resolve('@electric-sql/pglite'), partial, sharedBuffers ?? '']);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`could not create the embedded database in ${dir}: ${(err as { stderr?: string }).stderr || (err as Error).message}`, { cause: err });
  }
  if (existsSync(dir)) rmdirSync(dir); // empty: only then are we here
  renameSync(partial, dir);
}
