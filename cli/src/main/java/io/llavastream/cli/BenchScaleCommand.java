package io.llavastream.cli;

import io.llavastream.scale.LatencyModel;
import io.llavastream.scale.RunResult;
import io.llavastream.scale.ScaleConfig;
import io.llavastream.scale.ScaleModel;
import io.llavastream.scale.ScaleReport;
import io.llavastream.scale.ScaleRow;
import io.llavastream.scale.ScaleSimulation;
import io.llavastream.scale.ScaleSummary;
import io.llavastream.scale.TensorSizes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench scale}: the scaling SIMULATION at LLaVA-1.5-7B sizes (package io.llavastream.scale). */
@Command(name = "scale", mixinStandardHelpOptions = true,
        description = {"SIMULATION of horizontal scaling at LLaVA-1.5-7B sizes: the real stage runtime (StageDriver: "
                + "read_committed, batches, transactions) with 1, 2 and 4 workers per stage on one embedded broker, "
                + "records of the real sizes (Zv 576x1024 and Hv 576x4096 fp16), and GPU compute replaced by a "
                + "latency model from published figures (see docs/scaling.md). It measures Kafka and the runtime, "
                + "not a GPU.",
                "First a ceiling run (the most workers, no compute) finds what this broker carries; the simulated "
                        + "GPUs are then slowed by a time scale so that the most workers need half of it, unless "
                        + "--time-scale is given. Reports posts/s, scaling against the first worker count, broker "
                        + "MB/s in and out, and the worker count where Kafka's byte rate becomes the limit."})
final class BenchScaleCommand implements Callable<Integer> {
    @Option(names = "--workers", split = ",", defaultValue = "1,2,4",
            description = "Workers per stage, one run each, ascending (default ${DEFAULT-VALUE}).")
    List<Integer> workers;
    @Option(names = "--posts", defaultValue = "32",
            description = "Posts per worker per run: a run with W workers per stage sends W x N (default "
                    + "${DEFAULT-VALUE}).")
    int posts;
    @Option(names = "--duration", description = "Instead of a count, send posts for this many seconds per run "
            + "(at most W x --posts), then wait for their answers.")
    Double durationSeconds;
    @Option(names = "--time-scale", defaultValue = "auto", description = "Simulated GPU time multiplier, or auto "
            + "(default): chosen so that the most workers need --headroom of the measured ceiling.")
    String timeScale;
    @Option(names = "--headroom", defaultValue = "0.5",
            description = "Share of the ceiling the most workers may need under --time-scale auto (default "
                    + "${DEFAULT-VALUE}).")
    double headroom;
    @Option(names = "--no-ceiling", description = "Skip the ceiling run (then --time-scale must be a number).")
    boolean noCeiling;
    @Option(names = "--vision-latency", description = "Vision per call, FIXED+PER_IMAGE ms of GPU time (default "
            + "2+29.6: CLIP ViT-L/14@336 on a T4, TensorRT fp16).")
    String visionLatency;
    @Option(names = "--merge-latency", description = "Merge per call, FIXED+PER_IMAGE ms (default 0.5+0.1).")
    String mergeLatency;
    @Option(names = "--decode-step-latency", description = "Decode per step, FIXED+PER_ROW ms (default 4.0+0.1: "
            + "Vicuna-7B fp16 on an H100).")
    String decodeStepLatency;
    @Option(names = "--prefill-ms", description = "Decode prefill per request, ms (default 15).")
    Double prefillMs;
    @Option(names = "--answer-tokens", description = "Tokens per answer (default 60).")
    Integer answerTokens;
    @Option(names = "--vision-batch", description = "Vision batch (default 8).")
    Integer visionBatch;
    @Option(names = "--merge-batch", description = "Merge batch (default 8).")
    Integer mergeBatch;
    @Option(names = "--decode-batch", description = "Decode rows decoding at once (default 8).")
    Integer decodeBatch;
    @Option(names = "--image-bytes", description = "Bytes of each post's image (default 200000).")
    Integer imageBytes;
    @Option(names = "--receive-buffer-bytes", defaultValue = "-1", description = "The stage workers' Kafka "
            + "receive.buffer.bytes (default ${DEFAULT-VALUE}: the OS sizes it). Kafka's default, 65536, starves "
            + "decode of 4.7 MB records: its driver polls once per step, and a poll reads about one buffer.")
    int receiveBufferBytes;
    @Option(names = "--json", description = "One JSON object per worker count, then a summary.")
    boolean json;

    @Override
    public Integer call() {
        ScaleConfig config = new ScaleConfig(model(), workers, posts,
                durationSeconds == null ? null : Duration.ofMillis((long) (durationSeconds * 1000)),
                "auto".equalsIgnoreCase(timeScale) ? null : Double.valueOf(timeScale), !noCeiling, headroom, null,
                receiveBufferBytes);
        ScaleReport report = ScaleSimulation.run(config, System.err::println);
        if (json) {
            report.rows().forEach(JsonLines::print);
            JsonLines.print(report.summary());
        } else {
            print(report);
        }
        return report.rows().stream().allMatch(r -> r.missing() == 0 && r.duplicates() == 0) ? 0 : 1;
    }

    private ScaleModel model() {
        ScaleModel d = ScaleModel.llava15Of7b();
        TensorSizes s = d.sizes();
        TensorSizes sizes = imageBytes == null ? s : new TensorSizes(imageBytes, s.patches(), s.visionDim(),
                s.hiddenDim(), s.embedDim(), s.promptTokens());
        return new ScaleModel(latency(visionLatency, d.vision()), or(visionBatch, d.visionBatch()),
                latency(mergeLatency, d.merge()), or(mergeBatch, d.mergeBatch()),
                latency(decodeStepLatency, d.decodeStep()), prefillMs == null ? d.prefillMs() : prefillMs,
                or(decodeBatch, d.decodeBatch()), or(answerTokens, d.answerTokens()), sizes);
    }

    private static LatencyModel latency(String option, LatencyModel fallback) {
        return option == null ? fallback : LatencyModel.parse(option);
    }

    private static int or(Integer option, int fallback) {
        return option == null ? fallback : option;
    }

    private static void print(ScaleReport report) {
        ScaleSummary s = report.summary();
        System.out.println(ScaleReport.NOTE);
        System.out.printf("model: one worker per stage = %.1f posts/s at GPU speed (vision %.1f, merge %.0f, "
                        + "decode %.1f); time scale %.1f%s -> %.2f posts/s per worker simulated%n",
                s.gpuPostsPerSecondPerWorker(), (Double) s.model().get("vision_posts_per_s_per_worker"),
                (Double) s.model().get("merge_posts_per_s_per_worker"),
                (Double) s.model().get("decode_posts_per_s_per_worker"), s.timeScale(),
                s.timeScaleAuto() ? " (auto)" : "", s.simPostsPerSecondPerWorker());
        System.out.printf("bytes per post: produced %.2f MB, consumed %.2f MB (image %d, Zv cache %d, merge "
                        + "request %d, decode request %d, answer %d)%n", s.hopBytesProducedPerPost() / 1e6,
                s.hopBytesConsumedPerPost() / 1e6, s.hopBytes().visionRequest(), s.hopBytes().visionFeatures(),
                s.hopBytes().mergeRequest(), s.hopBytes().decodeRequest(), s.hopBytes().answer());
        RunResult c = s.ceiling();
        if (c != null) {
            System.out.printf("ceiling (%d workers/stage, no compute): %.2f posts/s, broker %.1f MB/s in + %.1f "
                            + "MB/s out%n", c.workers(), c.postsPerSecond(), c.mbInPerSecond(),
                    c.mbOutPerSecond());
        }
        System.out.printf("%8s %8s %8s %8s %8s %9s %9s %7s %7s %7s %6s %9s %8s%n", "workers", "posts/s",
                "scaling", "target", "eff", "MB/s in", "MB/s out", "vision", "merge", "decode", "rows", "ovh ms/st",
                "kafka");
        for (ScaleRow r : report.rows()) {
            System.out.printf("%8d %8.2f %7.2fx %8s %7.0f%% %9.1f %9.1f %6.0f%% %6.0f%% %6.0f%% %6.1f %9.1f %8s%s%n",
                    r.workers(), r.postsPerSecond(), r.scaling(),
                    r.target() == null ? "-" : String.format("%.1fx", r.target()), 100 * r.efficiency(),
                    r.brokerMbInPerSecond(), r.brokerMbOutPerSecond(), 100 * r.gpuBusy().get("vision"),
                    100 * r.gpuBusy().get("merge"), 100 * r.gpuBusy().get("decode"), r.decodeMeanBatch(),
                    r.decodeOverheadMs(),
                    r.kafkaLimited() == null ? "-" : r.kafkaLimited() ? "limited" : "ok",
                    r.missing() + r.duplicates() > 0 ? String.format("  (%d missing, %d duplicates)", r.missing(),
                            r.duplicates()) : "");
        }
        System.out.println("(vision/merge/decode: share of the window the simulated GPUs were busy; rows: mean "
                + "decode batch; ovh: decode time per step that was not GPU time; kafka: limited when the busiest "
                + "stage was busy < 80%)");
        if (s.kafkaLimitWorkers() != null) {
            System.out.printf("Kafka ceiling: about %.1f workers per stage at this time scale; %.2f at the modelled "
                    + "GPU speed (one worker per stage needs %.0f MB/s of broker in+out there)%n",
                    s.kafkaLimitWorkers(), s.kafkaLimitWorkersAtGpuSpeed(),
                    s.gpuPostsPerSecondPerWorker() * (s.hopBytesProducedPerPost() + s.hopBytesConsumedPerPost())
                            / 1e6);
        }
    }
}
