package io.llavastream.model.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.model.ModelDirectory;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The LLaMA projections a LoRA adapter may target and their [in, out] widths, from the model's config.json
 * text_config (hidden_size, intermediate_size, heads, key-value heads, head_dim).
 *
 * @param layers number of decoder layers
 * @param widths module name to {in, out}
 */
public record ModuleShapes(int layers, Map<String, int[]> widths) {
    /** Every projection, in the order the adapter-capable graphs take their inputs. */
    public static final List<String> MODULES = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
            "up_proj", "down_proj");

    public static ModuleShapes of(ModelDirectory dir) {
        JsonNode text;
        try {
            text = new ObjectMapper().readTree(dir.file("config.json").toFile()).path("text_config");
        } catch (IOException e) {
            throw new AdapterException("cannot read " + dir.file("config.json") + ": " + e.getMessage(), e);
        }
        int d = text.path("hidden_size").asInt();
        int heads = text.path("num_attention_heads").asInt();
        int kvHeads = text.path("num_key_value_heads").asInt(heads);
        int hd = text.path("head_dim").asInt(d / Math.max(1, heads));
        int ff = text.path("intermediate_size").asInt();
        if (d <= 0 || heads <= 0 || ff <= 0) {
            throw new AdapterException(dir.file("config.json") + ": text_config needs hidden_size, "
                    + "num_attention_heads and intermediate_size > 0 to size LoRA matrices");
        }
        return new ModuleShapes(text.path("num_hidden_layers").asInt(), Map.of(
                "q_proj", new int[] {d, heads * hd}, "k_proj", new int[] {d, kvHeads * hd},
                "v_proj", new int[] {d, kvHeads * hd}, "o_proj", new int[] {heads * hd, d},
                "gate_proj", new int[] {d, ff}, "up_proj", new int[] {d, ff}, "down_proj", new int[] {ff, d}));
    }

    public int in(String module) {
        return widths.get(module)[0];
    }

    public int out(String module) {
        return widths.get(module)[1];
    }
}
