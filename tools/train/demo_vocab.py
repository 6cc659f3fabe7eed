"""Word-level vocabulary of the demo model, and the tokenizer.json that encodes it.

The tokenizer is a Hugging Face `tokenizers` WordPiece model whose vocabulary holds whole words only, with a
Lowercase normalizer, the Whitespace pre-tokenizer and a template that prepends <s>.  Both DJL's tokenizers
(Rust) and transformers.js read it.  `encode` below reproduces it exactly for training.
"""
import json
import re

PAD, BOS, EOS, UNK, IMAGE = "<pad>", "<s>", "</s>", "<unk>", "<image>"
SPECIALS = [PAD, BOS, EOS, UNK, IMAGE]
TEMPLATE_WORDS = ["user", "assistant", ":", ".", "?", "describe", "the", "image"]
_WORD = re.compile(r"\w+|[^\w\s]+")  # the Whitespace pre-tokenizer's pattern


def build_vocab(texts):
    words = set(TEMPLATE_WORDS)
    for t in texts:
        words.update(_WORD.findall(t.lower().replace(IMAGE, " ")))
    return SPECIALS + sorted(words)


class Vocab:
    def __init__(self, tokens):
        self.tokens = tokens
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.pad, self.bos, self.eos, self.unk, self.image = (self.ids[t] for t in SPECIALS)

    def __len__(self):
        return len(self.tokens)

    def encode(self, text, bos=True):
        """Same ids as tokenizer.json: <image> is an added token, the rest is lowercased and split on \\w+|[^\\w\\s]+."""
        ids = [self.bos] if bos else []
        parts = text.split(IMAGE)
        for i, part in enumerate(parts):
            if i > 0:
                ids.append(self.image)
            ids.extend(self.ids.get(w, self.unk) for w in _WORD.findall(part.lower()))
        return ids

    def decode(self, ids):
        return " ".join(self.tokens[i] for i in ids if i >= len(SPECIALS))

    def tokenizer_json(self):
        added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for i, t in enumerate(SPECIALS)]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {BOS: {"id": BOS, "ids": [self.bos], "tokens": [BOS]}},
            },
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": self.ids},
        }

    def tokenizer_config_json(self, max_length):
        return {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": BOS, "eos_token": EOS, "unk_token": UNK, "pad_token": PAD,
            "add_bos_token": True, "add_eos_token": False, "clean_up_tokenization_spaces": True,
            "model_max_length": max_length,
            "padding_side": "left",
            "extra_special_tokens": {"image_token": IMAGE},
        }

    @staticmethod
    def from_tokenizer_json(path):
        with open(path) as f:
            vocab = json.load(f)["model"]["vocab"]
        return Vocab([t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])])
