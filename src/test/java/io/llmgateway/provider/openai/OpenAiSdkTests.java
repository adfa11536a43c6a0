package io.llmgateway.provider.openai;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The official OpenAI Node client ({@code openai} on npm, pinned in {@code src/test/node}) talks
 * to the built-in simulator twice: directly, and through an LLM route of the gateway. What the
 * client parses must be the same both ways (only {@code id} and {@code created}, which the
 * simulator makes fresh per call, are normalised): a plain completion, a stream without
 * {@code stream_options} (the gateway asks upstream for usage and must hide the usage-only chunk
 * it caused) and a stream with {@code include_usage}. The gateway's metrics must then hold the
 * usage the client saw.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiSdkTests {

	private static final int PORT = freePort();

	private static final String ROUTE = "sdk";

	private static final String TEAM = "sdk-tests";

	private static final String USER = "node-client";

	private static final String MODEL = "gpt-4o-mini";

	private static final Path NODE_DIR = Path.of("src", "test", "node").toAbsolutePath();

	private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);

	private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+).*$");

	private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

	private final JsonMapper json = JsonMapper.builder().build();

	private JsonNode direct;

	private JsonNode gateway;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("server.port", () -> PORT);
		registry.add("llm-gateway.simulator.enabled", () -> true);
		String route = "spring.cloud.gateway.server.webflux.routes[0].";
		registry.add(route + "id", () -> ROUTE);
		registry.add(route + "uri", () -> "http://127.0.0.1:" + PORT);
		registry.add(route + "predicates[0]", () -> "Path=/" + ROUTE + "/**");
		registry.add(route + "filters[0]", () -> "RewritePath=/" + ROUTE + "/(?<rest>.*), /simulator/openai/$\\{rest}");
		registry.add(route + "metadata.llm.provider", () -> "openai");
	}

	@BeforeAll
	void runTheOfficialClient() throws Exception {
		requireNodeAndSdk();
		List<String> command = List.of("node", "sdk-roundtrip.mjs", "http://127.0.0.1:" + PORT + "/simulator/openai/v1",
				"http://127.0.0.1:" + PORT + "/" + ROUTE + "/v1",
				// Fast but still chunked: same pacing both ways, so the same content both ways.
				"x-simulator-first-chunk-delay-ms=0", "x-simulator-chunk-delay-ms=2", "x-simulator-chunk-count=12",
				"x-team=" + TEAM, "x-user=" + USER);
		Path stdout = Files.createTempFile("sdk-roundtrip", ".json");
		Path stderr = Files.createTempFile("sdk-roundtrip", ".err");
		try {
			ProcessBuilder builder = new ProcessBuilder(command).directory(NODE_DIR.toFile())
				.redirectOutput(stdout.toFile())
				.redirectError(stderr.toFile());
			builder.environment().put("SDK_MODEL", MODEL);
			Process process = builder.start();
			if (!process.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				process.destroyForcibly();
				fail("node sdk-roundtrip.mjs did not finish within " + SCRIPT_TIMEOUT + "; stderr:\n"
						+ Files.readString(stderr));
			}
			String out = Files.readString(stdout);
			if (process.exitValue() != 0) {
				fail("node sdk-roundtrip.mjs exited with " + process.exitValue() + "; stderr:\n"
						+ Files.readString(stderr) + "\nstdout:\n" + out);
			}
			JsonNode result;
			try {
				result = this.json.readTree(out);
			}
			catch (RuntimeException ex) {
				throw new AssertionError("node sdk-roundtrip.mjs printed no JSON document: " + out + "\nstderr:\n"
						+ Files.readString(stderr), ex);
			}
			this.direct = result.get("direct");
			this.gateway = result.get("gateway");
			assertThat(this.direct).as("direct results").isNotNull();
			assertThat(this.gateway).as("gateway results").isNotNull();
		}
		finally {
			Files.deleteIfExists(stdout);
			Files.deleteIfExists(stderr);
		}
	}

	@Test
	void nonStreamingCompletionIsTheSameThroughTheGateway() {
		JsonNode viaDirect = this.direct.get("nonStream");
		JsonNode viaGateway = this.gateway.get("nonStream");
		assertThat(viaDirect.path("choices").path(0).path("message").path("content").asString()).isNotBlank();
		assertThat(viaGateway.path("usage").path("prompt_tokens").asLong()).isPositive();
		assertThat(viaGateway.path("usage")).as("usage").isEqualTo(viaDirect.path("usage"));
		assertSame("non-streaming completion", viaGateway, viaDirect);
	}

	@Test
	void streamWithoutStreamOptionsIsTheSameThroughTheGateway() {
		JsonNode viaDirect = this.direct.get("stream");
		JsonNode viaGateway = this.gateway.get("stream");
		List<JsonNode> directChunks = list(viaDirect.get("chunks"));
		List<JsonNode> gatewayChunks = list(viaGateway.get("chunks"));
		assertThat(directChunks).as("chunks of the direct stream").hasSizeGreaterThan(2);
		// What a client without stream_options gets from the provider: no usage anywhere.
		assertThat(directChunks).as("direct chunks without include_usage")
			.allSatisfy(chunk -> assertThat(chunk.has("usage")).as("usage field in %s", chunk).isFalse());
		// The gateway asked upstream for usage on its own account: the usage-only chunk that caused
		// must not reach the client.
		assertThat(gatewayChunks).as("chunks the SDK parsed through the gateway")
			.noneSatisfy(chunk -> assertThat(chunk.path("usage").isObject()).isTrue())
			.allSatisfy(chunk -> assertThat(chunk.path("choices").isEmpty()).as("empty choices in %s", chunk).isFalse());
		assertThat(gatewayChunks).as("chunk count").hasSameSizeAs(directChunks);
		// Once include_usage is set, OpenAI (and the simulator) add "usage": null to every chunk; a
		// client that did not ask must not see that field either.
		assertThat(gatewayChunks).as("chunks through the gateway (client sent no stream_options)")
			.allSatisfy(chunk -> assertThat(chunk.has("usage"))
				.as("a usage field the client did not ask for, in %s", chunk)
				.isFalse());
		assertSameChunks("stream without stream_options", gatewayChunks, directChunks);
		assertThat(viaGateway.get("text")).as("accumulated text").isEqualTo(viaDirect.get("text"));
		assertThat(viaGateway.path("finalCompletion").has("usage")).as("finalChatCompletion() has usage").isFalse();
		assertSame("finalChatCompletion() of the stream without stream_options", viaGateway.get("finalCompletion"),
				viaDirect.get("finalCompletion"));
	}

	@Test
	void streamWithIncludeUsageIsTheSameThroughTheGateway() {
		JsonNode viaDirect = this.direct.get("streamWithUsage");
		JsonNode viaGateway = this.gateway.get("streamWithUsage");
		List<JsonNode> directChunks = list(viaDirect.get("chunks"));
		List<JsonNode> gatewayChunks = list(viaGateway.get("chunks"));
		JsonNode directUsage = usageChunk(directChunks).get("usage");
		JsonNode gatewayUsage = usageChunk(gatewayChunks).get("usage");
		assertThat(gatewayUsage.path("prompt_tokens").asLong()).isPositive();
		assertThat(gatewayUsage.path("completion_tokens").asLong()).isPositive();
		assertThat(gatewayUsage).as("usage the SDK got through the gateway").isEqualTo(directUsage);
		assertThat(gatewayChunks).as("chunk count").hasSameSizeAs(directChunks);
		assertSameChunks("stream with include_usage", gatewayChunks, directChunks);
		assertThat(viaGateway.get("text")).as("accumulated text").isEqualTo(viaDirect.get("text"));
		assertThat(viaGateway.path("finalCompletion").path("usage")).as("finalChatCompletion().usage")
			.isEqualTo(directUsage);
		assertSame("finalChatCompletion() of the stream with include_usage", viaGateway.get("finalCompletion"),
				viaDirect.get("finalCompletion"));
		// Both streams asked the same question of the same model: the same answer.
		assertThat(viaGateway.get("text")).isEqualTo(this.gateway.get("stream").get("text"));
	}

	@Test
	void gatewayRecordedTheUsageTheClientSaw() throws Exception {
		JsonNode plainUsage = this.gateway.get("nonStream").get("usage");
		JsonNode streamUsage = usageChunk(list(this.gateway.get("streamWithUsage").get("chunks"))).get("usage");
		long plainIn = plainUsage.get("prompt_tokens").asLong();
		long plainOut = plainUsage.get("completion_tokens").asLong();
		long streamIn = streamUsage.get("prompt_tokens").asLong();
		long streamOut = streamUsage.get("completion_tokens").asLong();
		Map<String, String> plain = Map.of("route", ROUTE, "stream", "false", "team", TEAM, "user", USER,
				"gen_ai_request_model", MODEL, "gen_ai_response_model", MODEL, "gen_ai_provider_name", "openai",
				"gen_ai_operation_name", "chat");
		Map<String, String> streamed = new LinkedHashMap<>(plain);
		streamed.put("stream", "true");
		// The observation ends when the last byte is sent, which may be just after the client read it.
		List<Sample> samples = scrapeUntil(s -> sum(s, "gen_ai_client_token_usage_count", streamed) >= 4
				&& sum(s, "gen_ai_client_token_usage_count", plain) >= 2
				&& sum(s, "llm_gateway_usage_injections_total", streamed) >= 1);

		Map<String, String> provider = Map.of("usage_source", "provider");
		assertThat(sum(samples, "gen_ai_client_token_usage_sum", with(plain, "gen_ai_token_type", "input", provider)))
			.as("input tokens of the plain call").isEqualTo(plainIn);
		assertThat(sum(samples, "gen_ai_client_token_usage_sum", with(plain, "gen_ai_token_type", "output", provider)))
			.as("output tokens of the plain call").isEqualTo(plainOut);
		assertThat(sum(samples, "llm_gateway_tokens_total", with(plain, "token_type", "input", provider)))
			.isEqualTo(plainIn);
		assertThat(sum(samples, "llm_gateway_tokens_total", with(plain, "token_type", "output", provider)))
			.isEqualTo(plainOut);

		// Two streams with the same question and pacing: the one with include_usage shows the
		// numbers; the injected one was counted from the usage chunk the client never saw.
		assertThat(sum(samples, "gen_ai_client_token_usage_count", with(streamed, "gen_ai_token_type", "input", provider)))
			.as("streams with provider-reported input tokens").isEqualTo(2);
		assertThat(sum(samples, "gen_ai_client_token_usage_sum", with(streamed, "gen_ai_token_type", "input", provider)))
			.as("input tokens of the two streams").isEqualTo(2 * streamIn);
		assertThat(sum(samples, "gen_ai_client_token_usage_sum", with(streamed, "gen_ai_token_type", "output", provider)))
			.as("output tokens of the two streams").isEqualTo(2 * streamOut);
		assertThat(sum(samples, "llm_gateway_tokens_total", with(streamed, "token_type", "input", provider)))
			.isEqualTo(2 * streamIn);
		assertThat(sum(samples, "llm_gateway_tokens_total", with(streamed, "token_type", "output", provider)))
			.isEqualTo(2 * streamOut);
		assertThat(sum(samples, "gen_ai_client_token_usage_count", Map.of("route", ROUTE, "usage_source", "estimated")))
			.as("calls whose usage was only estimated").isZero();

		assertThat(sum(samples, "llm_gateway_usage_injections_total", streamed)).as("injected streams").isEqualTo(1);
		assertThat(sum(samples, "llm_gateway_usage_injections_total", plain)).isZero();
		assertThat(sum(samples, "gen_ai_client_operation_duration_seconds_count",
				with(streamed, "error_type", "", Map.of())))
			.as("successful streams").isEqualTo(2);
		assertThat(sum(samples, "gen_ai_client_operation_duration_seconds_count",
				with(plain, "error_type", "", Map.of())))
			.as("successful plain calls").isEqualTo(1);
	}

	// ------------------------------------------------------------------ comparison

	private void assertSame(String what, JsonNode viaGateway, JsonNode viaDirect) {
		assertThat(viaGateway).as(what + " through the gateway").isNotNull();
		assertThat(pretty(normalised(viaGateway))).as(what + ": through the gateway vs. directly (id/created normalised)")
			.isEqualTo(pretty(normalised(viaDirect)));
	}

	private void assertSameChunks(String what, List<JsonNode> viaGateway, List<JsonNode> viaDirect) {
		for (int i = 0; i < Math.min(viaGateway.size(), viaDirect.size()); i++) {
			assertSame(what + ", chunk " + i, viaGateway.get(i), viaDirect.get(i));
		}
		assertThat(viaGateway).as(what + ": chunk count").hasSameSizeAs(viaDirect);
	}

	/** The same object with only its top-level {@code id} and {@code created} replaced. */
	private static JsonNode normalised(JsonNode node) {
		if (!(node instanceof ObjectNode object)) {
			return node;
		}
		ObjectNode copy = object.deepCopy();
		if (copy.has("id")) {
			copy.put("id", "<id>");
		}
		if (copy.has("created")) {
			copy.put("created", 0);
		}
		return copy;
	}

	private String pretty(JsonNode node) {
		return this.json.writerWithDefaultPrettyPrinter().writeValueAsString(node);
	}

	private static JsonNode usageChunk(List<JsonNode> chunks) {
		assertThat(chunks).as("chunks").isNotEmpty();
		List<JsonNode> withUsage = chunks.stream().filter(chunk -> chunk.path("usage").isObject()).toList();
		assertThat(withUsage).as("chunks carrying usage (include_usage was asked for)").hasSize(1);
		JsonNode last = chunks.get(chunks.size() - 1);
		assertThat(last).as("the usage chunk is the last one").isSameAs(withUsage.get(0));
		assertThat(last.path("choices").isEmpty()).as("the usage chunk has no choices").isTrue();
		return last;
	}

	private static List<JsonNode> list(JsonNode array) {
		assertThat(array).isNotNull();
		assertThat(array.isArray()).isTrue();
		List<JsonNode> items = new ArrayList<>();
		array.forEach(items::add);
		return items;
	}

	// ------------------------------------------------------------------ metrics

	private record Sample(String name, Map<String, String> labels, double value) {
	}

	private static Map<String, String> with(Map<String, String> base, String key, String value,
			Map<String, String> more) {
		Map<String, String> labels = new LinkedHashMap<>(base);
		labels.put(key, value);
		labels.putAll(more);
		return labels;
	}

	private static long sum(List<Sample> samples, String name, Map<String, String> labels) {
		double total = 0;
		for (Sample sample : samples) {
			if (sample.name().equals(name) && sample.labels().entrySet().containsAll(labels.entrySet())) {
				total += sample.value();
			}
		}
		return Math.round(total);
	}

	private static List<Sample> scrapeUntil(java.util.function.Predicate<List<Sample>> done) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		List<Sample> samples = scrape();
		while (!done.test(samples) && System.nanoTime() < deadline) {
			Thread.sleep(100);
			samples = scrape();
		}
		return samples;
	}

	private static List<Sample> scrape() throws IOException, InterruptedException {
		HttpClient client = HttpClient.newHttpClient();
		HttpResponse<String> response = client.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/actuator/prometheus"))
					.header("Accept", "text/plain; version=0.0.4")
					.timeout(Duration.ofSeconds(10))
					.build(),
				HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
		assertThat(response.statusCode()).as("/actuator/prometheus status").isEqualTo(200);
		List<Sample> samples = new ArrayList<>();
		for (String line : response.body().split("\n")) {
			if (line.isBlank() || line.startsWith("#")) {
				continue;
			}
			Matcher sample = SAMPLE.matcher(line);
			if (!sample.matches()) {
				continue;
			}
			Map<String, String> labels = new LinkedHashMap<>();
			if (sample.group(2) != null) {
				Matcher label = LABEL.matcher(sample.group(2));
				while (label.find()) {
					labels.put(label.group(1), label.group(2));
				}
			}
			samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(3))));
		}
		return samples;
	}

	// ------------------------------------------------------------------ setup

	private static void requireNodeAndSdk() {
		String hint = "; run `bash .ci/setup` (installs Node.js and npm, then `npm ci` in src/test/node)";
		try {
			Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
			if (!node.waitFor(30, TimeUnit.SECONDS) || node.exitValue() != 0) {
				fail("`node --version` failed" + hint);
			}
		}
		catch (IOException ex) {
			fail("Node.js (`node`) is not on the PATH" + hint);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			fail("interrupted while checking for node");
		}
		if (!Files.isRegularFile(NODE_DIR.resolve("node_modules/openai/package.json"))) {
			fail("The openai npm package is not installed in " + NODE_DIR + hint);
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new IllegalStateException("No free port", ex);
		}
	}

}
