/**
 * LoRA adapters of the language model (docs/adapters.md): {@link io.llavastream.model.adapter.LoraAdapter} reads one
 * adapter directory (PEFT's adapter_config.json and adapter_model.safetensors), and
 * {@link io.llavastream.model.adapter.AdapterSet} lays the loaded adapters side by side as the inputs of the
 * adapter-capable decoder graphs, so that rows with different adapters, and rows without one, decode in one batch.
 * No Kafka here.
 */
package io.llavastream.model.adapter;
