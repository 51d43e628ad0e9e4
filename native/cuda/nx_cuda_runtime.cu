// The CUDA runtime compiled into every cuda-target library: the nxmlc ABI (native/include/nxmlc_abi.h) on
// top of a generated model definition (nx_cuda_model_definition). Parameters, activations, the KV cache and
// logits live on the GPU; prefill is chunked by prefill_chunk_size; a decode step is one replay of a CUDA
// graph captured from the n = 1 forward (the position is read from device memory, so the graph never
// changes). cudart is linked statically (nvcc's default), so the library needs only the driver at run time.
//
// Beyond ABI v1 the library exports two calls that keep sampling on the GPU (only token ids cross to the host):
//   int32_t nxmlc_decode_sample(nxmlc_model *m, int32_t token, float temperature, uint64_t seed, int32_t *next);
//   int32_t nxmlc_generate(nxmlc_model *m, int32_t token, int32_t n, float temperature, uint64_t seed, int32_t *out);
// temperature <= 0 is greedy (argmax, lowest index on ties, like the reference).
#include "nxmlc_abi.h"
#include "nx_cuda.h"
#include "nx_cuda_kernels.cuh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

enum : int32_t { NX_OK = 0, NX_BAD_ARG = 1, NX_NOT_FINALIZED = 2, NX_CONTEXT_FULL = 3, NX_BAD_TOKEN = 4, NX_NO_MEMORY = 5, NX_CUDA = 6 };

// Logits of at most this many rows are produced per forward; all-logits prefill runs in sub-chunks of it,
// so the device logits buffer stays small for 150k-token vocabularies.
constexpr int32_t kLogitRows = 64;
constexpr int32_t kMaxSplits = 32;  // nx_attn_decode combines at most 32 splits (one warp)

void write_err(char *err, int32_t len, const std::string &msg) {
  if (err && len > 0) std::snprintf(err, (size_t)len, "%s", msg.c_str());
}

std::string cuda_msg(cudaError_t e, const char *what) {
  return std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
}

bool pdl_requested() {
  const char *v = std::getenv("NXMLC_CUDA_PDL");
  return !(v && v[0] == '0');
}

bool graphs_enabled() {
  const char *v = std::getenv("NXMLC_CUDA_GRAPHS");
  return !(v && v[0] == '0');
}

}  // namespace

bool nx_pdl_enabled = false;

struct nxmlc_model {
  const nx_cuda_model_def *def = nullptr;
  std::vector<void *> params;       // device
  std::vector<float *> scratch;     // device
  float *kv = nullptr;
  float *logits = nullptr;          // device [kLogitRows, V]
  float *attn_ws = nullptr;         // device: split-K partials, then attn_cnt
  int32_t *attn_cnt = nullptr;      // device [q_heads] arrival counters, inside the attn_ws allocation
  half *mm_xh = nullptr;            // device [chunk, def->mm_xh_width] (null when the library has no mma.sync matmul)
  int32_t *d_tokens = nullptr;      // device [chunk]
  int32_t *d_pos = nullptr;         // device: pos, step (2 ints)
  int32_t *d_out = nullptr;         // device [cap] generated tokens
  int32_t *h_stage = nullptr;       // pinned [chunk + 2]
  cudaStream_t stream = nullptr;
  cudaGraphExec_t g_logits = nullptr;  // forward(n = 1) -> logits
  cudaGraphExec_t g_sample = nullptr;  // forward(n = 1) + sample (temperature/seed baked per capture)
  float g_sample_temp = 0.f;
  unsigned long long g_sample_seed = 0;
  int32_t splits = 1;
  int32_t cap = 0;
  int32_t seq_len = 0;
  bool finalized = false;
  std::string error;
  std::unordered_map<std::string, int> index;

  int32_t fail(int32_t code, const std::string &msg) { error = msg; return code; }
  int32_t check(cudaError_t e, const char *what) { return e == cudaSuccess ? NX_OK : fail(NX_CUDA, cuda_msg(e, what)); }

  nx_cuda_state state() {
    return nx_cuda_state{params.data(), scratch.data(), kv, cap, d_tokens, d_pos, logits, attn_ws, splits, stream,
                         attn_cnt, mm_xh};
  }
};

static void free_graphs(nxmlc_model *m) {
  if (m->g_logits) cudaGraphExecDestroy(m->g_logits);
  if (m->g_sample) cudaGraphExecDestroy(m->g_sample);
  m->g_logits = m->g_sample = nullptr;
}

// Capture `body` (which enqueues on m->stream) into an executable graph.
template <class F> static int32_t capture(nxmlc_model *m, cudaGraphExec_t *out, F &&body) {
  cudaGraph_t g = nullptr;
  if (int32_t r = m->check(cudaStreamBeginCapture(m->stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture")) return r;
  body();
  cudaError_t e = cudaStreamEndCapture(m->stream, &g);
  if (e != cudaSuccess) return m->fail(NX_CUDA, cuda_msg(e, "cudaStreamEndCapture"));
  e = cudaGraphInstantiate(out, g, 0);
  cudaGraphDestroy(g);
  return m->check(e, "cudaGraphInstantiate");
}

extern "C" {

NXMLC_API const char *nxmlc_metadata(void) { return nx_cuda_model_definition()->metadata; }

NXMLC_API nxmlc_model *nxmlc_create(int32_t num_threads, int32_t context_window_size, char *err, int32_t err_len) {
  (void)num_threads;
  const nx_cuda_model_def *def = nx_cuda_model_definition();
  if (context_window_size > def->context_window_size) {
    write_err(err, err_len, "context_window_size " + std::to_string(context_window_size) + " exceeds the compiled maximum " +
                                std::to_string(def->context_window_size));
    return nullptr;
  }
  int ndev = 0;
  cudaError_t e = cudaGetDeviceCount(&ndev);
  if (e != cudaSuccess || ndev == 0) {
    write_err(err, err_len, e != cudaSuccess ? cuda_msg(e, "no usable CUDA device") : std::string("no CUDA device"));
    return nullptr;
  }
  {
    int dev = 0, major = 0;
    cudaGetDevice(&dev);
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    nx_pdl_enabled = pdl_requested() && major >= 9;
  }
  // Generic (non fast-path) kernels with scratch arrays allocate them from the device heap; libraries whose
  // plan runs entirely on fast paths need none.
  if (def->device_heap_mb > 0) {
    size_t cur = 0;
    cudaDeviceGetLimit(&cur, cudaLimitMallocHeapSize);
    if (cur < ((size_t)def->device_heap_mb << 20)) cudaDeviceSetLimit(cudaLimitMallocHeapSize, (size_t)def->device_heap_mb << 20);
    cudaGetLastError();
  }
  auto *m = new nxmlc_model();
  m->def = def;
  m->cap = context_window_size > 0 ? context_window_size : def->context_window_size;
  m->splits = std::max(1, std::min(kMaxSplits, (m->cap + 127) / 128));
  m->params.assign(def->num_params, nullptr);
  for (int i = 0; i < def->num_params; ++i) m->index[def->params[i].name] = i;
  const int32_t chunk = def->prefill_chunk_size;
  auto fail = [&](const std::string &msg) {
    write_err(err, err_len, msg);
    nxmlc_destroy(m);
    return (nxmlc_model *)nullptr;
  };
  for (int i = 0; i < def->num_scratch; ++i) {
    float *s = nullptr;
    e = cudaMalloc(&s, sizeof(float) * (size_t)chunk * (size_t)def->scratch_width[i]);
    if (e != cudaSuccess) return fail(cuda_msg(e, "cudaMalloc (activations)"));
    m->scratch.push_back(s);
  }
  const size_t kv_floats = (size_t)def->kv_layers * 2 * def->kv_heads * (size_t)m->cap * def->head_dim;
  e = cudaMalloc(&m->kv, kv_floats * sizeof(float));
  if (e != cudaSuccess) return fail(cuda_msg(e, "cudaMalloc (KV cache)") + ": " + std::to_string(kv_floats * 4) + " bytes; pass a smaller context_window_size");
  e = cudaMemset(m->kv, 0, kv_floats * sizeof(float));
  if (e == cudaSuccess) e = cudaMalloc(&m->logits, sizeof(float) * (size_t)kLogitRows * def->vocab_size);
  if (e == cudaSuccess && def->mm_xh_width > 0) e = cudaMalloc(&m->mm_xh, sizeof(half) * (size_t)chunk * (size_t)def->mm_xh_width);
  // Split-K partials, then one int32 arrival counter per head (zeroed once; the kernel that uses them resets them).
  const size_t ws_floats = (size_t)def->q_heads * kMaxSplits * (def->head_dim + 2);
  if (e == cudaSuccess) e = cudaMalloc(&m->attn_ws, sizeof(float) * ws_floats + sizeof(int32_t) * (size_t)def->q_heads);
  if (e == cudaSuccess) {
    m->attn_cnt = reinterpret_cast<int32_t *>(m->attn_ws + ws_floats);
    e = cudaMemset(m->attn_cnt, 0, sizeof(int32_t) * (size_t)def->q_heads);
  }
  if (e == cudaSuccess) e = cudaMalloc(&m->d_tokens, sizeof(int32_t) * (size_t)chunk);
  if (e == cudaSuccess) e = cudaMalloc(&m->d_pos, sizeof(int32_t) * 2);
  if (e == cudaSuccess) e = cudaMalloc(&m->d_out, sizeof(int32_t) * (size_t)m->cap);
  if (e == cudaSuccess) e = cudaMallocHost(&m->h_stage, sizeof(int32_t) * ((size_t)chunk + 2));
  if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking);
  if (e != cudaSuccess) return fail(cuda_msg(e, "CUDA allocation"));
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
  if (!p) {
    cudaError_t e = cudaMalloc(&p, (size_t)nbytes);
    if (e != cudaSuccess) return m->fail(NX_NO_MEMORY, cuda_msg(e, (std::string("cudaMalloc for ") + name).c_str()));
    m->params[it->second] = p;
  }
  if (int32_t r = m->check(cudaMemcpy(p, data, (size_t)nbytes, cudaMemcpyHostToDevice), "cudaMemcpy (parameter)")) return r;
  m->finalized = false;
  free_graphs(m);
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
  // Warm-up: one single-token forward and one sampling step, outside any capture, so every kernel of the
  // decode path is loaded (CUDA loads modules lazily) and table addresses are resolved before a graph is
  // captured. It writes KV position 0 only, which the next prefill overwrites (seq_len stays 0).
  {
    std::memset(m->h_stage, 0, sizeof(int32_t) * 3);
    if (int32_t r = m->check(cudaMemcpyAsync(m->d_pos, m->h_stage, 2 * sizeof(int32_t), cudaMemcpyHostToDevice, m->stream), "warm-up")) return r;
    if (int32_t r = m->check(cudaMemcpyAsync(m->d_tokens, m->h_stage + 2, sizeof(int32_t), cudaMemcpyHostToDevice, m->stream), "warm-up")) return r;
    nx_cuda_state st = m->state();
    m->def->forward(&st, 1, 0, 1);
    nx_sample<<<1, 1024, 0, m->stream>>>(m->logits, m->def->vocab_size, 0.f, 0ull, m->d_tokens, m->d_pos, m->d_pos + 1, m->d_out);
    if (int32_t r = m->check(cudaGetLastError(), "warm-up launch")) return r;
    if (int32_t r = m->check(cudaStreamSynchronize(m->stream), "warm-up forward")) return r;
  }
  m->seq_len = 0;
  m->finalized = true;
  m->error.clear();
  return NX_OK;
}

static int32_t set_pos(nxmlc_model *m, int32_t pos) {
  m->h_stage[0] = pos;
  m->h_stage[1] = 0;
  return m->check(cudaMemcpyAsync(m->d_pos, m->h_stage, 2 * sizeof(int32_t), cudaMemcpyHostToDevice, m->stream), "cudaMemcpyAsync (pos)");
}

static int32_t check_tokens(nxmlc_model *m, const int32_t *tokens, int32_t n) {
  if (!m->finalized) return m->fail(NX_NOT_FINALIZED, "nxmlc_finalize has not succeeded");
  if ((int64_t)m->seq_len + n > m->cap)
    return m->fail(NX_CONTEXT_FULL, "context full: " + std::to_string(m->seq_len) + " + " + std::to_string(n) + " tokens > " + std::to_string(m->cap));
  for (int32_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= m->def->vocab_size)
      return m->fail(NX_BAD_TOKEN, "token id " + std::to_string(tokens[i]) + " out of range");
  return NX_OK;
}

NXMLC_API int32_t nxmlc_prefill(nxmlc_model *m, const int32_t *tokens, int32_t n, float *logits_out, int32_t all_logits) {
  if (!m) return NX_BAD_ARG;
  if (n <= 0 || !tokens || !logits_out) return m->fail(NX_BAD_ARG, "prefill needs n > 0 tokens and a logits buffer");
  if (int32_t r = check_tokens(m, tokens, n)) return r;
  const int32_t V = m->def->vocab_size;
  const int32_t chunk = all_logits ? std::min(m->def->prefill_chunk_size, kLogitRows) : m->def->prefill_chunk_size;
  nx_cuda_state st = m->state();
  for (int32_t off = 0; off < n; off += chunk) {
    const int32_t c = std::min(chunk, n - off);
    const bool last = off + c == n;
    std::memcpy(m->h_stage + 2, tokens + off, sizeof(int32_t) * (size_t)c);
    if (int32_t r = set_pos(m, m->seq_len)) return r;
    if (int32_t r = m->check(cudaMemcpyAsync(m->d_tokens, m->h_stage + 2, sizeof(int32_t) * (size_t)c, cudaMemcpyHostToDevice, m->stream), "cudaMemcpyAsync (tokens)")) return r;
    if (all_logits) m->def->forward(&st, c, 0, c);
    else m->def->forward(&st, c, c - 1, last ? 1 : 0);
    if (int32_t r = m->check(cudaGetLastError(), "kernel launch")) return r;
    if (all_logits || last) {
      float *dst = logits_out + (all_logits ? (size_t)off * V : 0);
      const size_t rows = all_logits ? (size_t)c : 1;
      if (int32_t r = m->check(cudaMemcpyAsync(dst, m->logits, rows * V * sizeof(float), cudaMemcpyDeviceToHost, m->stream), "cudaMemcpyAsync (logits)")) return r;
    }
    // The staging buffer is reused by the next chunk: wait for this one.
    if (int32_t r = m->check(cudaStreamSynchronize(m->stream), "forward")) return r;
    m->seq_len += c;
  }
  return NX_OK;
}

// Enqueue one n = 1 forward: through the captured graph when graphs are on, directly otherwise.
static int32_t enqueue_decode(nxmlc_model *m, int32_t token, bool sample, float temperature, unsigned long long seed) {
  m->h_stage[0] = m->seq_len;
  m->h_stage[1] = 0;
  m->h_stage[2] = token;
  if (int32_t r = m->check(cudaMemcpyAsync(m->d_pos, m->h_stage, 2 * sizeof(int32_t), cudaMemcpyHostToDevice, m->stream), "cudaMemcpyAsync (pos)")) return r;
  if (int32_t r = m->check(cudaMemcpyAsync(m->d_tokens, m->h_stage + 2, sizeof(int32_t), cudaMemcpyHostToDevice, m->stream), "cudaMemcpyAsync (token)")) return r;
  nx_cuda_state st = m->state();
  const int32_t V = m->def->vocab_size;
  auto body = [&] {
    m->def->forward(&st, 1, 0, 1);
    if (sample) nx_sample<<<1, 1024, 0, m->stream>>>(m->logits, V, temperature, seed, m->d_tokens, m->d_pos, m->d_pos + 1, m->d_out);
  };
  if (!graphs_enabled()) {
    body();
    return m->check(cudaGetLastError(), "kernel launch");
  }
  cudaGraphExec_t *g = sample ? &m->g_sample : &m->g_logits;
  if (sample && *g && (m->g_sample_temp != temperature || m->g_sample_seed != seed)) {
    cudaGraphExecDestroy(*g);
    *g = nullptr;
  }
  if (!*g) {
    if (int32_t r = capture(m, g, body)) return r;
    if (sample) { m->g_sample_temp = temperature; m->g_sample_seed = seed; }
  }
  return m->check(cudaGraphLaunch(*g, m->stream), "cudaGraphLaunch");
}

NXMLC_API int32_t nxmlc_decode(nxmlc_model *m, int32_t token, float *logits_out) {
  if (!m) return NX_BAD_ARG;
  if (!logits_out) return m->fail(NX_BAD_ARG, "decode needs a logits buffer");
  if (int32_t r = check_tokens(m, &token, 1)) return r;
  if (int32_t r = enqueue_decode(m, token, false, 0.f, 0)) return r;
  const size_t V = (size_t)m->def->vocab_size;
  if (int32_t r = m->check(cudaMemcpyAsync(logits_out, m->logits, V * sizeof(float), cudaMemcpyDeviceToHost, m->stream), "cudaMemcpyAsync (logits)")) return r;
  if (int32_t r = m->check(cudaStreamSynchronize(m->stream), "decode")) return r;
  m->seq_len += 1;
  return NX_OK;
}

NXMLC_API int32_t nxmlc_generate(nxmlc_model *m, int32_t token, int32_t n, float temperature, uint64_t seed, int32_t *out) {
  if (!m) return NX_BAD_ARG;
  if (n <= 0 || !out) return m->fail(NX_BAD_ARG, "generate needs n > 0 and an output buffer");
  if (int32_t r = check_tokens(m, &token, 1)) return r;
  if ((int64_t)m->seq_len + n > m->cap)
    return m->fail(NX_CONTEXT_FULL, "context full: " + std::to_string(m->seq_len) + " + " + std::to_string(n) + " tokens > " + std::to_string(m->cap));
  // The first step stages token and position; the sample kernel then feeds each next step on the device.
  if (int32_t r = enqueue_decode(m, token, true, temperature, (unsigned long long)seed)) return r;
  nx_cuda_state st = m->state();
  for (int32_t i = 1; i < n; ++i) {
    if (graphs_enabled()) {
      if (int32_t r = m->check(cudaGraphLaunch(m->g_sample, m->stream), "cudaGraphLaunch")) return r;
    } else {
      m->def->forward(&st, 1, 0, 1);
      nx_sample<<<1, 1024, 0, m->stream>>>(m->logits, m->def->vocab_size, temperature, (unsigned long long)seed, m->d_tokens, m->d_pos, m->d_pos + 1, m->d_out);
      if (int32_t r = m->check(cudaGetLastError(), "kernel launch")) return r;
    }
  }
  if (int32_t r = m->check(cudaMemcpyAsync(out, m->d_out, sizeof(int32_t) * (size_t)n, cudaMemcpyDeviceToHost, m->stream), "cudaMemcpyAsync (tokens)")) return r;
  if (int32_t r = m->check(cudaStreamSynchronize(m->stream), "generate")) return r;
  m->seq_len += n;
  return NX_OK;
}

NXMLC_API int32_t nxmlc_decode_sample(nxmlc_model *m, int32_t token, float temperature, uint64_t seed, int32_t *next) {
  return nxmlc_generate(m, token, 1, temperature, seed, next);
}

NXMLC_API int32_t nxmlc_seq_len(nxmlc_model *m) { return m ? m->seq_len : 0; }

NXMLC_API void nxmlc_reset(nxmlc_model *m) {
  if (m) m->seq_len = 0;
}

NXMLC_API void nxmlc_destroy(nxmlc_model *m) {
  if (!m) return;
  if (m->stream) cudaStreamSynchronize(m->stream);
  free_graphs(m);
  for (void *p : m->params) cudaFree(p);
  for (float *s : m->scratch) cudaFree(s);
  cudaFree(m->kv);
  cudaFree(m->logits);
  cudaFree(m->attn_ws);
  cudaFree(m->mm_xh);
  cudaFree(m->d_tokens);
  cudaFree(m->d_pos);
  cudaFree(m->d_out);
  if (m->h_stage) cudaFreeHost(m->h_stage);
  if (m->stream) cudaStreamDestroy(m->stream);
  delete m;
}

NXMLC_API const char *nxmlc_last_error(nxmlc_model *m) { return m ? m->error.c_str() : "null model"; }

}  // extern "C"
