/**
 * Text stages: the tokenizer (DJL's Hugging Face tokenizers, offline), the token embeddings, LLaVA's merge of the
 * projected image features into the prompt at {@code <image>}, the CLIP text tower used for text-to-image
 * retrieval, and the incremental detokenizer that turns generated ids into text deltas as they come.
 */
package io.llavastream.model.text;
