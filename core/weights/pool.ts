import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Job, JobResult, runJob } from './job';
import { buildWorkerScript } from './ts-worker-build';

/**
 * Runs quantizer jobs on worker threads (or inline when threads <= 1). Workers need JavaScript: from the
 * built package the worker is dist/…/quant-worker.js; from TypeScript sources (jest, swc-node) the .ts
 * modules are transpiled to a temp folder first (see ts-worker-build.ts).
 */
export interface JobRunner {
  run(job: Job): Promise<JobResult>;
  close(): Promise<void>;
}

export function createJobRunner(threads: number): JobRunner {
  if (threads <= 1) {
    return { run: async (job) => runJob(job), close: async () => undefined };
  }
  return new WorkerPool(threads);
}

/** A worker running the sibling module `name` (its .js when running compiled; transpiled from .ts otherwise). */
export function spawnTsOrJsWorker(name: string, workerData?: unknown): Worker {
  const js = path.join(__dirname, `${name}.js`);
  if (fs.existsSync(js) && __filename.endsWith('.js')) return track(new Worker(js, { workerData }));
  return track(new Worker(buildWorkerScript(path.join(__dirname, `${name}.ts`)), { workerData }));
}

const exited = new WeakSet<Worker>();

/**
 * Ask a worker to finish its queued messages and exit, and wait for it (rather than `terminate()`, which
 * could cut a shard write short).
 */
export function stopWorker(w: Worker): Promise<void> {
  if (exited.has(w)) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('exit', () => resolve());
    w.ref();
    w.postMessage({ op: 'stop' });
  });
}

function track(w: Worker): Worker {
  w.once('exit', () => exited.add(w));
  return w;
}

function spawnWorker(): Worker {
  return spawnTsOrJsWorker('quant-worker');
}

class WorkerPool implements JobRunner {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: { job: Job; resolve: (r: JobResult) => void; reject: (e: Error) => void }[] = [];
  private readonly busy = new Map<Worker, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const w = spawnWorker();
      w.on('message', (r: JobResult) => {
        const p = this.busy.get(w)!;
        this.busy.delete(w);
        w.unref(); // an idle worker must not keep the process alive
        this.idle.push(w);
        p.resolve(r);
        this.pump();
      });
      w.on('error', (e) => {
        const p = this.busy.get(w);
        this.busy.delete(w);
        if (p) p.reject(e);
      });
      w.unref();
      this.all.push(w);
      this.idle.push(w);
    }
  }

  run(job: Job): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const { job, resolve, reject } = this.queue.shift()!;
      this.busy.set(w, { resolve, reject });
      w.ref();
      w.postMessage(job, [job.src]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map(stopWorker));
  }
}
