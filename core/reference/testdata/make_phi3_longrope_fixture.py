"""Ground truth for longrope ("su") RoPE with partial rotary, made like fixtures/hf-tiny (see its README):
a tiny random Phi-3 checkpoint saved in bf16, float32 logits from exactly the saved weights (eager attention)
and 16 greedy tokens through transformers' KV cache, for two prompts:
  expected.safetensors        24 tokens: the prefill already exceeds original_max_position_embeddings (16),
                              so every position uses the long factors;
  expected-short.safetensors  12 tokens: prefill with the short factors; generation crosses 16, where every
                              position switches to the long factors. Its greedy tokens come from full forwards
                              without a KV cache: transformers 5.17's Phi-3 generate means to recompute the
                              cache at the switch (prepare_inputs_for_generation drops it) but then feeds only
                              the new token, losing the context, so its tokens there are not the model's.
index.json records the RoPE inv_freq dtype as loaded.

    python make_phi3_longrope_fixture.py OUT_DIR   # needs torch and transformers (5.17.0 used)
"""
import json
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, Phi3Config

HALF = 4  # rotary dims / 2 = head_dim 16 * partial_rotary_factor 0.5 / 2


def main(out: Path) -> None:
    torch.manual_seed(4321)
    cfg = Phi3Config(
        hidden_size=64, intermediate_size=192, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        vocab_size=512, max_position_embeddings=256, original_max_position_embeddings=16, rms_norm_eps=1e-5,
        initializer_range=0.08, pad_token_id=0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
        rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
                         "original_max_position_embeddings": 16,
                         "short_factor": [1.0, 1.5, 2.5, 4.0], "long_factor": [2.0, 5.0, 11.0, 23.0]},
    )
    model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager").eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.08 if "norm" not in pname else 1.0 + torch.randn_like(p) * 0.3)
    d = out / "phi3-longrope"
    d.mkdir(parents=True, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(d)
    loaded = AutoModelForCausalLM.from_pretrained(d, dtype=torch.bfloat16, attn_implementation="eager")
    inv_freq = {str(b.dtype) for n, b in loaded.model.rotary_emb.named_buffers() if n.endswith("inv_freq")}
    assert len(inv_freq) == 1, inv_freq
    loaded = loaded.float().eval()
    gen = torch.Generator().manual_seed(11)
    for fname, n in [("expected.safetensors", 24), ("expected-short.safetensors", 12)]:
        ids = torch.randint(3, cfg.vocab_size, (1, n), generator=gen)
        with torch.no_grad():
            logits = loaded(ids).logits[0].float().contiguous()
            if n > 16:
                greedy = loaded.generate(ids, max_new_tokens=16, min_new_tokens=16, do_sample=False)[0, n:].contiguous()
            else:
                seq = ids
                for _ in range(16):
                    seq = torch.cat([seq, loaded(seq).logits[:, -1].argmax(-1, keepdim=True)], dim=1)
                greedy = seq[0, n:].contiguous()
        save_file({"input_ids": ids.to(torch.int64), "logits": logits, "greedy": greedy.to(torch.int64)}, str(d / fname))
    index = {"transformers": transformers.__version__, "torch": torch.__version__,
             "rope_inv_freq_dtype": inv_freq.pop().replace("torch.", "")}
    (d / "index.json").write_text(json.dumps(index, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
