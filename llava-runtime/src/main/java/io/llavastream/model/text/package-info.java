/**
 * Text stages: the tokenizer (DJL's Hugging Face tokenizers, offline), the token embeddings, LLaVA's merge of the
 * projected image features into the prompt at {@code <image>}, and the CLIP text tower used for text-to-image
 * retrieval.
 */
package io.llavastream.model.text;
