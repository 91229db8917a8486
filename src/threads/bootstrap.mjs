// Entry of every worker thread of Payrixa (embedded database host, job threads): registers
// tsx's loader in this thread (loaders are per thread), then runs the TypeScript entry named
// in workerData.entry. Plain JavaScript because nothing can load TypeScript before this runs.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
