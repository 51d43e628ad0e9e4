// Standalone C++ driver for the cpu benchmark (no Node needed, so it also runs on remote hosts):
// loads a compiled nx-mlc library through the C ABI, feeds random parameters of the right
// shapes/dtypes (from nxmlc_metadata), and times a 128-token prefill and 64 decode steps.
// Build: g++ -O2 -std=c++17 bench_driver.cpp -ldl -o bench_driver ; run: ./bench_driver lib.so [threads]
#include <dlfcn.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "../../native/include/nxmlc_abi.h"

struct Param { std::string name, dtype; std::vector<int64_t> shape; };

static std::vector<Param> parse_params(const std::string &js) {
  std::vector<Param> out;
  size_t at = js.find("\"params\":[");
  const size_t end = js.find("]}]", at);  // the params array ends with the last param's shape+dtype
  while ((at = js.find("{\"name\":\"", at)) != std::string::npos && at < js.find("\"compiler_version\"")) {
    Param p;
    at += 9;
    size_t q = js.find('"', at);
    p.name = js.substr(at, q - at);
    at = js.find("\"shape\":[", q) + 9;
    size_t close = js.find(']', at);
    std::string dims = js.substr(at, close - at);
    for (char *s = &dims[0]; *s;) { p.shape.push_back(strtoll(s, &s, 10)); if (*s == ',') ++s; }
    at = js.find("\"dtype\":\"", close) + 9;
    q = js.find('"', at);
    p.dtype = js.substr(at, q - at);
    out.push_back(p);
  }
  (void)end;
  return out;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s lib.so [threads] [decode_tokens]\n", argv[0]); return 2; }
  const int threads = argc > 2 ? atoi(argv[2]) : 2;
  const int decode_n = argc > 3 ? atoi(argv[3]) : 64;
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
#define SYM(name) auto name = (decltype(&::name))dlsym(h, #name)
  SYM(nxmlc_metadata); SYM(nxmlc_create); SYM(nxmlc_set_param); SYM(nxmlc_finalize); SYM(nxmlc_prefill);
  SYM(nxmlc_decode); SYM(nxmlc_reset); SYM(nxmlc_destroy); SYM(nxmlc_last_error);
  const std::string meta = nxmlc_metadata();
  const auto params = parse_params(meta);
  char err[512] = {0};
  nxmlc_model *m = nxmlc_create(threads, 4096, err, sizeof err);
  if (!m) { fprintf(stderr, "create: %s\n", err); return 1; }
  uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1664525u + 1013904223u; };
  for (const auto &p : params) {
    int64_t n = 1;
    for (auto d : p.shape) n *= d;
    std::vector<uint8_t> buf;
    if (p.dtype == "uint32") {
      buf.resize(n * 4);
      for (int64_t i = 0; i < n; ++i) { uint32_t v = rnd(); memcpy(&buf[i * 4], &v, 4); }
    } else if (p.dtype == "float16") {
      buf.resize(n * 2);
      const bool scale = p.name.find("q_scale") != std::string::npos, bias = p.name.find(".bias") != std::string::npos;
      for (int64_t i = 0; i < n; ++i) { uint16_t v = scale ? 0x2000 + (rnd() & 0xff) : bias ? 0 : 0x3c00; memcpy(&buf[i * 2], &v, 2); }
    } else if (p.dtype == "float32") {
      buf.resize(n * 4);
      for (int64_t i = 0; i < n; ++i) { float v = p.name.find("norm") != std::string::npos ? 1.f : ((int)(rnd() % 2001) - 1000) * 1e-5f; memcpy(&buf[i * 4], &v, 4); }
    } else { fprintf(stderr, "dtype %s\n", p.dtype.c_str()); return 1; }
    if (nxmlc_set_param(m, p.name.c_str(), p.dtype.c_str(), p.shape.data(), (int)p.shape.size(), buf.data(), (int64_t)buf.size())) {
      fprintf(stderr, "set_param: %s\n", nxmlc_last_error(m)); return 1;
    }
  }
  if (nxmlc_finalize(m)) { fprintf(stderr, "finalize: %s\n", nxmlc_last_error(m)); return 1; }
  const size_t vpos = meta.find("\"vocab_size\":");
  const int V = atoi(meta.c_str() + vpos + 13);
  std::vector<float> logits(V);
  std::vector<int32_t> prompt(128);
  for (int i = 0; i < 128; ++i) prompt[i] = (i * 7919) % V;
  using clk = std::chrono::steady_clock;
  auto secs = [](clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  nxmlc_prefill(m, prompt.data(), 128, logits.data(), 0);
  double best_prefill = 1e9, best_decode = 1e9;
  for (int r = 0; r < 3; ++r) {
    nxmlc_reset(m);
    auto t0 = clk::now();
    nxmlc_prefill(m, prompt.data(), 128, logits.data(), 0);
    best_prefill = std::min(best_prefill, secs(t0, clk::now()));
  }
  for (int r = 0; r < 2; ++r) {
    nxmlc_reset(m);
    nxmlc_prefill(m, prompt.data(), 128, logits.data(), 0);
    auto t0 = clk::now();
    for (int i = 0; i < decode_n; ++i) nxmlc_decode(m, (i * 31) % V, logits.data());
    best_decode = std::min(best_decode, secs(t0, clk::now()));
  }
  printf("{\"threads\":%d,\"prefill_tok_s\":%.1f,\"decode_tok_s\":%.1f}\n", threads, 128 / best_prefill, decode_n / best_decode);
  nxmlc_destroy(m);
  return 0;
}
