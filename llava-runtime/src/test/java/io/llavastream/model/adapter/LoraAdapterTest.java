package io.llavastream.model.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.TestModels;
import io.llavastream.model.decode.LlamaDecoder;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading adapter directories: the bundled catalog adapter loads as PEFT wrote it, and every way a directory can be
 * unusable is refused with a message naming the file (and the tensor or field) and what was expected.
 */
class LoraAdapterTest {
    static final Path MODEL = TestModels.demo();
    static final Path CATALOG = MODEL.resolve("adapters").resolve("catalog");

    @TempDir
    Path tmp;

    static ModuleShapes shapes() {
        return ModuleShapes.of(ModelDirectory.open(MODEL));
    }

    /** A copy of the bundled catalog adapter that a test may damage. */
    Path copy() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("catalog"));
        try (Stream<Path> files = Files.list(CATALOG)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    @Test
    void theBundledCatalogAdapterLoadsWithItsPeftConfig() {
        LoraAdapter a = LoraAdapter.load("catalog", CATALOG, shapes());
        assertThat(a.rank()).isEqualTo(8);
        assertThat(a.scaling()).isEqualTo(2.0);
        assertThat(a.style()).isEqualTo("catalog");
        assertThat(a.targets()).contains("q_proj", "v_proj");
        assertThat(a.a()).containsKey("0.q_proj");
        assertThat(a.a().get("0.q_proj")).hasSize(8 * 128);
    }

    @Test
    void aMissingConfigIsRefusedNamingTheFile() throws IOException {
        Path dir = copy();
        Files.delete(dir.resolve(LoraAdapter.CONFIG_FILE));
        assertThatThrownBy(() -> LoraAdapter.load("catalog", dir, shapes())).isInstanceOf(AdapterException.class)
                .hasMessageContaining(dir.resolve(LoraAdapter.CONFIG_FILE).toString()).hasMessageContaining("missing");
    }

    @Test
    void aConfigThatIsNotJsonIsRefusedNamingTheFile() throws IOException {
        Path dir = copy();
        Files.writeString(dir.resolve(LoraAdapter.CONFIG_FILE), "{\"peft_type\": ");
        assertThatThrownBy(() -> LoraAdapter.load("catalog", dir, shapes()))
                .hasMessageContaining(LoraAdapter.CONFIG_FILE).hasMessageContaining("not JSON");
    }

    @Test
    void aTruncatedWeightsFileIsRefusedNamingTheFile() throws IOException {
        Path dir = copy();
        Path weights = dir.resolve(LoraAdapter.WEIGHTS_FILE);
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> LoraAdapter.load("catalog", dir, shapes())).isInstanceOf(AdapterException.class)
                .hasMessageContaining(weights.toString()).hasMessageContaining("data_offsets");
    }

    @Test
    void aRankThatDoesNotFitTheTensorsIsRefusedNamingTheTensorAndShapes() throws IOException {
        Path dir = copy();
        Path config = dir.resolve(LoraAdapter.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"r\": 8", "\"r\": 4"));
        assertThatThrownBy(() -> LoraAdapter.load("catalog", dir, shapes()))
                .hasMessageContaining(LoraAdapter.WEIGHTS_FILE).hasMessageContaining("lora_")
                .hasMessageContaining("has shape").hasMessageContaining("r = 4");
    }

    @Test
    void anUnknownTargetModuleIsRefusedNamingIt() throws IOException {
        Path dir = copy();
        Path config = dir.resolve(LoraAdapter.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"q_proj\"", "\"qkv_proj\""));
        assertThatThrownBy(() -> LoraAdapter.load("catalog", dir, shapes())).hasMessageContaining("'qkv_proj'")
                .hasMessageContaining(ModuleShapes.MODULES.toString());
    }

    @Test
    void anAdapterDirectoryThatIsNotThereIsRefusedWhenTheDecoderLoads() {
        Path missing = tmp.resolve("nope");
        ModelDirectory model = ModelDirectory.open(MODEL);
        assertThatThrownBy(() -> new LlamaDecoder(model, EngineOptions.cpu(), true,
                AdapterSet.load(model, Map.of("nope", missing)))).isInstanceOf(AdapterException.class)
                .hasMessageContaining(missing.resolve(LoraAdapter.CONFIG_FILE).toString());
    }

    @Test
    void anUnknownAdapterNameListsTheLoadedOnes() {
        AdapterSet set = AdapterSet.load(ModelDirectory.open(MODEL), AdapterSpecs.parse(List.of("catalog"), MODEL));
        assertThat(set.index("")).isZero();
        assertThat(set.index("catalog")).isEqualTo(1);
        assertThatThrownBy(() -> set.index("legal")).isInstanceOf(AdapterException.class)
                .hasMessageContaining("unknown adapter 'legal'").hasMessageContaining("[catalog]");
    }

    @Test
    void adapterSpecsAreNamesUnderTheModelOrNameEqualsPath() {
        Map<String, Path> specs = AdapterSpecs.parse(List.of("catalog", "x=/tmp/x"), MODEL);
        assertThat(specs).containsEntry("catalog", MODEL.resolve("adapters/catalog"))
                .containsEntry("x", Path.of("/tmp/x"));
        assertThatThrownBy(() -> AdapterSpecs.parse(List.of("a", "a"), MODEL)).hasMessageContaining("twice");
        assertThatThrownBy(() -> AdapterSpecs.parse(List.of("a b"), MODEL)).hasMessageContaining("'a b'");
    }

    @Test
    void theMaskSelectsEachRowsOwnColumns() {
        AdapterSet set = AdapterSet.load(ModelDirectory.open(MODEL),
                AdapterSpecs.parse(List.of("catalog", "again=" + CATALOG), MODEL));
        assertThat(set.columns()).isEqualTo(16);
        FloatBuffer mask = FloatBuffer.allocate(3 * 16);
        set.mask(new int[] {2, 0, 1}, 3, mask);
        float[] m = mask.array();
        assertThat(java.util.Arrays.copyOfRange(m, 0, 16))
                .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        assertThat(java.util.Arrays.copyOfRange(m, 16, 32)).containsOnly(0f);
        assertThat(java.util.Arrays.copyOfRange(m, 32, 48))
                .containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
        // the stacked A holds adapter 1's A transposed in its columns: A_cat[i][j] = A[j][i]
        float[] a = set.stackedA(0, "q_proj");
        float[] raw = set.adapter(1).a().get("0.q_proj");
        assertThat(a[5 * 16 + 3]).isEqualTo(raw[3 * 128 + 5]);
        assertThat(a[5 * 16 + 8 + 3]).isEqualTo(raw[3 * 128 + 5]);
    }

    @Test
    void aModelDirectoryWithoutTheAdapterCapableGraphsIsRefusedNamingTheMissingGraph() throws IOException {
        Path copy = tmp.resolve("model");
        try (Stream<Path> files = Files.walk(MODEL)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = MODEL.relativize(f).toString();
                if (rel.startsWith("reference") || rel.startsWith("adapters") || rel.contains("_lora")) {
                    continue;
                }
                Path target = copy.resolve(rel);
                Files.createDirectories(target.getParent());
                Files.copy(f, target);
            }
        }
        ModelDirectory model = ModelDirectory.open(copy);
        AdapterSet set = AdapterSet.load(model, Map.of("catalog", CATALOG));
        assertThatThrownBy(() -> new LlamaDecoder(model, EngineOptions.cpu(), true, set))
                .isInstanceOf(AdapterException.class)
                .hasMessageContaining(copy.resolve("onnx").resolve(LlamaDecoder.MERGED_LORA_GRAPH).toString())
                .hasMessageContaining("export_lora_graphs.py");
    }
}
