package io.llavastream.cli;

import io.llavastream.console.Console;
import io.llavastream.console.ConsoleConfig;
import io.llavastream.console.StageView;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.model.text.PromptTokenizer;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topology.PipelineConfig;
import io.llavastream.worker.WorkerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts a {@link Console} for {@code console} and {@code demo}: the pipeline's stages under the consumer groups
 * their processes use by default (the topology's application.id, a worker's llava-&lt;stage&gt;), and the model's
 * CLIP text tower for the search box. Closing it closes the console, then the text tower.
 */
final class ConsoleLauncher implements AutoCloseable {
    private final PromptTokenizer tokenizer;
    private final ClipTextEncoder encoder;
    private final Console console;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private ConsoleLauncher(PromptTokenizer tokenizer, ClipTextEncoder encoder, Console console) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.console = console;
    }

    /**
     * @param settings {@link ConsoleConfig} settings
     * @param kafka    Kafka client settings (bootstrap servers, security)
     * @param model    the model directory whose text tower serves the search box, or null for no search
     */
    static ConsoleLauncher start(Map<String, Object> settings, Map<String, Object> kafka, SchemaRegistry registry,
                                 Path model, EngineOptions engine) throws IOException {
        ConsoleConfig config = new ConsoleConfig(settings);
        PromptTokenizer tokenizer = null;
        ClipTextEncoder encoder = null;
        String visionModelId = null;
        try {
            if (model != null) {
                ModelDirectory dir = ModelDirectory.open(model);
                tokenizer = new PromptTokenizer(dir);
                encoder = new ClipTextEncoder(dir, tokenizer, engine);
                visionModelId = dir.config().visionModelId();
            }
            Console console = Console.start(config, kafka, registry, stages(), encoder, visionModelId);
            return new ConsoleLauncher(tokenizer, encoder, console);
        } catch (IOException | RuntimeException e) {
            closeQuietly(encoder, tokenizer);
            throw e;
        }
    }

    /** The four stages under their default groups, as the topology and worker commands name them. */
    static List<StageView> stages() {
        String topologyGroup = (String) PipelineConfig.DEFINITION.defaultValues()
                .get(PipelineConfig.APPLICATION_ID_CONFIG);
        return StageView.pipeline(topologyGroup, stage -> {
            Map<String, Object> s = new HashMap<>();
            s.put(WorkerConfig.STAGE, stage);
            s.put(WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092");
            return new WorkerConfig(s).groupId();
        });
    }

    Console console() {
        return console;
    }

    String url() {
        return console.url();
    }

    /** Closes the console, then the text tower; a second call does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        console.close();
        closeQuietly(encoder, tokenizer);
    }

    private static void closeQuietly(ClipTextEncoder encoder, PromptTokenizer tokenizer) {
        if (encoder != null) {
            encoder.close();
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
