package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.adapter.AdapterException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decode worker loads its adapters (decode.adapters) at start: a corrupt adapter directory stops it there, before
 * it touches Kafka, with a message naming the file.
 */
class AdapterStartupTest {
    @TempDir
    Path tmp;

    private static WorkerConfig decode(String adapters) {
        return new WorkerConfig(Map.of(WorkerConfig.STAGE, "decode", WorkerConfig.BOOTSTRAP_SERVERS, "localhost:1",
                WorkerConfig.DECODE_ADAPTERS, adapters));
    }

    @Test
    void aDecodeWorkerWithATruncatedAdapterFileRefusesToStartNamingTheFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Path catalog = ModelDirectory.bundled().resolve("adapters/catalog");
        Files.copy(catalog.resolve("adapter_config.json"), dir.resolve("adapter_config.json"));
        byte[] weights = Files.readAllBytes(catalog.resolve("adapter_model.safetensors"));
        Files.write(dir.resolve("adapter_model.safetensors"), java.util.Arrays.copyOf(weights, 100));
        assertThatThrownBy(() -> Workers.create(ModelDirectory.bundled(), EngineOptions.cpu(),
                decode("catalog,broken=" + dir), null)).isInstanceOf(AdapterException.class)
                .hasMessageContaining("adapter 'broken'")
                .hasMessageContaining(dir.resolve("adapter_model.safetensors").toString());
    }

    @Test
    void aDecodeWorkerNamingAnAdapterThatIsNotThereRefusesToStartNamingTheMissingFile() {
        assertThatThrownBy(() -> Workers.create(ModelDirectory.bundled(), EngineOptions.cpu(), decode("legal"), null))
                .isInstanceOf(AdapterException.class)
                .hasMessageContaining(ModelDirectory.bundled().resolve("adapters/legal/adapter_config.json")
                        .toString());
    }
}
