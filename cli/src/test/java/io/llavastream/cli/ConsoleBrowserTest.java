package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.console.ConsoleConfig;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Workers;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's headless Chromium, driven through chromedriver by Selenium, against the
 * embedded pipeline (real broker, real model) and the console as {@code demo} serves it. Loads the page, watches scene posts arrive
 * and get captioned, uploads an image through the page's file input, waits for its caption to appear on the page, searches for it through the
 * search box and finds it among the results, and saves a screenshot to target/console.png. Skips when Chromium or
 * chromedriver is missing, unless LLAVA_REQUIRE_CHROMIUM=1 (CI sets it once it has installed them).
 */
class ConsoleBrowserTest {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("LLAVA_CHROMIUM", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("LLAVA_CHROMEDRIVER",
            "/usr/bin/chromedriver"));
    static final Duration WAIT = Duration.ofSeconds(240);
    static final long SEED = 4242;
    static final int SCENES = 8;

    @Test
    void anUploadedImageIsCaptionedOnThePageAndFoundByTheSearchBox() throws Exception {
        requireBrowser();
        Path model = ModelDirectory.bundled();
        Scene upload = new SceneGenerator(SEED).scene(99);
        Path png = Files.createTempFile("console-upload-", ".png");
        Files.write(png, SceneRenderer.png(upload));
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(model, Workers.STAGES, 8, System.err::println);
             ConsoleLauncher console = ConsoleLauncher.start(Map.of(ConsoleConfig.PORT, 0),
                     Map.of("bootstrap.servers", pipeline.bootstrapServers()), pipeline.registry(), model,
                     EngineOptions.threads(1));
             PipelineClient client = pipeline.client()) {
            WebDriver driver = chromium();
            try {
                driver.get(console.url());
                WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(250));
                wait.until(d -> d.findElement(By.id("connection")).getAttribute("class").equals("up"));
                Thread.sleep(4000);  // a few idle points on the charts first
                // posts flowing, as in the demo, while the page watches
                SceneGenerator gen = new SceneGenerator(SEED);
                for (int i = 0; i < SCENES; i++) {
                    client.send(PngPosts.of("scene-" + gen.scene(i).id(), "demo", SceneRenderer.png(gen.scene(i))));
                }
                client.flush();
                wait.until(d -> d.findElements(By.cssSelector(".post .answer.caption")).size() >= SCENES);

                driver.findElement(By.id("upload-file")).sendKeys(png.toAbsolutePath().toString());
                String postId = wait.until(d -> d.findElement(By.id("upload-status")).getAttribute("data-post-id"));
                assertThat(postId).startsWith("upload-");
                By caption = By.cssSelector(".post[data-post-id='" + postId + "'] .answer.caption");
                String text = wait.until(d -> d.findElements(caption).stream().map(WebElement::getText)
                        .filter(t -> !t.isBlank()).findFirst().orElse(null));
                assertThat(text).isEqualTo(upload.caption());
                assertThat(driver.findElement(By.cssSelector(".post[data-post-id='" + postId + "']"))
                        .getAttribute("class")).contains("mine");
                assertThat(driver.findElements(By.cssSelector(".post[data-post-id='" + postId + "'] img")))
                        .as("the uploaded image is shown").isNotEmpty();

                // token previews: when the decode stage publishes them, the page received them as they streamed
                long tokens = records(pipeline.bootstrapServers(), Topics.ANSWER_TOKENS.name());
                String shown = driver.findElement(By.id("feed")).getAttribute("data-token-events");
                System.err.println("console: " + tokens + " records on " + Topics.ANSWER_TOKENS.name()
                        + ", token events on the page: " + shown);
                if (tokens > 0) {
                    assertThat(shown).as("token events on the page").isNotNull();
                    assertThat(Long.parseLong(shown)).isPositive();
                }

                WebElement box = driver.findElement(By.id("search-input"));
                box.sendKeys(upload.caption());
                By hit = By.cssSelector("#search-results .hit[data-post-id='" + postId + "']");
                // the index follows the topics; search again until it has caught up with the upload
                wait.until(d -> {
                    d.findElement(By.id("search-button")).click();
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return !d.findElements(hit).isEmpty();
                });
                assertThat(driver.findElement(hit).getText()).contains(upload.caption());
                wait.until(d -> d.findElements(By.cssSelector("#stage-table tbody tr")).size() == 4);
                box.sendKeys(Keys.TAB);
                Thread.sleep(2500);  // a few stats points on the charts
                Path shot = Path.of("target", "console.png");
                Files.createDirectories(shot.getParent());
                Files.write(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
                System.err.println("console screenshot: " + shot.toAbsolutePath());
            } finally {
                driver.quit();
            }
        } finally {
            Files.deleteIfExists(png);
        }
    }

    /** Offsets written to {@code topic} so far, summed over its partitions. */
    static long records(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Skips without Chromium and chromedriver, unless CI requires them. */
    static void requireBrowser() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present && "1".equals(System.getenv("LLAVA_REQUIRE_CHROMIUM"))) {
            throw new AssertionError("LLAVA_REQUIRE_CHROMIUM=1 but " + CHROMIUM + " or " + CHROMEDRIVER
                    + " is missing (apt-get install chromium chromium-driver)");
        }
        Assumptions.assumeTrue(present, "no " + CHROMIUM + " and " + CHROMEDRIVER + "; the browser test skips");
    }

    /** Headless Chromium with the driver and binary given, so that Selenium Manager never looks for them. */
    static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,1000", "--hide-scrollbars"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
