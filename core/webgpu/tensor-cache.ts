/**
 * tensor-cache.json (MLC's weight index, spec mlc-format.md §4) for the webgpu host, browser-safe:
 * the records and where their bytes are, and a WeightSource that hands out shard bytes (disk in Node,
 * HTTP + Cache API in a browser). Validation mirrors core/runtime/tensor-cache.ts, which is Node-only.
 */

export interface ShardRecord {
  name: string;
  shape: number[];
  dtype: string;
  format: string;
  nbytes: number;
  byteOffset: number;
}

export interface CacheShard {
  dataPath: string;
  nbytes: number;
  records: ShardRecord[];
}

/** Where weights come from: the index and whole shards (each is at most 32 MiB, MLC's sharding rule). */
export interface WeightSource {
  /** A name for messages (a directory or a URL). */
  readonly where: string;
  tensorCache(): Promise<unknown>;
  shard(dataPath: string): Promise<Uint8Array>;
}

/** The part of the Cache API the host uses (declared here: the project compiles without the DOM lib). */
interface CacheStorageLike {
  open(name: string): Promise<{ match(url: string): Promise<Response | undefined>; put(url: string, res: Response): Promise<void> }>;
}

const ITEM_BYTES: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, uint32: 4, int32: 4, int8: 1, uint8: 1 };

export function parseTensorCache(json: unknown, where: string): CacheShard[] {
  const bad = (what: string) => new Error(`${where}/tensor-cache.json is malformed: ${what}; re-run \`nx-mlc convert-weight\``);
  const records = (json as { records?: unknown })?.records;
  if (!Array.isArray(records)) throw bad('no "records" list');
  return records.map((s: Record<string, unknown>, i) => {
    if (typeof s.dataPath !== 'string' || !Array.isArray(s.records)) throw bad(`records[${i}] lacks dataPath or records`);
    if (s.format !== 'raw-shard') throw bad(`records[${i}].format is ${JSON.stringify(s.format)}, expected "raw-shard"`);
    return {
      dataPath: s.dataPath,
      nbytes: Number(s.nbytes),
      records: (s.records as Record<string, unknown>[]).map((r) => {
        const rec: ShardRecord = {
          name: String(r.name),
          shape: (r.shape as unknown[]).map(Number),
          dtype: String(r.dtype),
          format: typeof r.format === 'string' ? r.format : 'raw',
          nbytes: Number(r.nbytes),
          byteOffset: Number(r.byteOffset),
        };
        const item = rec.dtype === 'float32' && rec.format === 'f32-to-bf16' ? 2 : ITEM_BYTES[rec.dtype];
        if (!item || rec.shape.reduce((a, b) => a * b, 1) * item !== rec.nbytes) throw bad(`${rec.name}: nbytes ${rec.nbytes} does not match ${JSON.stringify(rec.shape)} ${rec.dtype}`);
        return rec;
      }),
    };
  });
}

/** Stored bytes -> what the kernels read: float32 records stored as bf16 widen to float32. */
export function decodeRecord(rec: ShardRecord, stored: Uint8Array): Uint8Array {
  if (rec.dtype !== 'float32' || rec.format !== 'f32-to-bf16') return stored;
  const n = rec.nbytes / 2;
  const src = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = src.getUint16(2 * i, true) << 16;
  return new Uint8Array(out.buffer);
}

/**
 * Weights over HTTP. With the Cache API (browsers, secure contexts incl. http://127.0.0.1), every shard and
 * the index are stored under `cacheName` so a reload reads no network; without it, plain fetch.
 */
export class HttpWeightSource implements WeightSource {
  constructor(
    readonly where: string,
    private readonly cacheName = 'nx-mlc-weights',
    private readonly fetchFn: typeof fetch = (...a) => fetch(...a),
  ) {}

  private async get(rel: string): Promise<Response> {
    const url = new URL(rel, this.where.endsWith('/') ? this.where : `${this.where}/`).toString();
    const cacheStorage = (globalThis as { caches?: CacheStorageLike }).caches;
    if (cacheStorage) {
      const cache = await cacheStorage.open(this.cacheName);
      const hit = await cache.match(url);
      if (hit) return hit;
      const res = await this.fetchFn(url);
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
      await cache.put(url, res.clone());
      return res;
    }
    const res = await this.fetchFn(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return res;
  }

  async tensorCache(): Promise<unknown> {
    return (await this.get('tensor-cache.json')).json();
  }

  async shard(dataPath: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.get(dataPath)).arrayBuffer());
  }
}

/** Whether a Cache API entry exists for a URL (the page shows "from cache" with it). */
export async function isCached(url: string, cacheName = 'nx-mlc-weights'): Promise<boolean> {
  const cacheStorage = (globalThis as { caches?: CacheStorageLike }).caches;
  if (!cacheStorage) return false;
  return !!(await (await cacheStorage.open(cacheName)).match(url));
}
