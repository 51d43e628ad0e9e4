// A trivially checkable model behind the nx-mlc library C ABI (v1), for the runtime's tests only.
// next-token logits for last token t:  logits[j] = bias[j] + (j == next[t] ? gain : 0)
// Params: "next" int32 [V], "bias" float32 [V] (stored f32-to-bf16 on disk), "gain" float16 [1].
// The metadata JSON and sizes come from a generated header (bigram-meta.h) so tests can build variants
// (another quantization, another vocabulary) without editing this file.
#include "nxmlc_abi.h"
#include "bigram-meta.h"  // BIGRAM_META_JSON, BIGRAM_VOCAB, BIGRAM_CONTEXT
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

struct nxmlc_model {
  int32_t ctx = BIGRAM_CONTEXT;
  std::vector<int32_t> next;
  std::vector<float> bias;
  float gain = 0;
  bool has_next = false, has_bias = false, has_gain = false, finalized = false;
  std::vector<int32_t> seq;
  std::string error;
};

static float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, frac = h & 0x3ff, bits;
  if (exp == 0) {
    float f = frac * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  if (exp == 31) bits = sign | 0x7f800000u | (frac << 13);
  else bits = sign | ((exp + 112) << 23) | (frac << 13);
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

static int32_t fail(nxmlc_model *m, const std::string &msg, int32_t code) {
  m->error = msg;
  return code;
}

extern "C" {

const char *nxmlc_metadata(void) { return BIGRAM_META_JSON; }

nxmlc_model *nxmlc_create(int32_t num_threads, int32_t context_window_size, char *err, int32_t err_len) {
  (void)num_threads;
  if (context_window_size > BIGRAM_CONTEXT) {
    if (err && err_len > 0) std::snprintf(err, err_len, "context_window_size %d exceeds the compiled maximum %d", context_window_size, BIGRAM_CONTEXT);
    return nullptr;
  }
  auto *m = new nxmlc_model();
  if (context_window_size > 0) m->ctx = context_window_size;
  return m;
}

int32_t nxmlc_set_param(nxmlc_model *m, const char *name, const char *dtype, const int64_t *shape, int32_t ndim, const void *data, int64_t nbytes) {
  std::string n(name), d(dtype);
  if (n == "next") {
    if (d != "int32" || ndim != 1 || shape[0] != BIGRAM_VOCAB || nbytes != 4 * BIGRAM_VOCAB) return fail(m, "param next: expected int32 [V]", 1);
    m->next.assign((const int32_t *)data, (const int32_t *)data + BIGRAM_VOCAB);
    m->has_next = true;
  } else if (n == "bias") {
    if (d != "float32" || ndim != 1 || shape[0] != BIGRAM_VOCAB || nbytes != 4 * BIGRAM_VOCAB) return fail(m, "param bias: expected float32 [V]", 1);
    m->bias.assign((const float *)data, (const float *)data + BIGRAM_VOCAB);
    m->has_bias = true;
  } else if (n == "gain") {
    if (d != "float16" || ndim != 1 || shape[0] != 1 || nbytes != 2) return fail(m, "param gain: expected float16 [1]", 1);
    m->gain = half_to_float(*(const uint16_t *)data);
    m->has_gain = true;
  } else {
    return fail(m, "unknown param " + n, 1);
  }
  return 0;
}

int32_t nxmlc_finalize(nxmlc_model *m) {
  if (!m->has_next || !m->has_bias || !m->has_gain) return fail(m, "missing params", 2);
  for (int32_t t : m->next)
    if (t < 0 || t >= BIGRAM_VOCAB) return fail(m, "param next: token id out of range", 2);
  m->finalized = true;
  m->error.clear();
  return 0;
}

static void logits_after(const nxmlc_model *m, int32_t token, float *out) {
  for (int j = 0; j < BIGRAM_VOCAB; j++) out[j] = m->bias[j];
  out[m->next[token]] += m->gain;
}

int32_t nxmlc_prefill(nxmlc_model *m, const int32_t *tokens, int32_t n, float *logits_out, int32_t all_logits) {
  if (!m->finalized) return fail(m, "not finalized", 3);
  if (n <= 0) return fail(m, "empty prefill", 4);
  if ((int64_t)m->seq.size() + n > m->ctx) return fail(m, "context window full", 5);
  for (int32_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= BIGRAM_VOCAB) return fail(m, "token id out of range", 6);
  for (int32_t i = 0; i < n; i++) {
    m->seq.push_back(tokens[i]);
    if (all_logits) logits_after(m, tokens[i], logits_out + (int64_t)i * BIGRAM_VOCAB);
  }
  if (!all_logits) logits_after(m, tokens[n - 1], logits_out);
  return 0;
}

int32_t nxmlc_decode(nxmlc_model *m, int32_t token, float *logits_out) { return nxmlc_prefill(m, &token, 1, logits_out, 0); }

int32_t nxmlc_seq_len(nxmlc_model *m) { return (int32_t)m->seq.size(); }

void nxmlc_reset(nxmlc_model *m) { m->seq.clear(); }

void nxmlc_destroy(nxmlc_model *m) { delete m; }

const char *nxmlc_last_error(nxmlc_model *m) { return m->error.c_str(); }
}
