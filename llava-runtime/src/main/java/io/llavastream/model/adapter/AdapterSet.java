package io.llavastream.model.adapter;

import io.llavastream.model.ModelDirectory;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The adapters a decoder serves, side by side (S-LoRA / punica style): adapter k (1-based; 0 is the base model)
 * owns columns [offset_k, offset_k + r_k) of C = the sum of the ranks. For every layer and projection the
 * adapter-capable graphs take A [in, C] (each adapter's A transposed, in its columns; zeros where it does not
 * target that projection), B [C, out] (its B transposed and scaled) and, per row, a mask [B, C] that is 1 on the
 * columns of that row's adapter. A row's update ((x A) * mask) B thus sums only its own adapter's columns; a base
 * row's mask is all zeros and adds exact zeros.
 */
public final class AdapterSet {
    /** No adapters: the decoder runs the plain graphs. */
    public static final AdapterSet EMPTY = new AdapterSet(List.of(), null);

    private final List<LoraAdapter> adapters;
    private final ModuleShapes shapes;
    private final int[] offsets;
    private final int columns;

    private AdapterSet(List<LoraAdapter> adapters, ModuleShapes shapes) {
        this.adapters = List.copyOf(adapters);
        this.shapes = shapes;
        this.offsets = new int[adapters.size()];
        int c = 0;
        for (int k = 0; k < adapters.size(); k++) {
            offsets[k] = c;
            c += adapters.get(k).rank();
        }
        this.columns = c;
    }

    /**
     * Loads {@code dirs} (name to adapter directory, in index order 1, 2, ...) for the model in {@code model}.
     * Throws an {@link AdapterException} naming the first file that cannot be used.
     */
    public static AdapterSet load(ModelDirectory model, Map<String, Path> dirs) {
        if (dirs.isEmpty()) {
            return EMPTY;
        }
        ModuleShapes shapes = ModuleShapes.of(model);
        List<LoraAdapter> loaded = new ArrayList<>();
        dirs.forEach((name, dir) -> loaded.add(LoraAdapter.load(name, dir, shapes)));
        return new AdapterSet(loaded, shapes);
    }

    public boolean isEmpty() {
        return adapters.isEmpty();
    }

    public int size() {
        return adapters.size();
    }

    /** The loaded adapters' names, in index order (index 1 first). */
    public List<String> names() {
        return adapters.stream().map(LoraAdapter::name).toList();
    }

    /** Adapter {@code index} (1-based). */
    public LoraAdapter adapter(int index) {
        return adapters.get(index - 1);
    }

    /**
     * The index of the adapter called {@code name}: 0 (the base model) for null or "", else 1.. in load order.
     *
     * @throws AdapterException naming the unknown adapter and the loaded ones
     */
    public int index(String name) {
        if (name == null || name.isEmpty()) {
            return 0;
        }
        for (int k = 0; k < adapters.size(); k++) {
            if (adapters.get(k).name().equals(name)) {
                return k + 1;
            }
        }
        throw new AdapterException("unknown adapter '" + name + "'; loaded: " + names()
                + " (an empty name selects the base model)");
    }

    /** The name of adapter {@code index}, "" for 0 (the base model). */
    public String name(int index) {
        return index == 0 ? "" : adapter(index).name();
    }

    /** C: the columns of the stacked A and B (the sum of the ranks). */
    public int columns() {
        return columns;
    }

    public int layers() {
        return shapes.layers();
    }

    public ModuleShapes shapes() {
        return shapes;
    }

    /** A of {@code layer}'s {@code module}, [in, C] row-major. */
    public float[] stackedA(int layer, String module) {
        int in = shapes.in(module);
        float[] out = new float[in * columns];
        for (int k = 0; k < adapters.size(); k++) {
            float[] a = adapters.get(k).a().get(layer + "." + module);  // [r, in]
            int r = adapters.get(k).rank();
            for (int j = 0; a != null && j < r; j++) {
                for (int i = 0; i < in; i++) {
                    out[i * columns + offsets[k] + j] = a[j * in + i];
                }
            }
        }
        return out;
    }

    /** Scaled B of {@code layer}'s {@code module}, [C, out] row-major. */
    public float[] stackedB(int layer, String module) {
        int width = shapes.out(module);
        float[] out = new float[columns * width];
        for (int k = 0; k < adapters.size(); k++) {
            LoraAdapter ad = adapters.get(k);
            float[] b = ad.b().get(layer + "." + module);  // [out, r]
            int r = ad.rank();
            for (int j = 0; b != null && j < r; j++) {
                for (int o = 0; o < width; o++) {
                    out[(offsets[k] + j) * width + o] = (float) (ad.scaling() * b[o * r + j]);
                }
            }
        }
        return out;
    }

    /** Writes the mask [rows, C] of rows whose adapter indices are {@code rowAdapters} into {@code out}. */
    public void mask(int[] rowAdapters, int rows, FloatBuffer out) {
        for (int row = 0; row < rows; row++) {
            int k = rowAdapters[row];
            if (k < 0 || k > adapters.size()) {
                throw new AdapterException("adapter index " + k + " of row " + row + "; expected 0.."
                        + adapters.size());
            }
            for (int c = 0; c < columns; c++) {
                boolean own = k > 0 && c >= offsets[k - 1] && c < offsets[k - 1] + adapters.get(k - 1).rank();
                out.put(row * columns + c, own ? 1f : 0f);
            }
        }
    }
}
