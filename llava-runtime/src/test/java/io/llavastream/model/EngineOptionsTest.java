package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine setting on the CPU build of ONNX Runtime, which has no CUDA or TensorRT provider: cpu loads, a GPU
 * engine fails fast naming the provider, or falls back to the CPU and answers exactly as the cpu engine does.
 */
class EngineOptionsTest {
    static byte[] png = SceneRenderer.png(new SceneGenerator(5).scene(3));
    static Path projector;

    @BeforeAll
    static void cpuBuildHasNoGpuProviders() {
        assertThat(OrtEnvironment.getAvailableProviders()).doesNotContain(OrtProvider.CUDA, OrtProvider.TENSOR_RT);
        projector = ModelDirectory.open(TestModels.demo()).graph("projector.onnx");
    }

    @Test
    void existingFactoriesStillMeanTheCpuEngineWithoutFallback() {
        EngineOptions o = EngineOptions.threads(2).withMaxImagePixels(1000);
        assertThat(o.engine()).isEqualTo(Engine.CPU);
        assertThat(o.fallbackToCpu()).isFalse();
        assertThat(o.intraOpThreads()).isEqualTo(2);
        assertThat(o.maxImagePixels()).isEqualTo(1000);
        assertThat(EngineOptions.cpu().engine()).isEqualTo(Engine.CPU);
    }

    @Test
    void engineCpuLoadsTheDemoModelAndAnswers() {
        try (LlavaModel m = LlavaModel.load(TestModels.demo(), EngineOptions.cpu())) {
            assertThat(caption(m)).isNotEmpty();
        }
        try (OnnxGraph g = new OnnxGraph(projector, EngineOptions.cpu(), Set.of(), Set.of())) {
            assertThat(g.engine()).isEqualTo(Engine.CPU);
        }
    }

    @Test
    void engineCudaWithoutTheProviderFailsFastNamingTheProviderAndTheAvailableOnes() {
        EngineOptions cuda = EngineOptions.cpu().withEngine(Engine.CUDA);
        assertThatThrownBy(() -> LlavaModel.load(TestModels.demo(), cuda)).isInstanceOf(ModelException.class)
                .hasMessageContaining("engine cuda needs ONNX Runtime's CUDA execution provider")
                .hasMessageContaining("which this build lacks (available: " + OrtEnvironment.getAvailableProviders())
                .hasMessageContaining("CPU")
                .hasMessageContaining("onnxruntime_gpu jar with CUDA 12 + cuDNN 9")
                .hasMessageContaining("engine.fallback=cpu");
    }

    @Test
    void engineTensorrtWithoutTheProviderFailsFastNamingTheProvider() {
        EngineOptions trt = EngineOptions.cpu().withEngine(Engine.TENSORRT);
        assertThatThrownBy(() -> new OnnxGraph(projector, trt, Set.of(), Set.of()))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("engine tensorrt needs ONNX Runtime's TensorRT execution provider")
                .hasMessageContaining("available: [CPU")
                .hasMessageContaining("TensorRT 10");
    }

    @Test
    void engineCudaWithFallbackCpuLoadsAndAnswersWithTheCpuEnginesTokens() {
        long[] expected;
        try (LlavaModel cpu = LlavaModel.load(TestModels.demo(), EngineOptions.cpu())) {
            expected = caption(cpu);
        }
        EngineOptions cuda = EngineOptions.cpu().withEngine(Engine.CUDA).withDeviceId(1).withFallbackToCpu(true);
        try (LlavaModel m = LlavaModel.load(TestModels.demo(), cuda)) {
            assertThat(caption(m)).containsExactly(expected);
        }
        try (OnnxGraph g = new OnnxGraph(projector, cuda, Set.of(), Set.of())) {
            assertThat(g.engine()).isEqualTo(Engine.CPU);
        }
    }

    @Test
    void engineTensorrtWithFallbackCpuLoadsAndAnswersWithTheCpuEnginesTokens() {
        long[] expected;
        try (LlavaModel cpu = LlavaModel.load(TestModels.demo(), EngineOptions.cpu())) {
            expected = caption(cpu);
        }
        EngineOptions trt = EngineOptions.cpu().withEngine(Engine.TENSORRT).withFallbackToCpu(true)
                .withTensorRt(TensorRtOptions.defaults().withFp16(true).withEngineCacheDir(Path.of("/tmp/trt"))
                        .withProfiles("inputs_embeds:1x1x128,8x1x128,32x256x128"));
        try (LlavaModel m = LlavaModel.load(TestModels.demo(), trt)) {
            assertThat(caption(m)).containsExactly(expected);
        }
        try (OnnxGraph g = new OnnxGraph(projector, trt, Set.of(), Set.of())) {
            assertThat(g.engine()).isEqualTo(Engine.CPU);
        }
    }

    @Test
    void aProviderThatIsListedButFailsToStartFailsFastOrFallsBack() {
        // pretend the build lists CUDA: the CPU jar's addCUDA then throws, as a GPU build without a driver would
        Set<OrtProvider> pretend = EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA, OrtProvider.TENSOR_RT);
        EngineOptions cuda = EngineOptions.cpu().withEngine(Engine.CUDA);
        assertThatThrownBy(() -> cuda.sessionOptions("projector.onnx", pretend)).isInstanceOf(ModelException.class)
                .hasMessageContaining("engine cuda could not start ONNX Runtime's CUDA execution provider on device 0")
                .hasMessageContaining("engine.fallback=cpu");
        EngineOptions trt = EngineOptions.cpu().withEngine(Engine.TENSORRT);
        assertThatThrownBy(() -> trt.sessionOptions("projector.onnx", pretend)).isInstanceOf(ModelException.class)
                .hasMessageContaining("engine tensorrt could not start ONNX Runtime's TensorRT execution provider");
        try (EngineOptions.Resolved r = cuda.withFallbackToCpu(true).sessionOptions("projector.onnx", pretend)) {
            assertThat(r.engine()).isEqualTo(Engine.CPU);
        }
    }

    @Test
    void tensorRtSettingsBecomeOrtProviderOptions() {
        TensorRtOptions t = TensorRtOptions.defaults().withFp16(true).withEngineCacheDir(Path.of("/cache/trt"))
                .withProfiles("inputs_embeds:1x1x128,8x1x128,32x256x128; attention_mask:1x1,8x64,32x512");
        assertThat(t.ortOptions()).containsEntry("trt_fp16_enable", "1")
                .containsEntry("trt_engine_cache_enable", "1")
                .containsEntry("trt_engine_cache_path", "/cache/trt")
                .containsEntry("trt_profile_min_shapes", "inputs_embeds:1x1x128,attention_mask:1x1")
                .containsEntry("trt_profile_opt_shapes", "inputs_embeds:8x1x128,attention_mask:8x64")
                .containsEntry("trt_profile_max_shapes", "inputs_embeds:32x256x128,attention_mask:32x512");
        assertThat(TensorRtOptions.defaults().ortOptions()).containsOnlyKeys("trt_fp16_enable")
                .containsEntry("trt_fp16_enable", "0");
    }

    @Test
    void tensorRtProfileParsesInputAndThreeShapes() {
        TensorRtProfile p = TensorRtProfile.parse("inputs_embeds:1x1x128,8x1x128,32x256x128");
        assertThat(p.input()).isEqualTo("inputs_embeds");
        assertThat(p.min()).containsExactly(1, 1, 128);
        assertThat(p.opt()).containsExactly(8, 1, 128);
        assertThat(p.max()).containsExactly(32, 256, 128);
        assertThat(p).hasToString("inputs_embeds:1x1x128,8x1x128,32x256x128");
        assertThat(TensorRtProfile.parseAll("")).isEmpty();
    }

    @Test
    void badTensorRtProfilesAreRefusedNamingTheBadValue() {
        assertThatThrownBy(() -> TensorRtProfile.parse("1x1x128,8x1x128,32x256x128"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'1x1x128,8x1x128,32x256x128'")
                .hasMessageContaining("input:MIN,OPT,MAX");
        assertThatThrownBy(() -> TensorRtProfile.parse("x:1x1,8x1"))
                .hasMessageContaining("'x:1x1,8x1'").hasMessageContaining("three shapes");
        assertThatThrownBy(() -> TensorRtProfile.parse("x:1xAx128,8x1x128,32x256x128"))
                .hasMessageContaining("dimension 'A'").hasMessageContaining("'1xAx128'");
        assertThatThrownBy(() -> TensorRtProfile.parse("x:1x0,8x1,9x9")).hasMessageContaining("'1x0'")
                .hasMessageContaining(">= 1");
        assertThatThrownBy(() -> TensorRtProfile.parse("x:1x1,8x1x1,9x9"))
                .hasMessageContaining("'x'").hasMessageContaining("different ranks");
        assertThatThrownBy(() -> TensorRtProfile.parse("x:1x8,8x1,9x9"))
                .hasMessageContaining("'x'").hasMessageContaining("min <= opt <= max").hasMessageContaining("1x8");
        assertThatThrownBy(() -> TensorRtProfile.parseAll("x:1,2,3;x:1,2,4")).hasMessageContaining("'x' given twice");
    }

    @Test
    void engineNamesParseInAnyCaseAndAnUnknownOneIsNamed() {
        assertThat(Engine.parse("TensorRT")).isEqualTo(Engine.TENSORRT);
        assertThat(Engine.parse("cuda")).isEqualTo(Engine.CUDA);
        assertThatThrownBy(() -> Engine.parse("gpu")).hasMessageContaining("'gpu'")
                .hasMessageContaining("[cpu, cuda, tensorrt]");
    }

    private static long[] caption(LlavaModel m) {
        return m.answer(m.pixelValues(png), 1, PromptTemplate.captionPrompt(), SamplingParams.greedy(16)).tokenIds();
    }
}
