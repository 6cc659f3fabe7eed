package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.ModelDirectory;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decode worker running as its own JVM is killed with SIGKILL in the middle of a run and started again: every
 * post still comes out, exactly once, and every image is answered exactly once (read_committed).
 */
class WorkerCrashTest {
    static final int POSTS = 60;
    @TempDir
    Path logs;

    @Test
    void killedDecodeWorkerLosesNothingAndDuplicatesNothing() throws Exception {
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), List.of("vision", "merge"), 8,
                System.err::println);
             PipelineClient client = pipeline.client()) {
            Process first = decodeWorker(pipeline, "first");
            for (Scene s : new SceneGenerator(808).scenes(0, POSTS)) {
                client.send(PngPosts.of("crash-" + s.id(), "crash", SceneRenderer.png(s)));
            }
            client.flush();
            Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
            client.read(Topics.ANSWERS, Duration.ofSeconds(120), r -> count(answers, r.key()),
                    () -> answers.size() >= POSTS / 4);
            first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);  // SIGKILL: no shutdown hook, no clean close
            int beforeCrash = answers.size();
            Process second = decodeWorker(pipeline, "second");
            try {
                Map<String, AtomicInteger> posts = new ConcurrentHashMap<>();
                client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(180), r -> count(posts, r.key()),
                        () -> posts.size() >= POSTS);
                Thread.sleep(3000);  // room for a late duplicate to show up
                answers.clear();
                posts.clear();
                client.read(Topics.ANSWERS, Duration.ofSeconds(10), r -> count(answers, r.key()), () -> false);
                client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(10), r -> count(posts, r.key()), () -> false);
                assertThat(posts).hasSize(POSTS);
                assertThat(posts.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
                assertThat(answers).hasSize(POSTS);
                assertThat(answers.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
                System.out.println("crash test: killed the decode worker after " + beforeCrash + " of " + POSTS
                        + " answers; after the restart " + posts.size() + " posts and " + answers.size()
                        + " answers, each exactly once");
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static void count(Map<String, AtomicInteger> m, String key) {
        m.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    private Process decodeWorker(EmbeddedPipeline pipeline, String name) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = logs.resolve(name + ".log").toFile();
        return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dllava.repo.root=" + System.getProperty("llava.repo.root", ".."), "-Dai.djl.offline=true",
                "io.llavastream.cli.Main", "worker", "--stage", "decode", "--bootstrap-servers",
                pipeline.bootstrapServers(), "--schema-registry-url", pipeline.registryUrl(), "--instance-id",
                "decode-0", "--max-batch", "8", "--progress-seconds", "2")
                .redirectErrorStream(true).redirectOutput(log).start();
    }

}
