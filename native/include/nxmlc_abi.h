/* nx-mlc compiled-library C ABI, version 1.
 * Shared contract between the compiler's CPU target (native/cpu, core/compiler) and the Node runtime
 * (core/runtime). All functions are extern "C" with default visibility; every other symbol is hidden. */
#ifndef NXMLC_ABI_H
#define NXMLC_ABI_H

#include <stdint.h>

#if defined(_WIN32)
#define NXMLC_API __declspec(dllexport)
#else
#define NXMLC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define NXMLC_ABI_VERSION 1

typedef struct nxmlc_model nxmlc_model;

/* JSON (UTF-8, static storage): {"abi_version":1,"model_type":..,"quantization":..,"target":"cpu",
   "model_config":{...the mlc-chat-config model_config the library was specialised for...},"model_config_hash":"sha256..",
   "vocab_size":N,"active_vocab_size":N,"context_window_size":N,"prefill_chunk_size":N,"sliding_window_size":N,
   "params":[{"name":"model.embed_tokens.q_weight","shape":[..],"dtype":"uint32"},...],   // every param the library needs, MLC names/dtypes/shapes
   "compiler_version":"nx-mlc x.y.z","kernels":{"name":"sha256 of source",...}} */
NXMLC_API const char *nxmlc_metadata(void);

/* Create an instance. num_threads <= 0: use all cores. context_window_size <= 0: the compiled maximum.
   Returns NULL on failure and writes a message into err (if err_len > 0). */
NXMLC_API nxmlc_model *nxmlc_create(int32_t num_threads, int32_t context_window_size, char *err, int32_t err_len);

/* Hand one parameter to the instance (the library copies the bytes). dtype string and shape must match metadata, else error.
   float32 params arrive as float32 (the host decodes MLC's f32-to-bf16 storage). Returns 0 on success. */
NXMLC_API int32_t nxmlc_set_param(nxmlc_model *m, const char *name, const char *dtype, const int64_t *shape, int32_t ndim,
                                  const void *data, int64_t nbytes);

/* After all params: checks completeness, prepares. 0 on success. */
NXMLC_API int32_t nxmlc_finalize(nxmlc_model *m);

/* Append n tokens to the sequence (chunked internally by prefill_chunk_size). logits_out: if all_logits, [n, vocab_size] float32,
   else [vocab_size] for the last token. Returns 0 or an error code (context full, not finalized, ...). */
NXMLC_API int32_t nxmlc_prefill(nxmlc_model *m, const int32_t *tokens, int32_t n, float *logits_out, int32_t all_logits);

/* Append one token and return its next-token logits [vocab_size]. */
NXMLC_API int32_t nxmlc_decode(nxmlc_model *m, int32_t token, float *logits_out);

/* Current sequence length (tokens in the KV cache). */
NXMLC_API int32_t nxmlc_seq_len(nxmlc_model *m);

/* Forget the sequence (KV cache emptied), keep the weights. */
NXMLC_API void nxmlc_reset(nxmlc_model *m);

NXMLC_API void nxmlc_destroy(nxmlc_model *m);

/* Message of the last error on this instance ("" if none). */
NXMLC_API const char *nxmlc_last_error(nxmlc_model *m);

#ifdef __cplusplus
}
#endif

#endif /* NXMLC_ABI_H */
