import { parentPort } from 'node:worker_threads';
import { Job, runJob } from './job';

/** Worker thread entry: runs quantizer jobs and hands the output buffers back without copying. */
parentPort?.on('message', (job: Job | { op: 'stop' }) => {
  if ('op' in job) return parentPort!.close(); // exit once idle
  const result = runJob(job);
  parentPort!.postMessage(result, [...result.outputs, result.src]);
});
