package io.llavastream.model;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TensorRT execution provider settings.
 *
 * @param fp16 lets TensorRT pick fp16 kernels (trt_fp16_enable)
 * @param engineCacheDir where built engines are cached across restarts (trt_engine_cache_enable +
 *        trt_engine_cache_path); null = no cache, every start rebuilds
 * @param profiles optimization profiles by input name (trt_profile_min/opt/max_shapes); empty = let TensorRT
 *        take the shapes it first sees
 */
public record TensorRtOptions(boolean fp16, Path engineCacheDir, Map<String, TensorRtProfile> profiles) {

    public TensorRtOptions {
        profiles = Collections.unmodifiableMap(new LinkedHashMap<>(profiles == null ? Map.of() : profiles));
    }

    public static TensorRtOptions defaults() {
        return new TensorRtOptions(false, null, Map.of());
    }

    public TensorRtOptions withFp16(boolean on) {
        return new TensorRtOptions(on, engineCacheDir, profiles);
    }

    public TensorRtOptions withEngineCacheDir(Path dir) {
        return new TensorRtOptions(fp16, dir, profiles);
    }

    /** Profiles in the {@code input:MIN,OPT,MAX;...} form, see {@link TensorRtProfile#parseAll}. */
    public TensorRtOptions withProfiles(String specs) {
        return new TensorRtOptions(fp16, engineCacheDir, TensorRtProfile.parseAll(specs));
    }

    /** The provider options as ONNX Runtime names them (trt_*), in a stable order. */
    public Map<String, String> ortOptions() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("trt_fp16_enable", fp16 ? "1" : "0");
        if (engineCacheDir != null) {
            o.put("trt_engine_cache_enable", "1");
            o.put("trt_engine_cache_path", engineCacheDir.toString());
        }
        if (!profiles.isEmpty()) {
            var shapes = TensorRtProfile.ortShapes(profiles.values());
            o.put("trt_profile_min_shapes", shapes.get(0));
            o.put("trt_profile_opt_shapes", shapes.get(1));
            o.put("trt_profile_max_shapes", shapes.get(2));
        }
        return o;
    }
}
