package io.llmgateway.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.usage.TokenEstimator;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in simulator: usage counted from the actual text, pacing as configured, errors on
 * demand.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "llm-gateway.simulator.enabled=true", "llm-gateway.simulator.first-chunk-delay=0ms",
				"llm-gateway.simulator.chunk-delay=0ms" })
class OpenAiSimulatorTests {

	private static final TokenEstimator estimator = new TokenEstimator();

	private final JsonMapper json = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	WebTestClient client;

	@BeforeEach
	void client() {
		this.client = WebTestClient.bindToServer(new ReactorClientHttpConnector(HttpClient.create()))
			.baseUrl("http://127.0.0.1:" + this.port)
			.responseTimeout(Duration.ofSeconds(20))
			.build();
	}

	@Test
	void usageIsCountedFromThePromptAndTheGeneratedText() {
		for (String prompt : new String[] { "Hi", "Explain the difference between a histogram and a summary in detail" }) {
			JsonNode answer = this.json.readTree(post("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\""
					+ prompt + "\"}]}"));
			String text = answer.at("/choices/0/message/content").stringValue();
			assertThat(text).isNotBlank();
			assertThat(answer.at("/usage/prompt_tokens").longValue())
				.isEqualTo(estimator.countChatInput("gpt-4o-mini", "Be brief.\n" + prompt + "\n", 2));
			assertThat(answer.at("/usage/completion_tokens").longValue())
				.isEqualTo(estimator.count("gpt-4o-mini", text));
			assertThat(answer.at("/usage/total_tokens").longValue()).isEqualTo(
					answer.at("/usage/prompt_tokens").longValue() + answer.at("/usage/completion_tokens").longValue());
		}
	}

	@Test
	void maxTokensBoundsTheAnswer() {
		JsonNode answer = this.json.readTree(post(
				"{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Write an essay\"}]}"));
		assertThat(answer.at("/usage/completion_tokens").longValue()).isLessThanOrEqualTo(5);
		assertThat(answer.at("/choices/0/finish_reason").stringValue()).isEqualTo("length");
	}

	@Test
	void streamsTheConfiguredNumberOfChunksWithUsageOnlyWhenAskedFor() {
		List<JsonNode> plain = events(stream("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 7));
		// role chunk, 7 content chunks, finish chunk; no usage anywhere
		assertThat(plain).hasSize(9);
		assertThat(plain).allSatisfy(event -> assertThat(event.has("usage")).isFalse());
		assertThat(plain.get(8).at("/choices/0/finish_reason").stringValue()).isEqualTo("stop");

		List<JsonNode> withUsage = events(stream(
				"{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
				7));
		assertThat(withUsage).hasSize(10);
		JsonNode usage = withUsage.get(9);
		assertThat(usage.get("choices")).isEmpty();
		StringBuilder text = new StringBuilder();
		withUsage.subList(0, 9).forEach(event -> text.append(event.at("/choices/0/delta/content").asString("")));
		assertThat(usage.at("/usage/completion_tokens").longValue()).isEqualTo(estimator.count("m", text));
		assertThat(withUsage.subList(0, 9)).allSatisfy(event -> assertThat(event.get("usage").isNull()).isTrue());
	}

	@Test
	void pacingFollowsTheRequestHeaders() {
		long start = System.nanoTime();
		this.client.post()
			.uri(SimulatorConfiguration.CHAT_COMPLETIONS_PATH)
			.contentType(MediaType.APPLICATION_JSON)
			.header("x-simulator-first-chunk-delay-ms", "300")
			.header("x-simulator-chunk-delay-ms", "50")
			.header("x-simulator-chunk-count", "4")
			.bodyValue("{\"model\":\"m\",\"stream\":true,\"messages\":[]}")
			.exchange()
			.expectBody()
			.returnResult();
		// 300 ms before the first chunk, then 5 more chunks (4 content + finish) 50 ms apart
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(550));
	}

	@Test
	void failsOnDemandLikeTheRealApi() {
		this.client.post()
			.uri(SimulatorConfiguration.CHAT_COMPLETIONS_PATH)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"sim-error-429\",\"messages\":[]}")
			.exchange()
			.expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "1")
			.expectBody()
			.jsonPath("$.error.code")
			.isEqualTo("429");
		assertInvalidRequest("not json");
		assertInvalidRequest("{\"model\":\"m\",\"max_tokens\":1.5,\"messages\":[]}");
	}

	private void assertInvalidRequest(String body) {
		this.client.post()
			.uri(SimulatorConfiguration.CHAT_COMPLETIONS_PATH)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("invalid_request_error");
	}

	private byte[] post(String body) {
		return this.client.post()
			.uri(SimulatorConfiguration.CHAT_COMPLETIONS_PATH)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody();
	}

	private String stream(String body, int chunks) {
		return new String(this.client.post()
			.uri(SimulatorConfiguration.CHAT_COMPLETIONS_PATH)
			.contentType(MediaType.APPLICATION_JSON)
			.header("x-simulator-chunk-count", Integer.toString(chunks))
			.bodyValue(body)
			.exchange()
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
			.expectBody()
			.returnResult()
			.getResponseBody(), java.nio.charset.StandardCharsets.UTF_8);
	}

	private List<JsonNode> events(String sse) {
		List<JsonNode> events = new ArrayList<>();
		for (String block : sse.split("\n\n")) {
			String data = block.strip().substring("data: ".length());
			if (!data.equals("[DONE]")) {
				events.add(this.json.readTree(data));
			}
			else {
				assertThat(block).isEqualTo(sse.split("\n\n")[sse.split("\n\n").length - 1]);
			}
		}
		return events;
	}

}
