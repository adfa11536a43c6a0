package io.llmgateway.filter;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.micrometer.context.ContextRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;

import io.llmgateway.observation.ReentrantObservationThreadLocalAccessor;
import io.llmgateway.routefilter.LeanStripPrefixGatewayFilterFactory;
import io.llmgateway.support.PrometheusScrape;
import io.llmgateway.support.SseTestUpstream;
import io.llmgateway.support.TestRoutes;
import io.llmgateway.tracing.SpanAttributes;
import io.llmgateway.usage.TokenEstimator;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.llmgateway.support.GatewayAnswers.expectTimeout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole gateway against WireMock upstreams: what the client receives, what the upstream
 * receives, what {@code /actuator/prometheus} shows and which span is exported, for each kind
 * of call and failure. Every test uses its own model name, so its series are its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LlmObservationFilterTests {

	static final WireMockServer upstream = new WireMockServer(options().dynamicPort());

	static final InMemorySpanExporter spans = InMemorySpanExporter.create();

	static final int closedPort = freePort();

	/** A hand-made streaming upstream that notices when its client goes away. */
	static DisposableServer endlessUpstream;

	static final AtomicBoolean endlessCancelled = new AtomicBoolean();

	static final TokenEstimator estimator = new TokenEstimator();

	@LocalServerPort
	int port;

	@Autowired
	ApplicationContext context;

	/** Clients without compression: only the gzip tests ask for it, explicitly. */
	WebTestClient client;

	WebClient webClient;

	@BeforeAll
	static void startUpstreams() {
		// Started here too, so that it is up before the context reads its port.
		if (!upstream.isRunning()) {
			upstream.start();
		}
	}

	@AfterAll
	static void stopUpstreams() {
		upstream.stop();
		if (endlessUpstream != null) {
			endlessUpstream.disposeNow();
		}
	}

	@DynamicPropertySource
	static void routes(DynamicPropertyRegistry registry) {
		if (!upstream.isRunning()) {
			upstream.start();
		}
		endlessUpstream = SseTestUpstream.start(Flux.interval(Duration.ofMillis(50))
			.map(i -> "data: {\"id\":\"e\",\"model\":\"endless\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"}}]}\n\n")
			.doOnCancel(() -> endlessCancelled.set(true)));
		String wiremock = "http://127.0.0.1:" + upstream.port();
		TestRoutes.in(registry)
			.llm("llm", wiremock, "/llm")
			.plain("plain", wiremock, "/plain")
			.llm("slow", wiremock, "/slow", 300)
			.llm("closed", "http://127.0.0.1:" + closedPort, "/closed")
			.plain("closed-plain", "http://127.0.0.1:" + closedPort, "/closed-plain")
			.plain("slow-plain", wiremock, "/slow-plain", 300)
			.llm("endless", "http://127.0.0.1:" + endlessUpstream.port(), "/endless")
			.llmWithFilters("llm-filtered", wiremock, "/llm-filtered", "AddRequestHeader=X-Route-Filter, yes",
					"SetRequestHeader=Accept-Encoding, br");
		// An LLM route whose filter wraps the body in a cached copy (a filter without a shortcut form).
		registry.add("spring.cloud.gateway.server.webflux.routes[8].id", () -> "llm-cached");
		registry.add("spring.cloud.gateway.server.webflux.routes[8].uri", () -> wiremock);
		registry.add("spring.cloud.gateway.server.webflux.routes[8].predicates[0]", () -> "Path=/llm-cached/**");
		registry.add("spring.cloud.gateway.server.webflux.routes[8].filters[0]", () -> "StripPrefix=1");
		registry.add("spring.cloud.gateway.server.webflux.routes[8].filters[1].name", () -> "CacheRequestBody");
		registry.add("spring.cloud.gateway.server.webflux.routes[8].filters[1].args.bodyClass", () -> "java.lang.String");
		registry.add("spring.cloud.gateway.server.webflux.routes[8].metadata.llm.provider", () -> "openai");
		registry.add("llm-gateway.stream-idle-timeout", () -> "1s");
		registry.add("llm-gateway.max-request-body-size", () -> "64KB");
		registry.add("llm-gateway.max-response-body-size", () -> "32KB");
		registry.add("llm-gateway.prices[0].model", () -> "priced-model");
		registry.add("llm-gateway.prices[0].input", () -> "2.00");
		registry.add("llm-gateway.prices[0].cache-read-input", () -> "0.50");
		registry.add("llm-gateway.prices[0].output", () -> "8.00");
	}

	@BeforeEach
	void reset() {
		upstream.resetAll();
		String base = "http://127.0.0.1:" + this.port;
		ReactorClientHttpConnector plain = new ReactorClientHttpConnector(reactor.netty.http.client.HttpClient.create());
		this.client = WebTestClient.bindToServer(plain).baseUrl(base).responseTimeout(Duration.ofSeconds(20)).build();
		this.webClient = WebClient.builder()
			.clientConnector(plain)
			.baseUrl(base)
			.codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
			.build();
	}

	@Test
	void jsonCompletionIsPassedOnAndFullyObserved() {
		String body = """
				{"id":"chatcmpl-json","object":"chat.completion","model":"json-model-2025","choices":[{"index":0,
				"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],
				"usage":{"prompt_tokens":11,"completion_tokens":5,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":4}}}""";
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(body)));

		String request = "{\"model\":\"json-model\",\"temperature\":0.5,\"max_tokens\":100,\"seed\":7,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
		byte[] received = this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.header("x-team", "alpha")
			.header(HttpHeaders.AUTHORIZATION, "Bearer sk-client-secret")
			.header("baggage", "tenant=acme,region=eu")
			.bodyValue(request)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody();
		assertThat(new String(received, StandardCharsets.UTF_8)).isEqualTo(body);

		LoggedRequest sent = upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0);
		assertThat(sent.getBodyAsString()).isEqualTo(request);
		// The gateway keeps no baggage of its own (management.tracing.baggage.enabled: false): the
		// client's goes on as it came, like any other header.
		assertThat(sent.getHeader("baggage")).isEqualTo("tenant=acme,region=eu");

		Map<String, String> call = Map.of("gen_ai_request_model", "json-model", "route", "llm");
		PrometheusScrape scrape = awaitCall(call);
		assertThat(scrape.find("gen_ai_client_operation_duration_seconds_count", call)).singleElement()
			.satisfies(sample -> {
				assertThat(sample.value()).isEqualTo(1);
				assertThat(sample.labels()).containsEntry("error_type", "")
					.containsEntry("gen_ai_operation_name", "chat")
					.containsEntry("gen_ai_provider_name", "openai")
					.containsEntry("gen_ai_response_model", "json-model-2025")
					.containsEntry("stream", "false")
					.containsEntry("team", "alpha")
					.containsEntry("user", "anonymous");
			});
		assertThat(scrape.sum("gen_ai_client_token_usage_sum", with(call, "gen_ai_token_type", "input"))).isEqualTo(11);
		assertThat(scrape.sum("gen_ai_client_token_usage_sum", with(call, "gen_ai_token_type", "output"))).isEqualTo(5);
		assertThat(scrape.sum("gen_ai_client_token_usage_bucket", with(with(call, "gen_ai_token_type", "input"), "le", "16.0")))
			.isEqualTo(1);
		assertThat(scrape.sum("llm_gateway_tokens_total", with(call, "token_type", "cache_read_input"))).isEqualTo(4);
		assertThat(scrape.find("llm_gateway_tokens_total", call))
			.allSatisfy(sample -> assertThat(sample.labels()).containsEntry("usage_source", "provider"));
		assertThat(scrape.anyWith("gen_ai_client_operation_time_to_first_chunk", call)).isFalse();
		assertThat(scrape.anyWith("llm_gateway_unpriced_calls_total", call)).isTrue();

		SpanData span = awaitSpan("chat json-model");
		assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
		assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
		assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.response.id"))).isEqualTo("chatcmpl-json");
		assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(11);
		assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(5);
		assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens"))).isEqualTo(4);
		assertThat(span.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
			.containsExactly("stop");
		assertThat(span.getAttributes().get(AttributeKey.doubleKey("gen_ai.request.temperature"))).isEqualTo(0.5);
		assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.request.max_tokens"))).isEqualTo(100);
		assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.request.seed"))).isEqualTo(7);
		assertThat(span.getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream"))).isFalse();
		assertThat(span.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
		assertThat(span.getAttributes().get(AttributeKey.longKey("server.port"))).isEqualTo(upstream.port());
		assertThat(span.getAttributes().get(AttributeKey.stringKey("llm_gateway.route"))).isEqualTo("llm");
		assertThat(span.getAttributes().get(AttributeKey.stringKey("llm_gateway.usage.source"))).isEqualTo("provider");
		assertThat(span.getAttributes().get(AttributeKey.stringKey("team"))).isEqualTo("alpha");
		assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type"))).isNull();
		assertThat(span.getAttributes().asMap().values()).noneMatch(value -> value.toString().contains("sk-client-secret"));
		// A child of the gateway's server span, and the parent of what the provider does.
		SpanData server = spans.getFinishedSpanItems()
			.stream()
			.filter(candidate -> candidate.getSpanId().equals(span.getParentSpanId()))
			.findFirst()
			.orElseThrow();
		assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
		assertThat(server.getAttributes().get(AttributeKey.stringKey("method"))).isEqualTo("POST");
		// Set by the gateway's server span handler, with the key it holds, not a new one per span.
		assertThat(server.getAttributes().asMap().keySet())
			.anySatisfy(key -> assertThat(key).isSameAs(SpanAttributes.stringKey("method")));
		assertThat(server.getAttributes().get(AttributeKey.stringKey("status"))).isEqualTo("200");
		assertThat(server.getAttributes().get(AttributeKey.stringKey("http.url"))).endsWith("/llm/v1/chat/completions");
		// One attribute per name: OpenTelemetry tells keys apart by type too, so a name set once
		// as text and once as a boolean would be exported twice.
		assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.request.stream"))).isNull();
		assertThat(attributeNames(span)).doesNotHaveDuplicates();
		assertThat(attributeNames(server)).doesNotHaveDuplicates();
		assertThat(sent.getHeader("traceparent")).isEqualTo("00-" + span.getTraceId() + "-" + span.getSpanId() + "-01");
		// All of this with restores of the already current observation skipped.
		assertThat(ContextRegistry.getInstance().getThreadLocalAccessors())
			.hasAtLeastOneElementOfType(ReentrantObservationThreadLocalAccessor.class);
		// And the route's StripPrefix is the one that does not copy the request's headers.
		assertThat(this.context.getBean("stripPrefixGatewayFilterFactory"))
			.isInstanceOf(LeanStripPrefixGatewayFilterFactory.class);
	}

	@Test
	void usageIsAskedForUpstreamAndItsChunkKeptFromTheClient() {
		String content = sse("{\"id\":\"s1\",\"model\":\"inject-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}")
				+ sse("{\"id\":\"s1\",\"model\":\"inject-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bonjour à tous\"}}],\"usage\":null}")
				+ sse("{\"id\":\"s1\",\"model\":\"inject-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}");
		String usage = sse("{\"id\":\"s1\",\"model\":\"inject-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}");
		String done = sse("[DONE]");
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.withRequestBody(matchingJsonPath("$.stream_options.include_usage", equalTo("true")))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withBody(content + usage + done)
				.withChunkedDribbleDelay(23, 300)));

		String request = "{\"model\":\"inject-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Salut\"}]}";
		String received = postForText("/llm/v1/chat/completions", request);
		// Exactly the stream the client asked for: no usage chunk, no "usage":null members.
		assertThat(received).isEqualTo(content.replace(",\"usage\":null", "") + done);

		LoggedRequest sent = upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0);
		assertThat(sent.getBodyAsString()).isEqualTo(
				"{\"stream_options\":{\"include_usage\":true}," + request.substring(1));
		assertThat(sent.getHeader(HttpHeaders.CONTENT_LENGTH)).isEqualTo(Integer.toString(sent.getBody().length));
		assertThat(sent.getHeader(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("identity");

		Map<String, String> call = Map.of("gen_ai_request_model", "inject-model");
		PrometheusScrape scrape = awaitCall(call);
		assertThat(scrape.sum("llm_gateway_usage_injections_total", call)).isEqualTo(1);
		assertThat(scrape.sum("llm_gateway_tokens_total", with(with(call, "token_type", "input"), "usage_source", "provider")))
			.isEqualTo(9);
		assertThat(scrape.sum("llm_gateway_tokens_total", with(call, "token_type", "output"))).isEqualTo(4);
		assertThat(scrape.sum("gen_ai_client_operation_time_to_first_chunk_seconds_count", call)).isEqualTo(1);
		assertThat(scrape.sum("gen_ai_server_time_per_output_token_seconds_count", call)).isEqualTo(1);
		assertThat(scrape.sum("llm_gateway_active_streams", Map.of("route", "llm"))).isZero();
		SpanData span = awaitSpan("chat inject-model");
		assertThat(span.getAttributes().get(AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk"))).isPositive();
		assertThat(span.getAttributes().get(AttributeKey.booleanKey("gen_ai.request.stream"))).isTrue();
	}

	@Test
	void aStreamThatAskedForUsageIsPassedOnByteForByteWhateverTheChunking() {
		String stream = sse("{\"id\":\"s2\",\"model\":\"split-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"日本語のテキスト ✓ Grüße\"}}],\"usage\":null}")
				+ ": keep-alive\r\n\r\n"
				+ "data: {\"id\":\"s2\",\"model\":\"split-model\",\r\ndata: \"choices\":[{\"index\":0,\"delta\":{\"content\":\" und €\"},\"finish_reason\":\"stop\"}],\"usage\":null}\r\n\r\n"
				+ sse("{\"id\":\"s2\",\"model\":\"split-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":12}}")
				+ sse("[DONE]");
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withBody(stream)
				.withChunkedDribbleDelay(41, 400)));

		String request = "{\"model\":\"split-model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}";
		assertThat(postForText("/llm/v1/chat/completions", request)).isEqualTo(stream);
		assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0).getBodyAsString())
			.isEqualTo(request);

		Map<String, String> call = Map.of("gen_ai_request_model", "split-model");
		PrometheusScrape scrape = awaitCall(call);
		assertThat(scrape.anyWith("llm_gateway_usage_injections_total", call)).isFalse();
		assertThat(scrape.sum("llm_gateway_tokens_total", with(call, "token_type", "input"))).isEqualTo(21);
		assertThat(scrape.sum("llm_gateway_tokens_total", with(call, "token_type", "output"))).isEqualTo(12);
		assertThat(awaitSpan("chat split-model").getAttributes()
			.get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"))).containsExactly("stop");
	}

	@Test
	void routeFiltersThatChangeRequestHeadersKeepTheGatewaysEdits() {
		stubUsageOnlyStream("route-filter-model");

		String request = "{\"model\":\"route-filter-model\",\"stream\":true,\"messages\":[]}";
		postForText("/llm-filtered/v1/chat/completions", request);

		LoggedRequest sent = sentUpstream("route-filter-model");
		// The route's filters ran after the gateway had put its body in place and still sent it:
		// their header and the gateway's length, encoding and trace context all reach the upstream.
		assertThat(sent.getBodyAsString()).isEqualTo("{\"stream_options\":{\"include_usage\":true}," + request.substring(1));
		assertThat(sent.getHeader("X-Route-Filter")).isEqualTo("yes");
		assertThat(sent.getHeader(HttpHeaders.CONTENT_LENGTH)).isEqualTo(Integer.toString(sent.getBody().length));
		assertThat(sent.getHeader(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("identity");
		assertThat(sent.getHeader("traceparent")).isNotBlank();
		assertThat(sent.getHeader(HttpHeaders.TRANSFER_ENCODING)).isNull();
	}

	@Test
	void aRouteFilterThatWrapsTheBodySendsTheEditedBodyWithItsLength() {
		// CacheRequestBody reads the gateway's edited body and hands on a copy of its own with the
		// request's headers: the length on them must already be the edited body's.
		stubUsageOnlyStream("cached-body-model");

		String request = "{\"model\":\"cached-body-model\",\"stream\":true,\"messages\":[]}";
		assertThat(postForText("/llm-cached/v1/chat/completions", request)).endsWith(sse("[DONE]"));

		LoggedRequest sent = sentUpstream("cached-body-model");
		assertThat(sent.getBodyAsString()).isEqualTo("{\"stream_options\":{\"include_usage\":true}," + request.substring(1));
		assertThat(sent.getHeader(HttpHeaders.CONTENT_LENGTH)).isEqualTo(Integer.toString(sent.getBody().length));
	}

	@Test
	void gzipFromUpstreamReachesTheClientUntouchedAndIsStillRead() throws Exception {
		String json = "{\"id\":\"g\",\"model\":\"gzip-model\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"zipped\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":2}}";
		byte[] gzipped = gzip(json);
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "application/json")
				.withHeader("Content-Encoding", "gzip")
				.withBody(gzipped)));

		RawResponse result = rawPost("/llm/v1/chat/completions", "br, gzip;q=0.8, zstd",
				"{\"model\":\"gzip-model\",\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.contentEncoding()).isEqualTo("gzip");
		assertThat(result.body()).isEqualTo(gzipped);
		assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0)
			.getHeader(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("gzip;q=0.8");

		Map<String, String> call = Map.of("gen_ai_request_model", "gzip-model");
		PrometheusScrape scrape = awaitCall(call);
		assertThat(scrape.sum("llm_gateway_tokens_total", with(call, "token_type", "input"))).isEqualTo(31);
		assertThat(scrape.find("gen_ai_client_operation_duration_seconds_count", call)).singleElement()
			.satisfies(sample -> assertThat(sample.labels()).containsEntry("gen_ai_response_model", "gzip-model"));
	}

	@Test
	void aGzippedStreamIsReadWhileItFlows() throws Exception {
		String stream = sse("{\"id\":\"gs\",\"model\":\"gzip-stream\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"abc\"}}]}")
				+ sse("{\"id\":\"gs\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}") + sse("[DONE]");
		byte[] gzipped = gzip(stream);
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withHeader("Content-Encoding", "gzip")
				.withBody(gzipped)
				.withChunkedDribbleDelay(7, 100)));
		byte[] received = rawPost("/llm/v1/chat/completions", "gzip",
				"{\"model\":\"gzip-stream\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
			.body();
		assertThat(received).isEqualTo(gzipped);
		Map<String, String> call = Map.of("gen_ai_request_model", "gzip-stream");
		assertThat(awaitCall(call).sum("llm_gateway_tokens_total", with(call, "token_type", "input"))).isEqualTo(5);
	}

	@Test
	void withoutProviderUsageTheTokensAreEstimatedAndMarkedSo() {
		String stream = sse("{\"id\":\"n\",\"model\":\"nousage-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The quick brown fox\"}}]}")
				+ sse("{\"id\":\"n\",\"model\":\"nousage-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" jumps over the lazy dog.\"},\"finish_reason\":\"stop\"}]}")
				+ sse("[DONE]");
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(stream)));

		postForText("/llm/v1/chat/completions",
				"{\"model\":\"nousage-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about foxes\"}]}");

		Map<String, String> call = Map.of("gen_ai_request_model", "nousage-model");
		PrometheusScrape scrape = awaitCall(call);
		long input = estimator.countChatInput("nousage-model", "Tell me about foxes\n", 1);
		long output = estimator.count("nousage-model", "The quick brown fox jumps over the lazy dog.");
		assertThat(scrape.sum("llm_gateway_tokens_total", Map.of("gen_ai_request_model", "nousage-model",
				"token_type", "input", "usage_source", "estimated"))).isEqualTo(input);
		assertThat(scrape.sum("llm_gateway_tokens_total", Map.of("gen_ai_request_model", "nousage-model",
				"token_type", "output", "usage_source", "estimated"))).isEqualTo(output);
		assertThat(scrape.anyWith("llm_gateway_tokens_total", with(call, "usage_source", "provider"))).isFalse();
		assertThat(awaitSpan("chat nousage-model").getAttributes()
			.get(AttributeKey.stringKey("llm_gateway.usage.source"))).isEqualTo("estimated");
	}

	@Test
	void aBodyOverTheCapIsPassedOnWholeWithOnlyTheInputEstimated() {
		String filler = "x".repeat(40 * 1024);
		String json = "{\"id\":\"big\",\"model\":\"big-model\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"" + filler
				+ "\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9000}}";
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(json)));
		assertThat(postForText("/llm/v1/chat/completions",
				"{\"model\":\"big-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Write a lot\"}]}"))
			.isEqualTo(json);
		Map<String, String> call = Map.of("gen_ai_request_model", "big-model");
		PrometheusScrape scrape = awaitCall(call);
		assertThat(scrape.sum("llm_gateway_tokens_total", with(with(call, "token_type", "input"), "usage_source", "estimated")))
			.isEqualTo(estimator.countChatInput("big-model", "Write a lot\n", 1));
		assertThat(scrape.anyWith("llm_gateway_tokens_total", with(call, "token_type", "output"))).isFalse();
		assertThat(scrape.find("gen_ai_client_operation_duration_seconds_count", call)).singleElement()
			.satisfies(sample -> assertThat(sample.labels()).containsEntry("gen_ai_response_model", "unknown"));
	}

	@Test
	void upstreamErrorsArePassedOnAndCountedByStatus() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.withRequestBody(equalToJson("{\"model\":\"limited-model\"}", true, true))
			.willReturn(aResponse().withStatus(429)
				.withHeader("Retry-After", "7")
				.withHeader("Content-Type", "application/json")
				.withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")));
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.withRequestBody(equalToJson("{\"model\":\"broken-model\"}", true, true))
			.willReturn(aResponse().withStatus(500).withBody("upstream exploded")));

		this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"limited-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
			.exchange()
			.expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "7")
			.expectBody(String.class)
			.value(body -> assertThat(body).contains("rate_limit_exceeded"));
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"broken-model\",\"messages\":[]}")
			.exchange()
			.expectStatus()
			.isEqualTo(500)
			.expectBody(String.class)
			.isEqualTo("upstream exploded");

		PrometheusScrape scrape = awaitCall(Map.of("gen_ai_request_model", "broken-model"));
		assertThat(scrape.sum("gen_ai_client_operation_duration_seconds_count",
				Map.of("gen_ai_request_model", "limited-model", "error_type", "429"))).isEqualTo(1);
		assertThat(scrape.sum("gen_ai_client_operation_duration_seconds_count",
				Map.of("gen_ai_request_model", "broken-model", "error_type", "500"))).isEqualTo(1);
		// A refused call used no tokens: nothing is estimated for it.
		assertThat(scrape.anyWith("llm_gateway_tokens_total", Map.of("gen_ai_request_model", "limited-model"))).isFalse();
		assertThat(awaitSpan("chat limited-model").getAttributes().get(AttributeKey.stringKey("error.type")))
			.isEqualTo("429");
	}

	@Test
	void noAnswerBeforeTheResponseTimeoutIsAGatewayTimeout() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withFixedDelay(3000).withBody("{}")));
		expectTimeout(this.client.post()
			.uri("/slow/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"timeout-model\",\"messages\":[]}")
			.exchange(), "slow");
		assertThat(awaitCall(Map.of("gen_ai_request_model", "timeout-model")).sum(
				"gen_ai_client_operation_duration_seconds_count",
				Map.of("gen_ai_request_model", "timeout-model", "error_type", "timeout", "route", "slow")))
			.isEqualTo(1);
	}

	@Test
	void aStreamThatFallsSilentIsEndedAsATimeout() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withBody(sse("{\"id\":\"st\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}")
						+ sse("{\"id\":\"st\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}")
						+ sse("[DONE]"))
				.withChunkedDribbleDelay(3, 6000)));
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"stall-model\",\"stream\":true,\"messages\":[]}")
			.exchange()
			.returnResult(String.class)
			.getResponseBody()
			.onErrorComplete()
			.blockLast(Duration.ofSeconds(10));
		assertThat(awaitCall(Map.of("gen_ai_request_model", "stall-model")).sum(
				"gen_ai_client_operation_duration_seconds_count",
				Map.of("gen_ai_request_model", "stall-model", "error_type", "timeout"))).isEqualTo(1);
	}

	@Test
	void theIdleTimerLeavesWithTheResponseItWatched() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.withRequestBody(equalToJson("{\"model\":\"pooled-stream\"}", true, true))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(sse("[DONE]"))));
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.withRequestBody(equalToJson("{\"model\":\"pooled-slow\"}", true, true))
			.willReturn(aResponse().withFixedDelay(1500).withHeader("Content-Type", "application/json").withBody("{}")));
		postForText("/llm/v1/chat/completions", "{\"model\":\"pooled-stream\",\"stream\":true}");
		// Same pooled connection, an answer slower than the 1 s body idle limit: the limit applied
		// to the stream's body only, not to whatever the connection carries next.
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"pooled-slow\"}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.json("{}");
	}

	/** A 502 with the gateway's JSON error naming the route; the body is there for more checks. */
	private WebTestClient.BodyContentSpec postExpectingBadGateway(String uri, String body, String route) {
		return this.client.post()
			.uri(uri)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isEqualTo(502)
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("gateway_error")
			.jsonPath("$.error.route")
			.isEqualTo(route);
	}

	@Test
	void aPlainRouteAnswersAnUnreachableUpstreamAndATimeoutTheSameWay() {
		postExpectingBadGateway("/closed-plain/v1/anything", "{}", "closed-plain").jsonPath("$.error.code")
			.isEqualTo("_OTHER");
		upstream.stubFor(get(urlEqualTo("/v1/models")).willReturn(aResponse().withFixedDelay(3000).withBody("{}")));
		expectTimeout(this.client.get().uri("/slow-plain/v1/models").exchange(), "slow-plain");
	}

	@Test
	void anUnreachableUpstreamGetsAClearBadGateway() {
		postExpectingBadGateway("/closed/v1/chat/completions", "{\"model\":\"unreachable-model\",\"messages\":[]}",
				"closed");
		assertThat(awaitCall(Map.of("gen_ai_request_model", "unreachable-model")).sum(
				"gen_ai_client_operation_duration_seconds_count",
				Map.of("gen_ai_request_model", "unreachable-model", "error_type", "_OTHER"))).isEqualTo(1);
	}

	@Test
	void aResetConnectionIsAnUpstreamReset() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"reset-model\",\"messages\":[]}")
			.exchange()
			.expectStatus()
			.isEqualTo(502)
			.expectBody()
			.jsonPath("$.error.code")
			.isEqualTo("upstream_reset");
		assertThat(awaitCall(Map.of("gen_ai_request_model", "reset-model")).sum(
				"gen_ai_client_operation_duration_seconds_count",
				Map.of("gen_ai_request_model", "reset-model", "error_type", "upstream_reset"))).isEqualTo(1);
	}

	@Test
	void aClientThatLeavesCancelsTheUpstreamAndIsStillCounted() {
		endlessCancelled.set(false);
		List<String> seen = this.webClient.post()
			.uri("/endless/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"endless\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Go on forever\"}]}")
			.retrieve()
			.bodyToFlux(String.class)
			.take(3)
			.collectList()
			.block(Duration.ofSeconds(10));
		assertThat(seen).hasSize(3);
		await().atMost(Duration.ofSeconds(5)).untilTrue(endlessCancelled);
		Map<String, String> call = Map.of("gen_ai_request_model", "endless");
		PrometheusScrape scrape = awaitCall(call);
		assertThat(scrape.sum("gen_ai_client_operation_duration_seconds_count", with(call, "error_type", "client_cancelled")))
			.isEqualTo(1);
		assertThat(scrape.sum("llm_gateway_tokens_total", Map.of("gen_ai_request_model", "endless", "token_type",
				"output", "usage_source", "estimated"))).isGreaterThanOrEqualTo(3);
		assertThat(scrape.sum("llm_gateway_active_streams", Map.of("route", "endless"))).isZero();
	}

	@Test
	void theDurationRunsToTheLastByteAndChunksAreNotHeldBack() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withBody(sse("{\"id\":\"d\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}")
						+ sse("{\"id\":\"d\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" second\"}}]}")
						+ sse("{\"id\":\"d\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" third\"}}]}")
						+ sse("{\"id\":\"d\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}")
						+ sse("[DONE]"))
				.withChunkedDribbleDelay(5, 1500)));
		List<Long> arrivals = new ArrayList<>();
		AtomicLong start = new AtomicLong(System.nanoTime());
		this.webClient.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"timing-model\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
			.retrieve()
			.bodyToFlux(DataBuffer.class)
			.doOnNext(buffer -> {
				arrivals.add(System.nanoTime() - start.get());
				DataBufferUtils.release(buffer);
			})
			.blockLast(Duration.ofSeconds(10));
		// Chunks reach the client as the upstream sends them, not all at the end.
		assertThat(arrivals.size()).isGreaterThanOrEqualTo(3);
		assertThat(arrivals.get(arrivals.size() - 1) - arrivals.get(0)).isGreaterThan(Duration.ofMillis(800).toNanos());
		Map<String, String> call = Map.of("gen_ai_request_model", "timing-model");
		PrometheusScrape scrape = awaitCall(call);
		double duration = scrape.sum("gen_ai_client_operation_duration_seconds_sum", call);
		double ttfc = scrape.sum("gen_ai_client_operation_time_to_first_chunk_seconds_sum", call);
		assertThat(duration).isGreaterThan(1.0);
		assertThat(ttfc).isLessThan(duration - 0.8);
	}

	@Test
	void theHeaderFiltersOfEveryCallLeaveOutGrpcOnAnHttp11Server(@Autowired List<HttpHeadersFilter> headerFilters) {
		// gRPC needs HTTP/2, which the gateway does not serve by default; its filters would only cost.
		assertThat(headerFilters).hasAtLeastOneElementOfType(RemoveHopByHopHeadersFilter.class)
			.extracting(filter -> filter.getClass().getSimpleName())
			.noneMatch(name -> name.startsWith("GRPC"));
	}

	@Test
	void aRouteWithoutLlmMetadataIsProxiedUntouchedAndNotDecoded() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withBody(sse("{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}"))));
		String request = "{\"model\":\"plain-model\",\"stream\":true}";
		postForText("/plain/v1/chat/completions", request);
		assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0).getBodyAsString())
			.isEqualTo(request);
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"after-plain\",\"stream\":true}")
			.exchange()
			.expectBody()
			.returnResult();
		PrometheusScrape scrape = awaitCall(Map.of("gen_ai_request_model", "after-plain"));
		assertThat(scrape.anyWith("gen_ai_", Map.of("route", "plain"))).isFalse();
		assertThat(scrape.anyWith("gen_ai_", Map.of("gen_ai_request_model", "plain-model"))).isFalse();
	}

	@Test
	void aBodyThatIsNotJsonIsProxiedAsItIsAndStillCounted() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withStatus(400).withBody("{\"error\":{\"message\":\"bad json\"}}")));
		String garbage = "{\"model\": \"half-written";
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.header("x-team", "garbage-team")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(garbage)
			.exchange()
			.expectStatus()
			.isEqualTo(400)
			.expectBody()
			.jsonPath("$.error.message")
			.isEqualTo("bad json");
		assertThat(upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).get(0).getBodyAsString())
			.isEqualTo(garbage);
		Map<String, String> call = Map.of("team", "garbage-team");
		assertThat(awaitCall(call).find("gen_ai_client_operation_duration_seconds_count", call)).singleElement()
			.satisfies(sample -> assertThat(sample.labels()).containsEntry("gen_ai_request_model", "unknown")
				.containsEntry("error_type", "400"));
	}

	@Test
	void anOversizedRequestIsRefusedClearlyAndCounted() {
		String huge = "{\"model\":\"huge-model\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(70 * 1024)
				+ "\"}]}";
		this.client.post()
			.uri("/llm/v1/chat/completions")
			.header("x-team", "huge-team")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(huge)
			.exchange()
			.expectStatus()
			.isEqualTo(413)
			.expectBody()
			.jsonPath("$.error.code")
			.isEqualTo("request_too_large");
		assertThat(upstream.getAllServeEvents()).isEmpty();
		assertThat(awaitCall(Map.of("team", "huge-team")).sum("gen_ai_client_operation_duration_seconds_count",
				Map.of("team", "huge-team", "error_type", "413"))).isEqualTo(1);
	}

	@Test
	void pricedModelsAreCostedPerTokenType() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "application/json")
				.withBody("{\"id\":\"p\",\"model\":\"priced-model-2025-01-01\",\"choices\":[],\"usage\":{\"prompt_tokens\":1000000,\"completion_tokens\":500000,\"prompt_tokens_details\":{\"cached_tokens\":200000}}}")));
		postForText("/llm/v1/chat/completions", "{\"model\":\"priced-model\",\"messages\":[]}");
		Map<String, String> call = Map.of("gen_ai_request_model", "priced-model");
		PrometheusScrape scrape = awaitCall(call);
		// 800k uncached at $2/M, 200k cached at $0.50/M, 500k output at $8/M.
		assertThat(scrape.sum("llm_gateway_cost_usd_total", with(call, "cost_type", "input"))).isCloseTo(1.6,
				org.assertj.core.data.Offset.offset(1e-9));
		assertThat(scrape.sum("llm_gateway_cost_usd_total", with(call, "cost_type", "cache_read_input")))
			.isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
		assertThat(scrape.sum("llm_gateway_cost_usd_total", with(call, "cost_type", "output"))).isCloseTo(4.0,
				org.assertj.core.data.Offset.offset(1e-9));
		assertThat(scrape.anyWith("llm_gateway_unpriced_calls_total", call)).isFalse();
		assertThat(awaitSpan("chat priced-model").getAttributes().get(AttributeKey.doubleKey("llm_gateway.cost.usd")))
			.isCloseTo(5.7, org.assertj.core.data.Offset.offset(1e-9));
	}

	/** An upstream stream for {@code model} that carries only its usage and the end marker. */
	private static void stubUsageOnlyStream(String model) {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.withRequestBody(matchingJsonPath("$.model", equalTo(model)))
			.willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
				.withBody(sse("{\"id\":\"u\",\"model\":\"" + model
						+ "\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}") + sse("[DONE]"))));
	}

	/** The request the upstream received for {@code model}. */
	private static LoggedRequest sentUpstream(String model) {
		return upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions")))
			.stream()
			.filter(logged -> logged.getBodyAsString().contains(model))
			.findFirst()
			.orElseThrow();
	}

	private String postForText(String uri, String body) {
		byte[] bytes = this.client.post()
			.uri(uri)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectBody()
			.returnResult()
			.getResponseBody();
		return (bytes != null) ? new String(bytes, StandardCharsets.UTF_8) : "";
	}

	/** Scrapes until the call's duration is recorded (it is, just after the last byte). */
	private PrometheusScrape awaitCall(Map<String, String> labels) {
		PrometheusScrape[] scrape = new PrometheusScrape[1];
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
			scrape[0] = scrape();
			return scrape[0].sum("gen_ai_client_operation_duration_seconds_count", labels) > 0;
		});
		return scrape[0];
	}

	private PrometheusScrape scrape() {
		String text = this.webClient.get()
			.uri("/actuator/prometheus")
			.retrieve()
			.bodyToMono(String.class)
			.block(Duration.ofSeconds(10));
		return new PrometheusScrape(text);
	}

	/** A raw exchange with a client that neither asks for nor undoes compression. */
	private RawResponse rawPost(String uri, String acceptEncoding, String body) {
		return reactor.netty.http.client.HttpClient.create()
			.headers(headers -> headers.set("Content-Type", "application/json").set("Accept-Encoding", acceptEncoding))
			.post()
			.uri("http://127.0.0.1:" + this.port + uri)
			.send(reactor.netty.ByteBufFlux.fromString(reactor.core.publisher.Mono.just(body)))
			.responseSingle((response, content) -> content.asByteArray()
				.defaultIfEmpty(new byte[0])
				.map(bytes -> new RawResponse(response.status().code(),
						response.responseHeaders().get("Content-Encoding"), bytes)))
			.block(Duration.ofSeconds(10));
	}

	record RawResponse(int status, String contentEncoding, byte[] body) {
	}

	private static List<String> attributeNames(SpanData span) {
		return span.getAttributes().asMap().keySet().stream().map(AttributeKey::getKey).toList();
	}

	private static SpanData awaitSpan(String name) {
		SpanData[] found = new SpanData[1];
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
			found[0] = spans.getFinishedSpanItems()
				.stream()
				.filter(span -> span.getName().equals(name))
				.findFirst()
				.orElse(null);
			return found[0] != null;
		});
		return found[0];
	}

	private static Map<String, String> with(Map<String, String> labels, String key, String value) {
		Map<String, String> more = new java.util.HashMap<>(labels);
		more.put(key, value);
		return more;
	}

	private static String sse(String data) {
		return "data: " + data + "\n\n";
	}

	private static byte[] gzip(String text) throws Exception {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
			gzip.write(text.getBytes(StandardCharsets.UTF_8));
		}
		return out.toByteArray();
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (java.io.IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class SpanCapture {

		@Bean
		SpanProcessor inMemorySpans() {
			return SimpleSpanProcessor.create(spans);
		}

	}

}
