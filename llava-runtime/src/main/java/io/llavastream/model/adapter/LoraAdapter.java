package io.llavastream.model.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One LoRA adapter of the language model, read from a PEFT adapter directory (docs/adapters.md):
 * {@value #CONFIG_FILE} (peft_type LORA, r, lora_alpha, target_modules, use_rslora) and {@value #WEIGHTS_FILE}
 * (float32; keys ending in {@code layers.{i}.self_attn|mlp.{module}.lora_A.weight} [r, in] and
 * {@code ...lora_B.weight} [out, r]). The update of a target projection is {@code scaling * B A}, with scaling
 * lora_alpha / r (or lora_alpha / sqrt(r) with use_rslora), as PEFT applies it.
 *
 * @param name    the name requests select it by
 * @param a       "{layer}.{module}" to A, [r, in] row-major
 * @param b       "{layer}.{module}" to B, [out, r] row-major, unscaled
 * @param style   llava_stream.style from the config ("" when absent): what the adapter was trained to write
 */
public record LoraAdapter(String name, Path dir, int rank, double scaling, List<String> targets, String baseModel,
                          String style, Map<String, float[]> a, Map<String, float[]> b) {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final Pattern KEY = Pattern.compile(
            ".*layers\\.(\\d+)\\.(?:self_attn|mlp)\\.(\\w+_proj)\\.lora_([AB])(?:\\.default)?\\.weight");

    /**
     * Reads and checks the adapter in {@code dir} against the model's projections. Any defect (a missing or
     * unreadable file, a field or tensor of the wrong kind or shape) is an {@link AdapterException} naming the file.
     */
    public static LoraAdapter load(String name, Path dir, ModuleShapes shapes) {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new AdapterException("adapter '" + name + "': " + configFile + " is missing; expected an adapter "
                    + "directory with " + CONFIG_FILE + " and " + WEIGHTS_FILE);
        }
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(configFile.toFile());
        } catch (IOException e) {
            throw new AdapterException("adapter '" + name + "': " + configFile + " is not JSON: " + e.getMessage(), e);
        }
        String type = config.path("peft_type").asText("");
        int rank = config.path("r").asInt(0);
        if (!type.equals("LORA") || rank <= 0 || !config.path("lora_alpha").isNumber()) {
            throw new AdapterException("adapter '" + name + "': " + configFile + " has peft_type '" + type + "', r "
                    + config.path("r") + ", lora_alpha " + config.path("lora_alpha")
                    + "; expected peft_type LORA, r > 0 and a numeric lora_alpha");
        }
        double alpha = config.path("lora_alpha").asDouble();
        double scaling = config.path("use_rslora").asBoolean(false) ? alpha / Math.sqrt(rank) : alpha / rank;
        List<String> targets = new ArrayList<>();
        config.path("target_modules").forEach(t -> targets.add(t.asText()));
        for (String t : targets) {
            if (!ModuleShapes.MODULES.contains(t)) {
                throw new AdapterException("adapter '" + name + "': " + configFile + " targets '" + t
                        + "'; expected some of " + ModuleShapes.MODULES);
            }
        }
        if (targets.isEmpty()) {
            throw new AdapterException("adapter '" + name + "': " + configFile + " has no target_modules; expected "
                    + "a list of some of " + ModuleShapes.MODULES);
        }
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weightsFile)) {
            throw new AdapterException("adapter '" + name + "': " + weightsFile + " is missing");
        }
        Map<String, float[]> as = new HashMap<>();
        Map<String, float[]> bs = new HashMap<>();
        Map<String, SafeTensors.Tensor> tensors;
        try {
            tensors = SafeTensors.read(weightsFile);
        } catch (AdapterException e) {
            throw new AdapterException("adapter '" + name + "': " + e.getMessage(), e);
        }
        for (Map.Entry<String, SafeTensors.Tensor> e : tensors.entrySet()) {
            place(name, weightsFile, e.getKey(), e.getValue(), rank, targets, shapes, as, bs);
        }
        for (int i = 0; i < shapes.layers(); i++) {
            for (String t : targets) {
                if (!as.containsKey(i + "." + t) || !bs.containsKey(i + "." + t)) {
                    throw new AdapterException("adapter '" + name + "': " + weightsFile + " lacks lora_A or lora_B "
                            + "of layers." + i + "." + t + "; expected both for every layer of every target module");
                }
            }
        }
        return new LoraAdapter(name, dir, rank, scaling, List.copyOf(targets),
                config.path("base_model_name_or_path").asText(""), config.path("llava_stream").path("style").asText(""),
                Map.copyOf(as), Map.copyOf(bs));
    }

    private static void place(String name, Path file, String key, SafeTensors.Tensor t, int rank,
                              List<String> targets, ModuleShapes shapes, Map<String, float[]> as,
                              Map<String, float[]> bs) {
        Matcher m = KEY.matcher(key);
        if (!m.matches() || !targets.contains(m.group(2)) || Integer.parseInt(m.group(1)) >= shapes.layers()) {
            throw new AdapterException("adapter '" + name + "': " + file + " holds tensor '" + key + "'; expected only "
                    + "layers.{0.." + (shapes.layers() - 1) + "}.*.{" + String.join(",", targets)
                    + "}.lora_A/lora_B.weight");
        }
        String module = m.group(2);
        boolean isA = m.group(3).equals("A");
        long[] want = isA ? new long[] {rank, shapes.in(module)} : new long[] {shapes.out(module), rank};
        if (!java.util.Arrays.equals(want, t.shape())) {
            throw new AdapterException("adapter '" + name + "': " + file + ": tensor '" + key + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + "; expected " + java.util.Arrays.toString(want)
                    + " (r = " + rank + " from " + CONFIG_FILE + ")");
        }
        (isA ? as : bs).put(m.group(1) + "." + module, t.values());
    }
}
