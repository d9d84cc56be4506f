import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { hasTaskset, pinned } from '../../dist/cli/bench-kit.js';

/** Every child still running, so that nothing outlives the harness. */
const running = new Set();

// CPU placement is shared with `unixipc bench` (lib/cli/bench/placement.ts).
export const HAS_TASKSET = hasTaskset();

const command = pinned;

export function killAll() {
  for (const proc of running) proc.kill('SIGKILL');
}

/**
 * A child speaking JSON lines on stdout. `next()` resolves with the next
 * parsed line (other lines are kept in `log`) and rejects on timeout or exit.
 */
export class Child {
  constructor(file, args, { cpu, env } = {}) {
    const [cmd, argv] = command(file, args, cpu);
    this.proc = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    running.add(this.proc);
    this.stderr = '';
    this.log = [];
    this.lines = [];
    this.waiter = undefined;
    this.exitInfo = undefined;
    this.proc.stdin.on('error', () => {});
    this.proc.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let value;
      try {
        value = JSON.parse(line);
      } catch {
        this.log.push(line);
        return;
      }
      this.lines.push(value);
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        running.delete(this.proc);
        this.exitInfo = { code, signal };
        this.wake();
        resolve(this.exitInfo);
      });
      this.proc.on('error', (error) => {
        running.delete(this.proc);
        this.stderr += String(error);
        this.exitInfo = { code: -1, signal: null };
        this.wake();
        resolve(this.exitInfo);
      });
    });
  }

  wake() {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** The next JSON line, or an error naming what the child printed on stderr. */
  async next(timeoutMs, what = 'output') {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.lines.length > 0) return this.lines.shift();
      if (this.exitInfo) throw this.failure(`exited (${JSON.stringify(this.exitInfo)}) before its ${what}`);
      const left = deadline - performance.now();
      if (left <= 0) throw this.failure(`no ${what} within ${Math.round(timeoutMs)} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  failure(message) {
    const tail = this.stderr.trim().split('\n').slice(-6).join('\n');
    return new Error(`${message}${tail ? `\n${tail}` : ''}`);
  }

  send(line) {
    if (!this.exitInfo) this.proc.stdin.write(`${line}\n`);
  }

  async kill() {
    if (!this.exitInfo) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Closes stdin and gives the child `graceMs` to exit on its own before killing it. */
  async finish(graceMs = 2_000) {
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Runs a short-lived command and measures its wall time from spawn to exit,
 * as a shell would see it. Resolves with the time and its last JSON line.
 */
export function timedRun(file, args, { cpu, timeoutMs = 10_000 } = {}) {
  const [cmd, argv] = command(file, args, cpu);
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let wallMs;
    const t0 = performance.now();
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-2000);
    });
    proc.on('exit', () => {
      wallMs = performance.now() - t0;
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(proc);
      let result;
      const last = out.trim().split('\n').pop();
      try {
        result = last ? JSON.parse(last) : undefined;
      } catch {
        result = undefined;
      }
      resolve({ wallMs, code, signal, result, stderr: err.trim() });
    });
  });
}
