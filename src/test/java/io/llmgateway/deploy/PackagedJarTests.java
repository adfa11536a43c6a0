package io.llmgateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.sun.net.httpserver.HttpServer;
import io.llmgateway.support.PrometheusScrape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, run the way the container runs it, and stopped the way Kubernetes stops
 * it.
 * <p>
 * The jar that {@code package} built (system property {@code llm-gateway.jar}, set by
 * failsafe) is split into its layers with the same tools jar mode command as the Dockerfile,
 * the layers are laid out in one directory in the order the Dockerfile copies them, and
 * the Dockerfile's ENTRYPOINT is started there with the Dockerfile's environment. The
 * routes, the simulator, the shutdown grace period and the OTLP endpoint come from a config
 * file in a directory that {@code SPRING_CONFIG_ADDITIONAL_LOCATION} points at, as the
 * mounted {@code /config/} does in the container; ports come from environment variables,
 * as the Helm chart passes them.
 * <p>
 * The test serves a call, opens a slow stream, sends SIGTERM while it is open and checks
 * that the gateway drains it: readiness reports OUT_OF_SERVICE, new connections are
 * refused, the stream ends with all its chunks, the process exits on its own within the
 * grace period, the access-log line of the stream is written, and the spans still queued
 * are exported to the OTLP receiver before the process is gone.
 */
class PackagedJarTests {

	static final Path DOCKERFILE = Path.of("Dockerfile");

	/** spring.lifecycle.timeout-per-shutdown-phase in the mounted config file. */
	static final Duration GRACE = Duration.ofSeconds(15);

	/** First start of a 60 MB jar on a busy 2-core machine. */
	static final Duration STARTUP = Duration.ofSeconds(120);

	/**
	 * 40 chunks 150 ms apart: the stream outlasts the 3 s that even an immediate shutdown of
	 * Reactor Netty waits for open connections, so it only completes when the grace period
	 * holds the server open.
	 */
	static final int STREAM_CHUNKS = 40;

	static final int CHUNK_DELAY_MS = 150;

	/** JVM exit status after SIGTERM once the shutdown hooks have run: 128 + 15. */
	static final int SIGTERM_EXIT_STATUS = 143;

	static final String CHAT_PATH = "/sim/v1/chat/completions";

	@Test
	void startsFromMountedConfigServesAndDrainsAnOpenStreamOnSigterm(@TempDir Path tmp) throws Exception {
		Path jar = Path.of(System.getProperty("llm-gateway.jar", "target/llm-gateway-0.1.0-SNAPSHOT.jar"));
		assertThat(jar).as("the packaged jar (run through `mvn verify`)").isRegularFile();
		Dockerfile dockerfile = Dockerfile.read(DOCKERFILE);
		assertThat(dockerfile.entrypoint()).containsExactly("java", "org.springframework.boot.loader.launch.JarLauncher");
		assertThat(dockerfile.env()).containsEntry("SPRING_CONFIG_ADDITIONAL_LOCATION", "optional:file:/config/")
			.containsEntry("SERVER_SHUTDOWN", "graceful")
			.containsEntry("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "true")
			.containsKey("JAVA_TOOL_OPTIONS");

		Path appDir = layOutLayers(jar, dockerfile, tmp);

		int port = freePort();
		int managementPort = freePort();
		List<Received> otlp = new CopyOnWriteArrayList<>();
		HttpServer receiver = startOtlpReceiver(otlp);
		int otlpPort = receiver.getAddress().getPort();

		Path configDir = Files.createDirectories(tmp.resolve("config"));
		Files.writeString(configDir.resolve("application.yml"), """
				spring:
				  lifecycle:
				    timeout-per-shutdown-phase: %ds
				  cloud:
				    gateway:
				      server:
				        webflux:
				          routes:
				            - id: sim
				              uri: http://127.0.0.1:${server.port}
				              predicates:
				                - Path=/sim/**
				              filters:
				                - RewritePath=/sim/(?<rest>.*), /simulator/openai/$\\{rest}
				              metadata:
				                llm:
				                  provider: openai
				llm-gateway:
				  simulator:
				    enabled: true
				management:
				  opentelemetry:
				    tracing:
				      export:
				        # Nothing is exported on schedule during the test: whatever arrives was
				        # flushed by the shutdown.
				        schedule-delay: 10m
				        otlp:
				          endpoint: http://127.0.0.1:%d/v1/traces
				          compression: none
				""".formatted(GRACE.toSeconds(), otlpPort));

		Map<String, String> env = new LinkedHashMap<>(dockerfile.env());
		// The mounted /config/ of the container is this temporary directory.
		env.put("SPRING_CONFIG_ADDITIONAL_LOCATION",
				env.get("SPRING_CONFIG_ADDITIONAL_LOCATION").replace("file:/config/", "file:" + configDir.toAbsolutePath() + "/"));
		// The image's flags, with the heap bounded: outside a container the RAM percentages
		// would be taken of the whole machine.
		env.put("JAVA_TOOL_OPTIONS", env.get("JAVA_TOOL_OPTIONS") + " -Xms64m -Xmx512m");
		env.put("SERVER_PORT", Integer.toString(port));
		env.put("MANAGEMENT_SERVER_PORT", Integer.toString(managementPort));

		Path stdout = tmp.resolve("stdout.log");
		List<String> command = new ArrayList<>(dockerfile.entrypoint());
		command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
		ProcessBuilder builder = new ProcessBuilder(command).directory(appDir.toFile())
			.redirectErrorStream(true)
			.redirectOutput(stdout.toFile());
		builder.environment().keySet().removeIf((name) -> name.equals("CLASSPATH") || name.startsWith("SPRING_")
				|| name.startsWith("SERVER_") || name.startsWith("MANAGEMENT_") || name.startsWith("OTEL_")
				|| name.equals("JDK_JAVA_OPTIONS"));
		builder.environment().putAll(env);

		ExecutorService executor = Executors.newCachedThreadPool();
		HttpClient http = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(5))
			.executor(executor)
			.build();
		String base = "http://127.0.0.1:" + port;
		String management = "http://127.0.0.1:" + managementPort;
		Process process = builder.start();
		try {
			// Started: the probes the chart uses answer UP.
			await(STARTUP, () -> {
				assertThat(process.isAlive()).as("gateway exited during startup:%n%s", tail(stdout)).isTrue();
				return get(http, management + "/actuator/health/readiness").statusCode() == 200;
			});
			assertThat(get(http, management + "/actuator/health/liveness").body()).contains("\"UP\"");
			assertThat(otlp).as("nothing exported before shutdown (schedule-delay 10m)").isEmpty();

			// A call through the route from the mounted config, and what it recorded.
			HttpResponse<String> answer = http.send(chat(base, false).build(), HttpResponse.BodyHandlers.ofString());
			assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
			assertThat(answer.body()).contains("\"chat.completion\"", "\"usage\"");
			Map<String, String> jsonCall = Map.of("route", "sim", "stream", "false", "team", "jar-test",
					"gen_ai_provider_name", "openai", "gen_ai_request_model", "gpt-4o-mini");
			// The observation stops, and records one meter after the other, just after the
			// last byte has gone out: wait for the last of them.
			PrometheusScrape[] last = new PrometheusScrape[1];
			await(Duration.ofSeconds(10), () -> {
				last[0] = scrape(http, management);
				return last[0].sum("gen_ai_client_operation_duration_seconds_count", jsonCall) > 0
						&& last[0].sum("llm_gateway_tokens_total", withLabel(jsonCall, "token_type", "output")) > 0
						&& last[0].sum("llm_gateway_cost_usd_total", jsonCall) > 0;
			}, () -> llmLines(last[0]));
			assertThat(last[0].sum("gen_ai_client_operation_duration_seconds_count", jsonCall)).isEqualTo(1.0);

			// A slow stream, open when SIGTERM arrives.
			List<String> lines = new CopyOnWriteArrayList<>();
			HttpRequest streamRequest = chat(base, true).header("x-simulator-first-chunk-delay-ms", "100")
				.header("x-simulator-chunk-delay-ms", Integer.toString(CHUNK_DELAY_MS))
				.header("x-simulator-chunk-count", Integer.toString(STREAM_CHUNKS))
				.build();
			CompletableFuture<Integer> stream = http.sendAsync(streamRequest, HttpResponse.BodyHandlers.ofLines())
				.thenApplyAsync((response) -> {
					try (Stream<String> body = response.body()) {
						body.forEach(lines::add);
					}
					return response.statusCode();
				}, executor);
			await(Duration.ofSeconds(30), () -> contentChunks(lines) >= 1);
			assertThat(scrape(http, management).sum("llm_gateway_active_streams", Map.of("route", "sim"))).isEqualTo(1.0);

			long sigterm = System.nanoTime();
			int chunksAtSigterm = contentChunks(lines);
			process.destroy(); // SIGTERM on Linux

			// While the stream drains: readiness is OUT_OF_SERVICE, new calls are refused.
			boolean sawNotReady = false;
			boolean sawRefused = false;
			while (!stream.isDone() && !(sawNotReady && sawRefused)) {
				if (!sawNotReady) {
					HttpResponse<String> readiness = tryGet(http, management + "/actuator/health/readiness");
					sawNotReady = readiness != null && readiness.statusCode() == 503
							&& readiness.body().contains("OUT_OF_SERVICE") && !stream.isDone();
				}
				if (!sawRefused) {
					sawRefused = connectionRefused(port) && !stream.isDone();
				}
				Thread.sleep(50);
			}
			assertThat(sawNotReady).as("readiness OUT_OF_SERVICE (503) while the stream drained").isTrue();
			assertThat(sawRefused).as("new connections refused while the stream drained").isTrue();

			// The open stream finishes whole.
			assertThat(stream.get(GRACE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(200);
			assertThat(chunksAtSigterm).as("chunks received before SIGTERM").isLessThan(STREAM_CHUNKS / 2);
			assertThat(contentChunks(lines)).isEqualTo(STREAM_CHUNKS);
			assertThat(lines).anyMatch((line) -> line.contains("\"finish_reason\":\"stop\""));
			assertThat(lines.stream().filter((line) -> line.startsWith("data:")).reduce((first, second) -> second))
				.contains("data: [DONE]");

			// The process exits on its own (not killed) within the grace period.
			Duration remaining = GRACE.minusNanos(System.nanoTime() - sigterm);
			assertThat(process.waitFor(Math.max(remaining.toMillis(), 0), TimeUnit.MILLISECONDS))
				.as("exited within %s of SIGTERM:%n%s", GRACE, tail(stdout))
				.isTrue();
			assertThat(process.exitValue()).as(tail(stdout)).isEqualTo(SIGTERM_EXIT_STATUS);

			String log = Files.readString(stdout);
			assertThat(log).contains("Commencing graceful shutdown", "Graceful shutdown complete")
				.doesNotContain("Graceful shutdown aborted");
			String streamLine = log.lines()
				.filter((line) -> line.startsWith("{") && line.contains("\"route\":\"sim\"") && line.contains("\"stream\":true"))
				.findFirst()
				.orElseGet(() -> fail("no access-log line for the drained stream in:%n%s", log));
			assertThat(streamLine).contains("\"status\":200", "\"error_type\":null", "\"usage.source\":\"provider\"",
					"\"team\":\"jar-test\"");

			// The spans still queued at SIGTERM were exported before the process was gone,
			// the drained stream's among them.
			assertThat(otlp).as("OTLP export at shutdown").isNotEmpty().allSatisfy((received) -> {
				assertThat(received.path()).isEqualTo("/v1/traces");
				assertThat(received.contentType()).isEqualTo("application/x-protobuf");
				assertThat(received.at()).isGreaterThan(sigterm);
			});
			byte[] traceId = HexFormat.of().parseHex(jsonField(streamLine, "trace_id"));
			assertThat(otlp).as("a batch holding the trace of the drained stream")
				.anyMatch((received) -> indexOf(received.body(), traceId) >= 0);
		}
		finally {
			if (process.isAlive()) {
				process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
			receiver.stop(0);
			executor.shutdownNow();
		}
	}

	// ---------------------------------------------------------------------------------------
	// the container layout
	// ---------------------------------------------------------------------------------------

	/**
	 * What the image build does with the jar: {@code java -Djarmode=tools -jar app.jar extract
	 * --layers --launcher}, then the layer directories copied into one working directory in
	 * the order of the Dockerfile's COPY lines.
	 */
	static Path layOutLayers(Path jar, Dockerfile dockerfile, Path tmp) throws Exception {
		Path layers = tmp.resolve("layers");
		Path java = Path.of(System.getProperty("java.home"), "bin", "java");
		Process extract = new ProcessBuilder(java.toString(), "-Djarmode=tools", "-jar", jar.toAbsolutePath().toString(),
				"extract", "--layers", "--launcher", "--destination", layers.toString())
			.redirectErrorStream(true)
			.redirectOutput(tmp.resolve("extract.log").toFile())
			.start();
		assertThat(extract.waitFor(120, TimeUnit.SECONDS)).isTrue();
		assertThat(extract.exitValue()).as(Files.readString(tmp.resolve("extract.log"))).isZero();
		assertThat(dockerfile.layers()).containsExactly("dependencies", "spring-boot-loader", "snapshot-dependencies",
				"application");
		Path app = Files.createDirectories(tmp.resolve("app"));
		for (String layer : dockerfile.layers()) {
			Path from = layers.resolve(layer);
			assertThat(from).as("layer %s", layer).isDirectory();
			try (Stream<Path> files = Files.walk(from)) {
				files.filter(Files::isRegularFile).forEach((file) -> {
					Path to = app.resolve(from.relativize(file).toString());
					try {
						Files.createDirectories(to.getParent());
						Files.move(file, to);
					}
					catch (IOException ex) {
						throw new UncheckedIOException(ex);
					}
				});
			}
		}
		return app;
	}

	/** The Dockerfile's runtime stage, as far as the test needs it. */
	record Dockerfile(Map<String, String> env, List<String> entrypoint, List<String> layers) {

		static final Pattern ENV_PAIR = Pattern.compile("(\\w+)=(\"([^\"]*)\"|\\S+)");

		static final Pattern LAYER_COPY = Pattern.compile("^COPY --from=extract /extract/layers/([\\w-]+)/ \\./$");

		static Dockerfile read(Path path) throws IOException {
			// Continuation lines joined; comments dropped.
			String joined = Files.readString(path).replaceAll("\\\\\\r?\\n", " ");
			Map<String, String> env = new LinkedHashMap<>();
			List<String> entrypoint = new ArrayList<>();
			List<String> layers = new ArrayList<>();
			for (String line : joined.lines().map(String::strip).filter((line) -> !line.startsWith("#")).toList()) {
				if (line.startsWith("ENV ")) {
					Matcher pair = ENV_PAIR.matcher(line.substring(4));
					while (pair.find()) {
						env.put(pair.group(1), (pair.group(3) != null) ? pair.group(3) : pair.group(2));
					}
				}
				else if (line.startsWith("ENTRYPOINT ")) {
					entrypoint.clear();
					Matcher item = Pattern.compile("\"([^\"]*)\"").matcher(line);
					while (item.find()) {
						entrypoint.add(item.group(1));
					}
				}
				Matcher copy = LAYER_COPY.matcher(line);
				if (copy.matches()) {
					layers.add(copy.group(1));
				}
			}
			return new Dockerfile(env, entrypoint, layers);
		}

	}

	// ---------------------------------------------------------------------------------------
	// the OTLP receiver
	// ---------------------------------------------------------------------------------------

	record Received(String path, String contentType, byte[] body, long at) {
	}

	/** Any POST answered 200 with an empty body, which an OTLP/HTTP exporter takes as success. */
	static HttpServer startOtlpReceiver(List<Received> received) throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.createContext("/", (exchange) -> {
			try (exchange; InputStream in = exchange.getRequestBody()) {
				byte[] body = in.readAllBytes();
				if ("POST".equals(exchange.getRequestMethod())) {
					received.add(new Received(exchange.getRequestURI().getPath(),
							exchange.getRequestHeaders().getFirst("Content-Type"), body, System.nanoTime()));
				}
				exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
				exchange.sendResponseHeaders(200, -1);
			}
		});
		server.start();
		return server;
	}

	// ---------------------------------------------------------------------------------------
	// helpers
	// ---------------------------------------------------------------------------------------

	static HttpRequest.Builder chat(String base, boolean stream) {
		String body = """
				{"model":"gpt-4o-mini","stream":%s,"messages":[{"role":"user","content":"Hello"}]}""".formatted(stream);
		return HttpRequest.newBuilder(URI.create(base + CHAT_PATH))
			.timeout(Duration.ofSeconds(30))
			.header("content-type", "application/json")
			.header("x-team", "jar-test")
			.POST(HttpRequest.BodyPublishers.ofString(body));
	}

	static HttpResponse<String> get(HttpClient http, String uri) throws IOException, InterruptedException {
		return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(5)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	/** The response, or null when the server could not be reached. */
	static HttpResponse<String> tryGet(HttpClient http, String uri) throws InterruptedException {
		try {
			return get(http, uri);
		}
		catch (IOException ex) {
			return null;
		}
	}

	static PrometheusScrape scrape(HttpClient http, String management) throws IOException, InterruptedException {
		return new PrometheusScrape(get(http, management + "/actuator/prometheus").body());
	}

	static boolean connectionRefused(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	static String llmLines(PrometheusScrape scrape) {
		if (scrape == null) {
			return "(no scrape)";
		}
		return String.join("\n", scrape.text().lines().filter((line) -> line.startsWith("gen_ai_") || line.startsWith("llm_gateway_")).toList());
	}

	static int contentChunks(List<String> lines) {
		return (int) lines.stream().filter((line) -> line.startsWith("data:") && line.contains("\"delta\":{\"content\":")).count();
	}

	static Map<String, String> withLabel(Map<String, String> labels, String name, String value) {
		Map<String, String> result = new LinkedHashMap<>(labels);
		result.put(name, value);
		return result;
	}

	static String jsonField(String json, String name) {
		Matcher matcher = Pattern.compile("\"" + Pattern.quote(name) + "\":\"([^\"]*)\"").matcher(json);
		assertThat(matcher.find()).as("%s in %s", name, json).isTrue();
		return matcher.group(1);
	}

	static int indexOf(byte[] haystack, byte[] needle) {
		outer: for (int i = 0; i + needle.length <= haystack.length; i++) {
			for (int j = 0; j < needle.length; j++) {
				if (haystack[i + j] != needle[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}

	static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	static void await(Duration timeout, BooleanSupplierWithExceptions condition) throws Exception {
		await(timeout, condition, () -> "");
	}

	static void await(Duration timeout, BooleanSupplierWithExceptions condition, Supplier<String> detail)
			throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			try {
				if (condition.getAsBoolean()) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			if (System.nanoTime() > deadline) {
				fail("not true within %s%n%s", timeout, detail.get());
			}
			Thread.sleep(200);
		}
	}

	@FunctionalInterface
	interface BooleanSupplierWithExceptions {

		boolean getAsBoolean() throws Exception;

	}

	static String tail(Path log) {
		try {
			List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
		}
		catch (IOException ex) {
			return "(no output: " + ex.getMessage() + ")";
		}
	}

}
