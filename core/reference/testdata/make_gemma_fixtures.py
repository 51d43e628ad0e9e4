"""Ground truth for the gemma and gemma3_text paths of the reference implementation, made the way
fixtures/hf-tiny was (see its README): a tiny random checkpoint saved in bf16 by transformers, float32
logits of a 24-token prompt from exactly the saved weights (loaded in their dtype, then .float(), eager
attention) and 16 greedy tokens through transformers' KV cache. index.json records the dtypes of the
two buffers whose rounding shows in the logits: RoPE inverse frequencies and gemma's embedding scale
(on this CPU load they came out float32 and bfloat16; hf-tiny's GPU runs rounded inv_freq to bf16 too).

    python make_gemma_fixtures.py OUT_DIR   # needs torch and transformers (5.17.0 used)
"""
import json
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, Gemma3TextConfig, GemmaConfig

COMMON = dict(intermediate_size=192, num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=512,
              max_position_embeddings=256, rms_norm_eps=1e-6, initializer_range=0.08, bos_token_id=2, eos_token_id=1, pad_token_id=0)

CONFIGS = {
    # hidden 48: sqrt(48) is not a dyadic number, so the embedding scale's rounding is exercised
    "gemma": GemmaConfig(hidden_size=48, num_hidden_layers=2, hidden_activation="gelu_pytorch_tanh", **COMMON),
    # 6 layers: MLC's gemma3 hard-codes sliding_window_pattern 6, so layer 5 is the one global layer;
    # query_pre_attn_scalar 24 != head_dim so the softmax scale is observable; linear rope scaling on global layers
    "gemma3_text": Gemma3TextConfig(
        hidden_size=64, num_hidden_layers=6, sliding_window=8, query_pre_attn_scalar=24,
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                         "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0}},
        **COMMON),
}


def main(out: Path) -> None:
    torch.manual_seed(1234)
    index = {"transformers": transformers.__version__, "torch": torch.__version__, "archs": {}}
    for name, cfg in CONFIGS.items():
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        cfg.tie_word_embeddings = True
        model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager").eval()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                # every weight ~N(0, 0.08), norms too (around their (1 + w) form), so their handling matters
                p.copy_(torch.randn_like(p) * 0.08 if "norm" not in pname else torch.randn_like(p) * 0.3)
        model.to(torch.bfloat16).save_pretrained(d)
        loaded = AutoModelForCausalLM.from_pretrained(d, dtype=torch.bfloat16, attn_implementation="eager")
        # dtypes as loaded, before .float() (which converts the buffers but not the rounding already done)
        inv_freq = {str(b.dtype) for n, b in loaded.model.rotary_emb.named_buffers() if n.endswith("inv_freq")}
        assert len(inv_freq) == 1, inv_freq
        embed_scale_dtype = str(loaded.model.embed_tokens.embed_scale.dtype)
        loaded = loaded.float().eval()
        ids = torch.randint(3, cfg.vocab_size, (1, 24), generator=torch.Generator().manual_seed(7))
        with torch.no_grad():
            logits = loaded(ids).logits[0].float().contiguous()
            greedy = loaded.generate(ids, max_new_tokens=16, do_sample=False, min_new_tokens=16)[0, 24:].contiguous()
        save_file({"input_ids": ids.to(torch.int64), "logits": logits, "greedy": greedy.to(torch.int64)}, str(d / "expected.safetensors"))
        index["archs"][name] = {
            "model_type": cfg.model_type,
            "dtype": "bfloat16",
            "params": sum(p.numel() for p in model.parameters()),
            "rope_inv_freq_dtype": inv_freq.pop().replace("torch.", ""),
            "embed_scale_dtype": embed_scale_dtype.replace("torch.", ""),
        }
    (out / "index.json").write_text(json.dumps(index, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
