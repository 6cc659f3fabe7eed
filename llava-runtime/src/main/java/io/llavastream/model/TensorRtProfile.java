package io.llavastream.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A TensorRT optimization profile for one dynamic graph input: the smallest, the typical and the largest shape
 * TensorRT builds its engine for. Written {@code input:MIN,OPT,MAX} with shapes like {@code 1x1x128}, e.g.
 * {@code inputs_embeds:1x1x128,8x1x128,32x256x128}; several inputs are separated by {@code ;}.
 */
public record TensorRtProfile(String input, long[] min, long[] opt, long[] max) {

    public TensorRtProfile {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("TensorRT profile needs an input name");
        }
        if (min.length != opt.length || opt.length != max.length) {
            throw new IllegalArgumentException("TensorRT profile for '" + input + "': min, opt and max shapes have "
                    + "different ranks (" + shape(min) + ", " + shape(opt) + ", " + shape(max) + ")");
        }
        for (int i = 0; i < min.length; i++) {
            if (min[i] > opt[i] || opt[i] > max[i]) {
                throw new IllegalArgumentException("TensorRT profile for '" + input + "': dimension " + i
                        + " needs min <= opt <= max, got " + shape(min) + ", " + shape(opt) + ", " + shape(max));
            }
        }
        min = min.clone();
        opt = opt.clone();
        max = max.clone();
    }

    /** Parses one {@code input:MIN,OPT,MAX}; errors name the bad value. */
    public static TensorRtProfile parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("bad TensorRT profile '" + spec
                    + "': expected input:MIN,OPT,MAX, e.g. inputs_embeds:1x1x128,8x1x128,32x256x128");
        }
        String input = s.substring(0, colon).trim();
        String[] shapes = s.substring(colon + 1).split(",", -1);
        if (shapes.length != 3) {
            throw new IllegalArgumentException("bad TensorRT profile '" + spec + "': expected three shapes "
                    + "MIN,OPT,MAX after '" + input + ":', got " + shapes.length);
        }
        return new TensorRtProfile(input, parseShape(spec, shapes[0]), parseShape(spec, shapes[1]),
                parseShape(spec, shapes[2]));
    }

    /** Parses {@code a:MIN,OPT,MAX;b:MIN,OPT,MAX}; blank gives no profiles; an input named twice is an error. */
    public static Map<String, TensorRtProfile> parseAll(String specs) {
        Map<String, TensorRtProfile> out = new LinkedHashMap<>();
        if (specs == null || specs.isBlank()) {
            return out;
        }
        for (String spec : specs.split(";")) {
            if (spec.isBlank()) {
                continue;
            }
            TensorRtProfile p = parse(spec);
            if (out.put(p.input(), p) != null) {
                throw new IllegalArgumentException("TensorRT profile for '" + p.input() + "' given twice in '"
                        + specs + "'");
            }
        }
        return out;
    }

    private static long[] parseShape(String spec, String shape) {
        String t = shape.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("bad TensorRT profile '" + spec + "': empty shape");
        }
        String[] dims = t.split("x", -1);
        long[] out = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            try {
                out[i] = Long.parseLong(dims[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad TensorRT profile '" + spec + "': shape '" + t
                        + "' has dimension '" + dims[i] + "', which is not a number (write shapes like 1x1x128)");
            }
            if (out[i] < 1) {
                throw new IllegalArgumentException("bad TensorRT profile '" + spec + "': shape '" + t
                        + "' has dimension " + out[i] + "; dimensions must be >= 1");
            }
        }
        return out;
    }

    static String shape(long[] dims) {
        return Arrays.stream(dims).mapToObj(Long::toString).collect(Collectors.joining("x"));
    }

    /** The three ORT option values, trt_profile_min_shapes / opt / max: "a:1x2,b:3x4". */
    static List<String> ortShapes(Iterable<TensorRtProfile> profiles) {
        List<String> mins = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        List<String> maxs = new ArrayList<>();
        for (TensorRtProfile p : profiles) {
            mins.add(p.input() + ":" + shape(p.min()));
            opts.add(p.input() + ":" + shape(p.opt()));
            maxs.add(p.input() + ":" + shape(p.max()));
        }
        return List.of(String.join(",", mins), String.join(",", opts), String.join(",", maxs));
    }

    @Override
    public String toString() {
        return input + ":" + shape(min) + "," + shape(opt) + "," + shape(max);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorRtProfile p && p.input.equals(input) && Arrays.equals(p.min, min)
                && Arrays.equals(p.opt, opt) && Arrays.equals(p.max, max);
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
