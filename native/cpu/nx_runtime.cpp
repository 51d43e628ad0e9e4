// The cpu runtime compiled into every library: the nxmlc ABI (native/include/nxmlc_abi.h) on top of
// a generated model definition (nx_model_definition), a persistent thread pool, parameter storage and
// the KV cache. Prefill is chunked by prefill_chunk_size; decode is a forward of one token.
#include "nxmlc_abi.h"
#include "nx_kernel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void nx_relax() { _mm_pause(); }
#else
static inline void nx_relax() {}
#endif

// ---------------- thread pool ----------------
// A parallel-for is cut into a few chunks per thread that participants claim from one atomic ticket
// (generation << 32 | next chunk). The caller works too and only waits for chunks that were claimed
// and are still running, so a worker that the OS has not scheduled (an oversubscribed CI machine)
// costs nothing: its share is taken by whoever is running. Workers spin briefly (a decode step issues
// a few hundred short parallel-fors), then yield, then sleep. Each row of a kernel is computed by
// exactly one thread, so results do not depend on who ran which chunk.
struct nx_pool {
  int nthreads = 1;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> wake{0};
  std::atomic<uint64_t> ticket{0};
  std::atomic<int64_t> done{0};
  uint32_t gen = 0;
  int64_t chunks = 0;
  nx_range_fn fn = nullptr;
  void *ctx = nullptr;
  int64_t lo = 0, hi = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};

  void exec(int64_t i) const {
    const int64_t per = (hi - lo + chunks - 1) / chunks;
    const int64_t a = lo + i * per, b = std::min(hi, a + per);
    if (a < b) fn(ctx, a, b);
  }

  // Claim and run chunks of job `g` until none is left (or the job is no longer current).
  void work(uint64_t g) {
    for (;;) {
      uint64_t t = ticket.load(std::memory_order_acquire);
      if ((t >> 32) != g) return;
      const int64_t i = (int64_t)(t & 0xffffffffu);
      if (i >= chunks) return;
      if (ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) {
        exec(i);
        done.fetch_add(1, std::memory_order_acq_rel);
      }
    }
  }

  void worker() {
    uint64_t seen = 0;
    for (;;) {
      int spins = 0;
      while (wake.load(std::memory_order_acquire) == seen) {
        ++spins;
        if (spins < 20000) { nx_relax(); continue; }
        if (spins < 22000) { std::this_thread::yield(); continue; }
        std::unique_lock<std::mutex> lk(mu);
        sleepers.fetch_add(1);
        cv.wait(lk, [&] { return wake.load(std::memory_order_acquire) != seen; });
        sleepers.fetch_sub(1);
      }
      seen = wake.load(std::memory_order_acquire);
      if (stop.load()) return;
      work(ticket.load(std::memory_order_acquire) >> 32);
    }
  }

  explicit nx_pool(int n) : nthreads(n) {
    for (int i = 1; i < n; ++i) threads.emplace_back([this] { worker(); });
  }

  ~nx_pool() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop.store(true);
      wake.fetch_add(1, std::memory_order_acq_rel);
    }
    cv.notify_all();
    for (auto &t : threads) t.join();
  }

  void run(int64_t a, int64_t b, nx_range_fn f, void *c) {
    fn = f; ctx = c; lo = a; hi = b;
    chunks = std::min<int64_t>(b - a, (int64_t)nthreads * 4);
    done.store(0, std::memory_order_relaxed);
    const uint64_t g = ++gen;
    ticket.store(g << 32, std::memory_order_release);
    if (sleepers.load() > 0) {
      { std::lock_guard<std::mutex> lk(mu); wake.fetch_add(1, std::memory_order_acq_rel); }
      cv.notify_all();
    } else {
      wake.fetch_add(1, std::memory_order_acq_rel);
    }
    work(g);
    for (int spins = 0; done.load(std::memory_order_acquire) < chunks; ++spins) {
      if (spins < 20000) nx_relax();
      else std::this_thread::yield();
    }
  }
};

nx_pool *nx_pool_create(int threads) { return new nx_pool(threads > 0 ? threads : (int)std::max(1u, std::thread::hardware_concurrency())); }
void nx_pool_destroy(nx_pool *pool) { delete pool; }

void nx_pool_run(nx_pool *pool, int64_t lo, int64_t hi, nx_range_fn fn, void *ctx) {
  if (!pool || pool->nthreads <= 1) { fn(ctx, lo, hi); return; }
  pool->run(lo, hi, fn, ctx);
}

// ---------------- model instance ----------------
static void *aligned_bytes(size_t n) {
  void *p = nullptr;
  if (posix_memalign(&p, 64, std::max<size_t>(n, 64)) != 0) return nullptr;
  return p;
}

struct nxmlc_model {
  const nx_model_def *def = nullptr;
  nx_pool *pool = nullptr;
  std::vector<void *> params;
  std::vector<float *> scratch;
  float *kv = nullptr;
  int32_t cap = 0;
  int32_t seq_len = 0;
  bool finalized = false;
  std::string error;
  std::unordered_map<std::string, int> index;

  int32_t fail(int32_t code, const std::string &msg) { error = msg; return code; }
};

enum : int32_t { NX_OK = 0, NX_BAD_ARG = 1, NX_NOT_FINALIZED = 2, NX_CONTEXT_FULL = 3, NX_BAD_TOKEN = 4, NX_NO_MEMORY = 5 };

static void write_err(char *err, int32_t len, const std::string &msg) {
  if (err && len > 0) std::snprintf(err, (size_t)len, "%s", msg.c_str());
}

extern "C" {

NXMLC_API const char *nxmlc_metadata(void) { return nx_model_definition()->metadata; }

NXMLC_API nxmlc_model *nxmlc_create(int32_t num_threads, int32_t context_window_size, char *err, int32_t err_len) {
  const nx_model_def *def = nx_model_definition();
  if (context_window_size > def->context_window_size) {
    write_err(err, err_len, "context_window_size " + std::to_string(context_window_size) + " exceeds the compiled maximum " +
                                std::to_string(def->context_window_size));
    return nullptr;
  }
  auto *m = new nxmlc_model();
  m->def = def;
  m->cap = context_window_size > 0 ? context_window_size : def->context_window_size;
  int threads = num_threads > 0 ? num_threads : (int)std::max(1u, std::thread::hardware_concurrency());
  m->params.assign(def->num_params, nullptr);
  for (int i = 0; i < def->num_params; ++i) m->index[def->params[i].name] = i;
  for (int i = 0; i < def->num_scratch; ++i) {
    float *s = (float *)aligned_bytes(sizeof(float) * (size_t)def->prefill_chunk_size * (size_t)def->scratch_width[i]);
    if (!s) { write_err(err, err_len, "out of memory (activations)"); nxmlc_destroy(m); return nullptr; }
    m->scratch.push_back(s);
  }
  const size_t kv_floats = (size_t)def->kv_layers * 2 * def->kv_heads * (size_t)m->cap * def->head_dim;
  m->kv = (float *)aligned_bytes(kv_floats * sizeof(float));
  if (!m->kv) {
    write_err(err, err_len, "out of memory: KV cache of " + std::to_string(kv_floats * 4) + " bytes; pass a smaller context_window_size");
    nxmlc_destroy(m);
    return nullptr;
  }
  m->pool = new nx_pool(threads);
  return m;
}

NXMLC_API int32_t nxmlc_set_param(nxmlc_model *m, const char *name, const char *dtype, const int64_t *shape, int32_t ndim,
                                  const void *data, int64_t nbytes) {
  if (!m || !name || !dtype || !data) return m ? m->fail(NX_BAD_ARG, "null argument") : NX_BAD_ARG;
  auto it = m->index.find(name);
  if (it == m->index.end()) return m->fail(NX_BAD_ARG, std::string("unknown parameter ") + name);
  const nx_param_spec &s = m->def->params[it->second];
  if (std::string(dtype) != s.dtype)
    return m->fail(NX_BAD_ARG, std::string("parameter ") + name + ": dtype " + dtype + ", expected " + s.dtype);
  bool same = ndim == s.ndim;
  for (int i = 0; same && i < ndim; ++i) same = shape[i] == s.shape[i];
  if (!same) return m->fail(NX_BAD_ARG, std::string("parameter ") + name + ": shape does not match the compiled model");
  if (nbytes != s.nbytes)
    return m->fail(NX_BAD_ARG, std::string("parameter ") + name + ": " + std::to_string(nbytes) + " bytes, expected " + std::to_string(s.nbytes));
  void *p = m->params[it->second];
  if (!p) p = aligned_bytes((size_t)nbytes);
  if (!p) return m->fail(NX_NO_MEMORY, std::string("out of memory for ") + name);
  std::memcpy(p, data, (size_t)nbytes);
  m->params[it->second] = p;
  m->finalized = false;
  return NX_OK;
}

NXMLC_API int32_t nxmlc_finalize(nxmlc_model *m) {
  if (!m) return NX_BAD_ARG;
  std::string missing;
  int count = 0;
  for (int i = 0; i < m->def->num_params; ++i) {
    if (m->params[i]) continue;
    if (count++ < 5) missing += std::string(missing.empty() ? "" : ", ") + m->def->params[i].name;
  }
  if (count) return m->fail(NX_BAD_ARG, std::to_string(count) + " parameter(s) not set: " + missing + (count > 5 ? ", ..." : ""));
  m->finalized = true;
  m->error.clear();
  return NX_OK;
}

NXMLC_API int32_t nxmlc_prefill(nxmlc_model *m, const int32_t *tokens, int32_t n, float *logits_out, int32_t all_logits) {
  if (!m) return NX_BAD_ARG;
  if (!m->finalized) return m->fail(NX_NOT_FINALIZED, "nxmlc_finalize has not succeeded");
  if (n <= 0 || !tokens || !logits_out) return m->fail(NX_BAD_ARG, "prefill needs n > 0 tokens and a logits buffer");
  if ((int64_t)m->seq_len + n > m->cap)
    return m->fail(NX_CONTEXT_FULL, "context full: " + std::to_string(m->seq_len) + " + " + std::to_string(n) + " tokens > " + std::to_string(m->cap));
  const int32_t V = m->def->vocab_size;
  for (int32_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= V) return m->fail(NX_BAD_TOKEN, "token id " + std::to_string(tokens[i]) + " out of range");
  nx_state st{m->pool, m->params.data(), m->scratch.data(), m->kv, m->cap};
  const int32_t chunk = m->def->prefill_chunk_size;
  for (int32_t off = 0; off < n; off += chunk) {
    const int32_t c = std::min(chunk, n - off);
    const bool last = off + c == n;
    if (all_logits) m->def->forward(&st, tokens + off, c, m->seq_len, logits_out + (size_t)off * V, 0, c);
    else m->def->forward(&st, tokens + off, c, m->seq_len, logits_out, c - 1, last ? 1 : 0);
    m->seq_len += c;
  }
  return NX_OK;
}

NXMLC_API int32_t nxmlc_decode(nxmlc_model *m, int32_t token, float *logits_out) { return nxmlc_prefill(m, &token, 1, logits_out, 0); }

NXMLC_API int32_t nxmlc_seq_len(nxmlc_model *m) { return m ? m->seq_len : 0; }

NXMLC_API void nxmlc_reset(nxmlc_model *m) {
  if (m) m->seq_len = 0;
}

NXMLC_API void nxmlc_destroy(nxmlc_model *m) {
  if (!m) return;
  delete m->pool;
  for (void *p : m->params) std::free(p);
  for (float *s : m->scratch) std::free(s);
  std::free(m->kv);
  delete m;
}

NXMLC_API const char *nxmlc_last_error(nxmlc_model *m) { return m ? m->error.c_str() : "null model"; }

}  // extern "C"
