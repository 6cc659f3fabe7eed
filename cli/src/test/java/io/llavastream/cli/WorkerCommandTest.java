package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import io.llavastream.model.Engine;
import io.llavastream.model.EngineOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The worker command's refusals, which come before any model or broker is touched, and where its engine settings
 * come from: the config file, LLAVA_ENGINE, the flags (only those given) and --engine-option.
 */
class WorkerCommandTest {
    record Run(int exit, String err) {
    }

    static Run run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setErr(p);
            exit = Main.commandLine().execute(args);
        } finally {
            System.setErr(old);
        }
        return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void isASubcommand() {
        assertThat(Main.commandLine().getSubcommands()).containsKey("worker");
    }

    @Test
    void refusesAStageThatDoesNotExist() {
        Run r = run("worker", "--stage", "projector", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--stage must be one of [vision, merge, decode], got projector");
    }

    @Test
    void refusesAMetricsPortOutOfRangeNamingIt() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--metrics-port", "70000");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--metrics-port must be 0..65535 (0 takes a free port), got 70000");
    }

    @Test
    void refusesAnEmptyBatch() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--max-batch", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("max.batch.size");
    }

    @Test
    void refusesAnUnknownEngineNamingIt() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--engine", "gpu");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid value gpu for configuration engine");
    }

    @Test
    void engineFlagsBecomeEngineOptionsAndBadValuesAreNamed() {
        EngineOptions o = options("--threads", "2", "--engine", "CUDA", "--device", "1", "--engine-fallback", "cpu")
                .engineOptions();
        assertThat(o.engine()).isEqualTo(Engine.CUDA);
        assertThat(o.deviceId()).isEqualTo(1);
        assertThat(o.fallbackToCpu()).isTrue();
        assertThat(o.intraOpThreads()).isEqualTo(2);
        assertThatThrownBy(() -> options("--engine-fallback", "gpu").engineOptions())
                .hasMessageContaining("--engine-fallback must be none or cpu, got gpu");
        assertThatThrownBy(() -> options("--engine", "rocm").engineOptions())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rocm")
                .hasMessageContaining("engine");
    }

    @Test
    void aConfigFilesEngineSettingsAreHonouredWhenNoFlagIsGiven(@TempDir Path tmp) throws Exception {
        Path file = engineFile(tmp);
        EngineOptions o = worker("--client-config", file.toString()).checkedConfig(Map.of()).engineOptions();
        assertThat(o.engine()).isEqualTo(Engine.TENSORRT);
        assertThat(o.deviceId()).isEqualTo(3);
        assertThat(o.fallbackToCpu()).isTrue();
        assertThat(o.intraOpThreads()).isEqualTo(5);
        assertThat(o.tensorRt().fp16()).isTrue();
        assertThat(o.tensorRt().engineCacheDir()).hasToString("/cache/trt");
    }

    @Test
    void explicitFlagsOverrideTheConfigFileAndLlavaEngineOverridesItsEngine(@TempDir Path tmp) throws Exception {
        Path file = engineFile(tmp);
        EngineOptions flags = worker("--client-config", file.toString(), "--engine", "cpu", "--device", "0",
                "--engine-fallback", "none", "--threads", "2", "--engine-option", "engine.tensorrt.fp16=false")
                .checkedConfig(Map.of("LLAVA_ENGINE", "cuda")).engineOptions();
        assertThat(flags.engine()).isEqualTo(Engine.CPU);
        assertThat(flags.deviceId()).isZero();
        assertThat(flags.fallbackToCpu()).isFalse();
        assertThat(flags.intraOpThreads()).isEqualTo(2);
        assertThat(flags.tensorRt().fp16()).isFalse();
        EngineOptions env = worker("--client-config", file.toString()).checkedConfig(Map.of("LLAVA_ENGINE", "cuda"))
                .engineOptions();
        assertThat(env.engine()).isEqualTo(Engine.CUDA);
        assertThat(env.deviceId()).as("the file's other engine settings stay").isEqualTo(3);
    }

    @Test
    void engineOptionSetsTensorRtSettingsWithoutAConfigFile() throws Exception {
        EngineOptions o = worker("--engine", "tensorrt", "--engine-option", "engine.tensorrt.fp16=true",
                "--engine-option", "engine.tensorrt.cache.dir=/var/cache/trt", "--engine-option",
                "engine.tensorrt.profiles=inputs_embeds:1x1x128,8x1x128,32x256x128")
                .checkedConfig(Map.of()).engineOptions();
        assertThat(o.engine()).isEqualTo(Engine.TENSORRT);
        assertThat(o.tensorRt().fp16()).isTrue();
        assertThat(o.tensorRt().engineCacheDir()).hasToString("/var/cache/trt");
        assertThat(o.tensorRt().ortOptions()).containsEntry("trt_profile_max_shapes", "inputs_embeds:32x256x128");
    }

    @Test
    void anEngineOptionOutsideTheTensorRtKeysIsRefusedNamingTheKeysThatExist() {
        Run r = run("worker", "--stage", "decode", "--bootstrap-servers", "127.0.0.1:1",
                "--engine-option", "engine.tensorrt.int8=true");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown key engine.tensorrt.int8")
                .contains("[engine.tensorrt.fp16, engine.tensorrt.cache.dir, engine.tensorrt.profiles]");
        Run flagKey = run("worker", "--stage", "decode", "--bootstrap-servers", "127.0.0.1:1",
                "--engine-option", "engine=cuda");
        assertThat(flagKey.exit()).isEqualTo(2);
        assertThat(flagKey.err()).contains("unknown key engine;").contains("--engine");
    }

    @Test
    void anEngineOptionWithABadValueIsRefusedNamingKeyAndValue() {
        Run r = run("worker", "--stage", "decode", "--bootstrap-servers", "127.0.0.1:1",
                "--engine-option", "engine.tensorrt.profiles=inputs_embeds:1xQx128");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("engine.tensorrt.profiles").contains("inputs_embeds:1xQx128");
    }

    private static Path engineFile(Path tmp) throws Exception {
        Path file = tmp.resolve("client.properties");
        Files.writeString(file, String.join("\n", "engine=tensorrt", "engine.device.id=3", "engine.fallback=cpu",
                "engine.threads=5", "engine.tensorrt.fp16=true", "engine.tensorrt.cache.dir=/cache/trt", ""));
        return file;
    }

    /** The worker command as picocli parsed it from {@code worker --stage decode --bootstrap-servers ... args}. */
    private static WorkerCommand worker(String... args) {
        List<String> all = new ArrayList<>(List.of("worker", "--stage", "decode", "--bootstrap-servers", "127.0.0.1:1"));
        all.addAll(List.of(args));
        ParseResult parsed = Main.commandLine().parseArgs(all.toArray(String[]::new));
        return (WorkerCommand) parsed.subcommand().commandSpec().userObject();
    }

    private static ModelOptions options(String... args) {
        return CommandLine.populateCommand(new ModelOptions(), args);
    }

    @Test
    void decodeStreamsTokensUnlessToldNoStreamTokens() throws Exception {
        WorkerCommand on = new WorkerCommand();
        new picocli.CommandLine(on).parseArgs("--stage", "decode", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(on.checkedConfig().streamTokens()).isTrue();
        WorkerCommand off = new WorkerCommand();
        new picocli.CommandLine(off).parseArgs("--stage", "decode", "--bootstrap-servers", "127.0.0.1:1",
                "--no-stream-tokens");
        assertThat(off.checkedConfig().streamTokens()).isFalse();
    }

    @Test
    void visionScoresLabelsUnlessToldNoLabels() throws Exception {
        WorkerCommand on = new WorkerCommand();
        new picocli.CommandLine(on).parseArgs("--stage", "vision", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(on.checkedConfig().labelsEnabled()).isTrue();
        WorkerCommand off = new WorkerCommand();
        new picocli.CommandLine(off).parseArgs("--stage", "vision", "--bootstrap-servers", "127.0.0.1:1",
                "--no-labels");
        assertThat(off.checkedConfig().labelsEnabled()).isFalse();
    }
}
