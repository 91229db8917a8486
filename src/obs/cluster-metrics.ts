import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, register } from 'prom-client';

/**
 * One scrape for a whole `serve --workers N` (web-api-ops §5.2). Any web worker can receive the
 * scrape (the kernel spreads connections), so:
 *
 *   1. the web worker asks the primary (`ASK`, with a request number);
 *   2. the primary asks every connected web worker for its registry as JSON (`COLLECT`), adds
 *      its own registry (it runs the job threads when there is no Redis), and sums them with
 *      prom-client's `AggregatorRegistry.aggregate` (each metric's own aggregator: counters and
 *      histograms add up, build info takes the max, …);
 *   3. the primary answers the asking worker with the exposition text (`ANSWER`).
 *
 * A worker that does not answer within COLLECT_TIMEOUT_MS (crashed, stuck) is left out of that
 * scrape rather than failing it; the asking worker gives up after ASK_TIMEOUT_MS (503).
 * prom-client's own cluster listener is not used: it cannot include the primary's registry.
 */

const ASK = 'payrixa:metrics-ask';
const ANSWER = 'payrixa:metrics-answer';
const COLLECT = 'payrixa:metrics-collect';
const COLLECTED = 'payrixa:metrics-collected';

export const COLLECT_TIMEOUT_MS = 3_000;
export const ASK_TIMEOUT_MS = 5_000;

type RegistryJson = MetricObjectWithValues<MetricValue<string>>[];

interface AskMessage {
  type: typeof ASK;
  id: number;
}
interface AnswerMessage {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}
interface CollectMessage {
  type: typeof COLLECT;
  id: number;
}
interface CollectedMessage {
  type: typeof COLLECTED;
  id: number;
  metrics: RegistryJson;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** Where `/metrics` gets its text: this process's registry, or the cluster's (web workers). */
let metricsSource: () => Promise<string> = () => register.metrics();

/** The exposition text a `/metrics` scrape of this process answers. */
export function scrapeMetrics(): Promise<string> {
  return metricsSource();
}

/**
 * In a web worker of `serve --workers N`: answer the primary's collections with this
 * process's registry, and serve `/metrics` scrapes with the primary's aggregate.
 */
export function useClusterMetricsInWorker(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('cluster metrics need an IPC channel to the primary');
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (isMessage<CollectMessage>(message, COLLECT)) {
      void register
        .getMetricsAsJSON()
        .then((metrics) => send({ type: COLLECTED, id: message.id, metrics } satisfies CollectedMessage))
        // An unreadable registry: the primary's timeout leaves this worker out of the scrape.
        .catch(() => {});
    } else if (isMessage<AnswerMessage>(message, ANSWER)) {
      const pending = waiting.get(message.id);
      if (!pending) return;
      waiting.delete(message.id);
      if (message.text !== undefined) pending.resolve(message.text);
      else pending.reject(new Error(message.error ?? 'no metrics from the primary'));
    }
  });
  metricsSource = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the primary did not answer within ${ASK_TIMEOUT_MS} ms`));
      }, ASK_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      send({ type: ASK, id } satisfies AskMessage);
    });
}

/**
 * In the primary of `serve --workers N`: answer web workers' scrapes with the aggregate of
 * every web worker and the primary itself. Returns a function that stops listening.
 */
export function aggregateClusterMetrics(onMissing: (workerPids: number[]) => void = () => {}): () => void {
  let nextId = 0;
  const collections = new Map<number, (worker: Worker, metrics: RegistryJson) => void>();

  async function gather(): Promise<string> {
    const id = nextId++;
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker?.isConnected() === true,
    );
    const received = new Map<Worker, RegistryJson>();
    const allIn = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      collections.set(id, (worker, metrics) => {
        received.set(worker, metrics);
        if (received.size >= workers.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      if (workers.length === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
    for (const worker of workers) worker.send({ type: COLLECT, id } satisfies CollectMessage);
    const own = await register.getMetricsAsJSON();
    await allIn;
    collections.delete(id);
    const missing = workers.filter((worker) => !received.has(worker));
    if (missing.length > 0) onMissing(missing.map((worker) => worker.process.pid ?? 0));
    return AggregatorRegistry.aggregate([own, ...received.values()]).metrics();
  }

  const onMessage = (worker: Worker, message: unknown): void => {
    if (isMessage<CollectedMessage>(message, COLLECTED)) {
      collections.get(message.id)?.(worker, message.metrics);
    } else if (isMessage<AskMessage>(message, ASK)) {
      gather()
        .then((text) => sendIfConnected(worker, { type: ANSWER, id: message.id, text }))
        .catch((error: unknown) =>
          sendIfConnected(worker, { type: ANSWER, id: message.id, error: String(error) }),
        );
    }
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}

function sendIfConnected(worker: Worker, message: AnswerMessage): void {
  if (worker.isConnected()) worker.send(message);
}
