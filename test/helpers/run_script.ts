/**
 * Runs a TypeScript script in a child Node process (`node --import tsx SCRIPT ...args`) without blocking this test
 * process: spawnSync would stop its event loop for the whole run, and a test of several runs then kept vitest's
 * worker from answering its own RPC for over a minute ("Timeout calling onTaskUpdate", counted as a failure).
 */
import { spawn } from 'node:child_process';

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
