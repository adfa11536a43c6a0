package io.llmgateway.filter;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;

import io.llmgateway.support.LeakRecordingDetectorFactory;
import io.llmgateway.support.PrometheusScrape;
import io.llmgateway.support.SseTestUpstream;
import io.llmgateway.support.TestRoutes;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;

import static io.llmgateway.filter.ScriptedUpstream.LAST_CHUNK;
import static io.llmgateway.filter.ScriptedUpstream.chunk;
import static io.llmgateway.filter.ScriptedUpstream.concat;
import static io.llmgateway.filter.ScriptedUpstream.head;
import static io.llmgateway.filter.ScriptedUpstream.reset;
import static io.llmgateway.filter.ScriptedUpstream.response;
import static io.llmgateway.filter.ScriptedUpstream.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upstreams and clients that misbehave. For each case: what the client gets (what the upstream
 * sent, or a clear error), the {@code error_type} the call is counted with, and that the gateway
 * is still healthy and serving afterwards. Buffer leaks fail the class through
 * {@code NettyLeakDetection}. The cases {@link LlmObservationFilterTests} already covers (429,
 * 500, a stall past the response timeout, a reset before the response, a client leaving
 * mid-stream, malformed request JSON, an oversized request with a Content-Length) are not
 * repeated here.
 *
 * <p>A stream that ends without its regular end ({@code data: [DONE]} for OpenAI): when the
 * connection breaks (closed or reset before the body's end) the call is an {@code upstream_reset};
 * when the upstream ends the body properly but never sent the end event nor a finish reason,
 * the answer is cut short as far as the API goes, and the call is an {@code invalid_response}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BadInputTests {

	static final ScriptedUpstream upstream = new ScriptedUpstream();

	/** An upstream that streams as fast as it is allowed to, counting what it produced. */
	static DisposableServer firehose;

	static final AtomicLong firehoseBytes = new AtomicLong();

	static final String EVENT = "data: {\"id\":\"f\",\"model\":\"firehose\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
			+ "word ".repeat(1600) + "\"}}]}\n\n";

	@LocalServerPort
	int port;

	WebClient webClient;

	@DynamicPropertySource
	static void routes(DynamicPropertyRegistry registry) {
		firehose = SseTestUpstream.start(Flux.<String>generate(sink -> sink.next(EVENT))
			.doOnNext(event -> firehoseBytes.addAndGet(event.length())));
		TestRoutes.in(registry)
			.llm("bad", "http://127.0.0.1:" + upstream.port(), "/bad")
			.llm("firehose", "http://127.0.0.1:" + firehose.port(), "/firehose")
			.plain("plain", "http://127.0.0.1:" + upstream.port(), "/plain");
		registry.add("llm-gateway.stream-idle-timeout", () -> "3s");
		registry.add("llm-gateway.max-request-body-size", () -> "64KB");
		registry.add("llm-gateway.max-frame-size", () -> "4KB");
		// CORS headers are set before the routing filters run; a gateway error must keep them,
		// or a browser reports a CORS failure instead of the error.
		registry.add("spring.cloud.gateway.server.webflux.globalcors.cors-configurations.[/**].allowed-origins",
				() -> ORIGIN);
		registry.add("spring.cloud.gateway.server.webflux.globalcors.cors-configurations.[/**].allowed-methods",
				() -> "*");
		scripts();
	}

	@AfterAll
	static void stopUpstreams() throws Exception {
		upstream.close();
		if (firehose != null) {
			firehose.disposeNow();
		}
	}

	static final String JSON = "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,"
			+ "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}],"
			+ "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}";

	static final String[] EVENTS = {
			sse("{\"id\":\"s\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"),
			sse("{\"id\":\"s\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once upon\"}}]}"),
			sse("{\"id\":\"s\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" a time\"}}]}") };

	static final String FINISH = sse(
			"{\"id\":\"s\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");

	static final byte[] GARBAGE = new byte[48 * 1024];

	static {
		new Random(42).nextBytes(GARBAGE);
	}

	private static void scripts() {
		upstream.script("never", (socket, out, request) -> write(out, response(200, "application/json", JSON)));
		upstream.script("ok", (socket, out, request) -> write(out, response(200, "application/json", JSON)));
		upstream.script("not-json", (socket, out, request) -> write(out,
				response(200, "application/json", "<html><body>Service temporarily unavailable</body></html>")));
		upstream.script("json-clean-but-short", (socket, out, request) -> write(out,
				response(200, "application/json", JSON.substring(0, JSON.length() / 2))));
		upstream.script("json-cut-chunked", (socket, out, request) -> {
			write(out, head(200, "application/json", "Transfer-Encoding: chunked"));
			write(out, chunk(JSON.substring(0, JSON.length() / 2)));
			Thread.sleep(100);
			// Closed without the last chunk.
		});
		upstream.script("content-length-too-long", (socket, out, request) -> {
			write(out, head(200, "application/json", "Content-Length: " + (JSON.length() + 100)));
			write(out, JSON.getBytes(StandardCharsets.UTF_8));
			Thread.sleep(100);
		});
		upstream.script("content-length-too-short", (socket, out, request) -> {
			write(out, concat(head(200, "application/json", "Content-Length: 20\r\nConnection: close"),
					JSON.getBytes(StandardCharsets.UTF_8)));
			Thread.sleep(300);
		});
		upstream.script("sse-closed-mid-stream", (socket, out, request) -> {
			write(out, head(200, "text/event-stream", "Transfer-Encoding: chunked"));
			for (String event : EVENTS) {
				write(out, chunk(event));
				Thread.sleep(20);
			}
			// Half an event, then the connection is closed: no last chunk, no [DONE].
			write(out, chunk("data: {\"id\":\"s\",\"choi"));
			Thread.sleep(100);
		});
		upstream.script("sse-reset-mid-stream", (socket, out, request) -> {
			write(out, head(200, "text/event-stream", "Transfer-Encoding: chunked"));
			for (String event : EVENTS) {
				write(out, chunk(event));
				Thread.sleep(20);
			}
			Thread.sleep(100);
			reset(socket);
		});
		upstream.script("sse-ends-without-done", (socket, out, request) -> {
			write(out, head(200, "text/event-stream", "Transfer-Encoding: chunked\r\nConnection: close"));
			for (String event : EVENTS) {
				write(out, chunk(event));
			}
			write(out, LAST_CHUNK);
		});
		upstream.script("sse-finished-without-done", (socket, out, request) -> {
			write(out, head(200, "text/event-stream", "Transfer-Encoding: chunked\r\nConnection: close"));
			for (String event : EVENTS) {
				write(out, chunk(event));
			}
			write(out, chunk(FINISH));
			write(out, LAST_CHUNK);
		});
		upstream.script("sse-event-over-cap", (socket, out, request) -> {
			write(out, head(200, "text/event-stream", "Transfer-Encoding: chunked\r\nConnection: close"));
			write(out, chunk(EVENTS[0]));
			write(out, chunk(sse("{\"id\":\"s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "x".repeat(10_000)
					+ "\"}}]}")));
			write(out, chunk(FINISH));
			write(out, chunk(sse("{\"id\":\"s\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2503}}")));
			write(out, chunk(sse("[DONE]")));
			write(out, LAST_CHUNK);
		});
		upstream.script("sse-garbage", (socket, out, request) -> {
			write(out, head(200, "text/event-stream", "Content-Length: " + GARBAGE.length + "\r\nConnection: close"));
			write(out, GARBAGE);
		});
		upstream.script("headers-then-reset", (socket, out, request) -> {
			write(out, head(200, "application/json", "X-Upstream: yes\r\nvary: Origin\r\nvary: Accept-Encoding\r\nContent-Length: 100"));
			Thread.sleep(100);
			reset(socket);
		});
		upstream.script("slow-headers", (socket, out, request) -> {
			// Waits for the client to go away: a read returns -1 once the gateway closes.
			socket.setSoTimeout(10_000);
			if (socket.getInputStream().read() < 0) {
				upstream.clientGone.incrementAndGet();
			}
		});
		upstream.script("echo-400", (socket, out, request) -> write(out, response(400, "application/json",
				"{\"error\":{\"message\":\"We could not parse the JSON body of your request.\",\"type\":\"invalid_request_error\"}}")));
		byte[] overloaded = "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}"
			.getBytes(StandardCharsets.UTF_8);
		upstream.script("stream-503", (socket, out, request) -> write(out, concat(head(503, "application/json",
				"Retry-After: 2\r\nContent-Length: " + overloaded.length + "\r\nConnection: close"), overloaded)));
	}

	@BeforeEach
	void clients() {
		this.webClient = WebClient.builder()
			.clientConnector(new ReactorClientHttpConnector(HttpClient.create()))
			.baseUrl("http://127.0.0.1:" + this.port)
			.codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
			.build();
	}

	/** What the gateway logs during a case, from every logger. */
	private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

	private final Logger rootLogger = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

	@BeforeEach
	void captureLogs() {
		this.logged.start();
		this.rootLogger.addAppender(this.logged);
	}

	@AfterEach
	void afterEachCase(TestInfo test) throws Exception {
		try {
			gatewayStillHealthy();
			noLeaks(test);
			// Bad input is the upstream's or the client's fault, not the gateway's: at most a
			// WARN line, never an ERROR with a stack trace an operator would chase.
			assertThat(loggedEvents()).as("ERROR lines logged in %s", test.getDisplayName())
				.noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.ERROR));
		}
		finally {
			this.rootLogger.detachAppender(this.logged);
		}
	}

	/** A copy of what was logged so far; event loops append while the test reads. */
	private List<ILoggingEvent> loggedEvents() {
		// The appender appends under its own lock.
		synchronized (this.logged) {
			return new ArrayList<>(this.logged.list);
		}
	}

	/** The WARN lines {@link UpstreamFailureFilter} wrote in this case. */
	private List<String> failureWarnings() {
		return loggedEvents().stream()
			.filter(event -> event.getLoggerName().equals(UpstreamFailureFilter.class.getName())
					&& event.getLevel() == Level.WARN)
			.map(ILoggingEvent::getFormattedMessage)
			.toList();
	}

	/**
	 * Buffer leaks of each case, named by the case (the class-wide check would only say that
	 * some case leaked).
	 */
	private void noLeaks(TestInfo test) throws Exception {
		for (int round = 0; round < 3; round++) {
			System.gc();
			Thread.sleep(50);
			for (int i = 0; i < 200; i++) {
				PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
			}
		}
		assertThat(LeakRecordingDetectorFactory.drain()).as("buffer leaks in %s", test.getDisplayName()).isEmpty();
	}

	/** After every case: the gateway is up and a plain call goes through and is counted as a success. */
	private void gatewayStillHealthy() {
		assertThat(get("/actuator/health/liveness")).contains("\"UP\"");
		assertThat(get("/actuator/health/readiness")).contains("\"UP\"");
		String model = "canary-" + canaries.incrementAndGet();
		Raw canary = post("ok", "{\"model\":\"" + model + "\",\"messages\":[]}");
		assertThat(canary.status()).isEqualTo(200);
		assertThat(canary.text()).isEqualTo(JSON);
		assertThat(canary.error()).isNull();
		assertThat(awaitCall(model).labels()).containsEntry("error_type", "");
	}

	static final AtomicInteger canaries = new AtomicInteger();

	static final String ORIGIN = "https://app.example";

	/**
	 * Scripts a request that the upstream reads in full and then closes the connection on
	 * without a word; the next one is answered. Returns how many requests it has read.
	 */
	static AtomicInteger closedOnceThenAnswered(String script) {
		AtomicInteger read = new AtomicInteger();
		upstream.script(script, (socket, out, request) -> {
			if (read.incrementAndGet() > 1) {
				write(out, response(200, "application/json", JSON));
			}
		});
		return read;
	}

	// Upstream misbehaviour.

	@Test
	void jsonThatIsNotJsonIsPassedOnAndAnInvalidResponse() {
		Raw result = post("not-json", "{\"model\":\"not-json-model\",\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo("<html><body>Service temporarily unavailable</body></html>");
		assertThat(awaitCall("not-json-model").labels()).containsEntry("error_type", "invalid_response")
			.containsEntry("gen_ai_response_model", "unknown");
	}

	@Test
	void jsonThatStopsHalfWayButEndsCleanlyIsAnInvalidResponse() {
		Raw result = post("json-clean-but-short", "{\"model\":\"short-json\",\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo(JSON.substring(0, JSON.length() / 2));
		assertThat(result.error()).isNull();
		assertThat(awaitCall("short-json").labels()).containsEntry("error_type", "invalid_response");
	}

	@Test
	void jsonCutOffByAClosedConnectionIsAnUpstreamReset() {
		Raw result = post("json-cut-chunked", "{\"model\":\"cut-json\",\"messages\":[]}");
		// The status was on its way already; the client sees the bytes sent, then the body break off.
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo(JSON.substring(0, JSON.length() / 2));
		assertThat(result.error()).isNotNull();
		assertThat(awaitCall("cut-json").labels()).containsEntry("error_type", "upstream_reset");
	}

	@Test
	void aContentLengthLongerThanTheBodyIsAnUpstreamReset() {
		Raw result = post("content-length-too-long", "{\"model\":\"long-cl\",\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo(JSON);
		// The client was promised more bytes than came: its body fails rather than ends.
		assertThat(result.error()).isNotNull();
		assertThat(awaitCall("long-cl").labels()).containsEntry("error_type", "upstream_reset");
	}

	@Test
	void aContentLengthShorterThanTheBodyCutsTheBodyThere() {
		Raw result = post("content-length-too-short", "{\"model\":\"short-cl\",\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo(JSON.substring(0, 20));
		assertThat(result.error()).isNull();
		assertThat(awaitCall("short-cl").labels()).containsEntry("error_type", "invalid_response");
	}

	@Test
	void aStreamClosedMidEventWithoutDoneIsAnUpstreamReset() {
		Raw result = post("sse-closed-mid-stream", "{\"model\":\"closed-stream\",\"stream\":true,\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		// Every whole event arrives; the half event does not (the gateway, asking for usage here,
		// holds back unfinished events, and no SSE client could use half of one).
		assertThat(result.text()).isEqualTo(String.join("", EVENTS));
		assertThat(result.error()).isNotNull();
		PrometheusScrape.Sample call = awaitCall("closed-stream");
		assertThat(call.labels()).containsEntry("error_type", "upstream_reset").containsEntry("stream", "true");
		// What was streamed before the break is still counted, as an estimate.
		assertThat(scrape().sum("llm_gateway_tokens_total", Map.of("gen_ai_request_model", "closed-stream",
				"token_type", "output", "usage_source", "estimated"))).isPositive();
		assertThat(scrape().sum("llm_gateway_active_streams", Map.of("route", "bad"))).isZero();
	}

	@Test
	void aStreamResetMidWayIsAnUpstreamReset() {
		Raw result = post("sse-reset-mid-stream", "{\"model\":\"reset-stream\",\"stream\":true,\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		// A reset throws away what the gateway had not read yet: the client gets a prefix of the
		// events, and then its body breaks off too (it must not look like a complete stream).
		assertThat(String.join("", EVENTS)).startsWith(result.text());
		assertThat(result.text()).startsWith(EVENTS[0]);
		assertThat(result.error()).isNotNull();
		assertThat(awaitCall("reset-stream").labels()).containsEntry("error_type", "upstream_reset");
		assertThat(scrape().sum("llm_gateway_active_streams", Map.of("route", "bad"))).isZero();
		assertThat(failureWarnings()).singleElement()
			.asString()
			.contains("route 'bad' broke off a response already under way (upstream_reset)");
	}

	@Test
	void aStreamThatEndsCleanlyWithoutDoneOrFinishIsAnInvalidResponse() {
		Raw result = post("sse-ends-without-done", "{\"model\":\"no-done\",\"stream\":true,\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo(String.join("", EVENTS));
		assertThat(result.error()).isNull();
		assertThat(awaitCall("no-done").labels()).containsEntry("error_type", "invalid_response");
	}

	@Test
	void aFinishedStreamWithoutDoneIsASuccess() {
		// Some OpenAI-compatible servers never send [DONE]; a finish reason says the answer is whole.
		Raw result = post("sse-finished-without-done", "{\"model\":\"finished-no-done\",\"stream\":true,\"messages\":[]}");
		assertThat(result.text()).isEqualTo(String.join("", EVENTS) + FINISH);
		assertThat(awaitCall("finished-no-done").labels()).containsEntry("error_type", "");
	}

	@Test
	void anEventOverTheFrameCapIsPassedOnAndTheRestLeftUnread() {
		// The gateway asks for usage here (the client did not), so it holds back frame tails:
		// past the cap it must give up holding and send everything on as it comes.
		Raw result = post("sse-event-over-cap", "{\"model\":\"over-cap\",\"stream\":true,\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).startsWith(EVENTS[0]).contains("x".repeat(10_000)).endsWith(sse("[DONE]"));
		assertThat(upstream.lastRequest("sse-event-over-cap").body()).asString(StandardCharsets.UTF_8)
			.contains("\"include_usage\":true");
		assertThat(awaitCall("over-cap").labels()).containsEntry("error_type", "invalid_response");
	}

	@Test
	void binaryGarbageWithAnEventStreamTypeIsPassedOnByteForByte() {
		Raw result = post("sse-garbage", "{\"model\":\"garbage-stream\",\"stream\":true,\"messages\":[]}");
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.bytes()).isEqualTo(GARBAGE);
		assertThat(awaitCall("garbage-stream").labels()).containsEntry("error_type", "invalid_response");
	}

	@Test
	void anUpstream503OnAStreamRequestIsPassedOnWithItsRetryAfter() {
		Raw result = post("stream-503", "{\"model\":\"stream-503\",\"stream\":true,\"messages\":[]}");
		assertThat(result.status()).isEqualTo(503);
		assertThat(result.headers().get("Retry-After")).isEqualTo("2");
		assertThat(result.text()).contains("overloaded");
		assertThat(awaitCall("stream-503").labels()).containsEntry("error_type", "503").containsEntry("stream", "true");
		assertThat(scrape().anyWith("llm_gateway_tokens_total", Map.of("gen_ai_request_model", "stream-503"))).isFalse();
	}

	// Upstream failures before an answer, on LLM and plain routes.

	@Test
	void aBodylessGetWhoseConnectionClosesBeforeAnyAnswerIsSentOnceMoreAndCountedOnce() {
		AtomicInteger read = closedOnceThenAnswered("get-closed-once");
		double before = gatewayRequests("plain");
		Raw result = send(HttpMethod.GET, "/plain/v1/models", "get-closed-once", Map.of(), null);
		assertThat(result.status()).isEqualTo(200);
		assertThat(result.text()).isEqualTo(JSON);
		// The upstream read the GET twice: an idempotent request without a body may be.
		assertThat(read).hasValue(2);
		// One client call, one sample: the resend goes through routing only, not the whole chain.
		await().atMost(Duration.ofSeconds(5)).until(() -> gatewayRequests("plain") - before >= 1);
		assertThat(gatewayRequests("plain") - before).isEqualTo(1);
	}

	@Test
	void aPostWhoseConnectionClosesAfterItWentOutIsAnsweredWithABadGatewayNotSentTwice() {
		AtomicInteger read = closedOnceThenAnswered("post-closed-once");
		Raw result = send(HttpMethod.POST, "/plain/v1/chat/completions", "post-closed-once",
				Map.of("Content-Type", "application/json", "Origin", ORIGIN), "{\"model\":\"p\"}".getBytes(StandardCharsets.UTF_8));
		assertClearBadGateway(result, "plain");
		assertThat(read).hasValue(1);
	}

	@Test
	void anLlmCallWhoseConnectionClosesAfterItWentOutIsAnsweredWithABadGatewayNotSentTwice() {
		AtomicInteger read = closedOnceThenAnswered("llm-closed-once");
		Raw result = send(HttpMethod.POST, "/bad/v1/chat/completions", "llm-closed-once",
				Map.of("Content-Type", "application/json", "Origin", ORIGIN),
				"{\"model\":\"llm-closed-once\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8));
		assertClearBadGateway(result, "bad");
		assertThat(read).hasValue(1);
		assertThat(awaitCall("llm-closed-once").labels()).containsEntry("error_type", "upstream_reset");
	}

	@Test
	void upstreamHeadersThenAResetBeforeAnyBodyGiveABadGatewayWithoutTheUpstreamsHeaders() {
		for (String path : new String[] { "/plain/v1/chat/completions", "/bad/v1/chat/completions" }) {
			Raw result = send(HttpMethod.POST, path, "headers-then-reset",
					Map.of("Content-Type", "application/json", "Origin", ORIGIN),
					"{\"model\":\"headers-then-reset\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8));
			assertClearBadGateway(result, path.startsWith("/plain") ? "plain" : "bad");
			assertThat(result.headers().get("X-Upstream")).as(path).isNull();
			// The upstream's two Vary values go, one of them the same as one of CORS's; CORS's stay.
			assertThat(result.headers().getAll("Vary")).as(path)
				.containsExactly("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers");
		}
	}

	@Test
	void aPlainRouteWhoseUpstreamResetsMidBodyBreaksTheClientsBodyOffToo() {
		Map<String, String> brokenOff = Map.of("uri", "UNKNOWN", "exception", "UpstreamBrokeOff", "status", "200");
		double brokenOffBefore = scrape().sum("http_server_requests_seconds_count", brokenOff);
		Raw result = send(HttpMethod.POST, "/plain/v1/chat/completions", "sse-reset-mid-stream",
				Map.of("Content-Type", "application/json"), "{\"stream\":true}".getBytes(StandardCharsets.UTF_8));
		assertThat(result.status()).isEqualTo(200);
		assertThat(String.join("", EVENTS)).startsWith(result.text());
		// Not a stream that looks complete: the client's body fails as the upstream's did.
		assertThat(result.error()).isNotNull();
		assertThat(failureWarnings()).singleElement()
			.asString()
			.contains("route 'plain' broke off a response already under way (upstream_reset)");
		// The server's own metric still names the failure.
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(scrape().sum("http_server_requests_seconds_count", brokenOff))
				.isEqualTo(brokenOffBefore + 1));
	}

	/** A JSON 502 for an upstream reset on the route that keeps the CORS headers already set. */
	private static void assertClearBadGateway(Raw result, String routeId) {
		assertThat(result.status()).isEqualTo(502);
		assertThat(result.text()).contains("\"type\":\"gateway_error\"")
			.contains("\"code\":\"upstream_reset\"")
			.contains("\"route\":\"" + routeId + "\"");
		assertThat(result.headers().get("Content-Type")).isEqualTo("application/json");
		assertThat(result.headers().get("Access-Control-Allow-Origin")).isEqualTo(ORIGIN);
	}

	private double gatewayRequests(String routeId) {
		return scrape().sum("spring_cloud_gateway_requests_seconds_count", Map.of("routeId", routeId));
	}

	// Client misbehaviour.

	@Test
	void aBodyThatIsNotJsonGoesUpstreamAsItIs() {
		Raw result = post("echo-400", "text/plain", "x-team", "plain-text-team",
				"Hello, please complete this sentence".getBytes(StandardCharsets.UTF_8));
		assertThat(result.status()).isEqualTo(400);
		assertThat(result.text()).contains("invalid_request_error");
		assertThat(new String(upstream.lastRequest("echo-400").body(), StandardCharsets.UTF_8))
			.isEqualTo("Hello, please complete this sentence");
		PrometheusScrape.Sample call = awaitCall(Map.of("team", "plain-text-team"));
		assertThat(call.labels()).containsEntry("error_type", "400").containsEntry("gen_ai_request_model", "unknown");
	}

	@Test
	void anEmptyBodyGoesUpstreamEmpty() {
		Raw result = post("echo-400", "application/json", "x-team", "empty-body-team", new byte[0]);
		assertThat(result.status()).isEqualTo(400);
		assertThat(upstream.lastRequest("echo-400").body()).isEmpty();
		assertThat(awaitCall(Map.of("team", "empty-body-team")).labels()).containsEntry("error_type", "400");
	}

	@Test
	void parametersOfTheWrongKindGoUpstreamAsTheyAreAndTheCallIsCounted() {
		// Valid JSON with values no reading may turn into an error: a fractional token limit, a seed
		// beyond a long. A tree read of them once threw, and the call failed before going upstream.
		String body = "{\"model\":\"odd-params\",\"max_tokens\":1.5,\"seed\":99999999999999999999999,\"messages\":[]}";
		Raw result = post("echo-400", "application/json", "x-team", "odd-params-team",
				body.getBytes(StandardCharsets.UTF_8));
		assertThat(result.status()).isEqualTo(400);
		assertThat(new String(upstream.lastRequest("echo-400").body(), StandardCharsets.UTF_8)).isEqualTo(body);
		assertThat(awaitCall("odd-params").labels()).containsEntry("error_type", "400");
	}

	@Test
	void aWrongContentTypeIsTheProvidersBusinessNotTheGateways() {
		// JSON sent as text/plain: passed on untouched with its type; the provider decides.
		String body = "{\"model\":\"wrong-type\",\"messages\":[]}";
		Raw result = post("echo-400", "text/plain", "x-team", "wrong-type-team", body.getBytes(StandardCharsets.UTF_8));
		assertThat(result.status()).isEqualTo(400);
		ScriptedUpstream.Request sent = upstream.lastRequest("echo-400");
		assertThat(sent.header("Content-Type")).isEqualTo("text/plain");
		assertThat(new String(sent.body(), StandardCharsets.UTF_8)).isEqualTo(body);
		assertThat(awaitCall("wrong-type").labels()).containsEntry("error_type", "400");
	}

	@Test
	void anOversizedChunkedBodyIsRefusedWithoutReachingTheUpstream() {
		// No Content-Length: the limit is found while the body is read.
		byte[] huge = ("{\"model\":\"huge-chunked\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "z".repeat(80 * 1024)
				+ "\"}]}").getBytes(StandardCharsets.UTF_8);
		AtomicReference<Integer> status = new AtomicReference<>();
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		HttpClient.create()
			.headers(headers -> headers.set("Content-Type", "application/json").set("x-script", "never")
				.set("x-team", "huge-chunked-team"))
			.post()
			.uri("http://127.0.0.1:" + this.port + "/bad/v1/chat/completions")
			.send(ByteBufFlux.fromString(Flux.range(0, 10)
				.map(i -> new String(huge, i * huge.length / 10, (i + 1) * huge.length / 10 - i * huge.length / 10,
						StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1, io.netty.buffer.ByteBufAllocator.DEFAULT))
			.responseSingle((response, content) -> {
				status.set(response.status().code());
				return content.asByteArray().doOnNext(body::writeBytes).then(Mono.just(1));
			})
			.block(Duration.ofSeconds(10));
		assertThat(status.get()).isEqualTo(413);
		assertThat(body.toString(StandardCharsets.UTF_8)).contains("request_too_large").contains("\"route\":\"bad\"");
		assertThat(upstream.lastRequest("never")).isNull();
		assertThat(awaitCall(Map.of("team", "huge-chunked-team")).labels()).containsEntry("error_type", "413");
	}

	@Test
	void aClientThatLeavesBeforeTheAnswerIsCountedAndTheUpstreamLetGo() {
		int before = upstream.clientGone.get();
		HttpClient.create()
			.headers(headers -> headers.set("Content-Type", "application/json").set("x-script", "slow-headers"))
			.post()
			.uri("http://127.0.0.1:" + this.port + "/bad/v1/chat/completions")
			.send(ByteBufFlux.fromString(Mono.just("{\"model\":\"left-early\",\"messages\":[]}")))
			.responseSingle((response, content) -> content.asString())
			.timeout(Duration.ofMillis(500), Mono.empty())
			.block(Duration.ofSeconds(5));
		await().atMost(Duration.ofSeconds(5)).until(() -> upstream.clientGone.get() > before);
		assertThat(awaitCall("left-early").labels()).containsEntry("error_type", "client_cancelled");
	}

	@Test
	void aSlowReaderHoldsTheUpstreamBackInsteadOfFillingTheGateway() throws Exception {
		AtomicLong read = new AtomicLong();
		long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
		firehoseBytes.set(0);
		var subscription = HttpClient.create()
			.option(ChannelOption.SO_RCVBUF, 16 * 1024)
			.headers(headers -> headers.set("Content-Type", "application/json"))
			.post()
			.uri("http://127.0.0.1:" + this.port + "/firehose/v1/chat/completions")
			.send(ByteBufFlux.fromString(Mono.just("{\"model\":\"slow-reader\",\"stream\":true,\"messages\":[]}")))
			.responseContent()
			.doOnNext(buffer -> read.addAndGet(buffer.readableBytes()))
			// About 20 reads a second: a client far slower than the upstream.
			.concatMap(buffer -> Mono.delay(Duration.ofMillis(50)), 1)
			.subscribe();
		try {
			await().atMost(Duration.ofSeconds(5)).until(() -> read.get() > 0);
			Thread.sleep(3000);
			long produced = firehoseBytes.get();
			long consumed = read.get();
			long direct = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore;
			// Unbounded, the upstream would have produced gigabytes by now. Held back by TCP, it is
			// ahead of the reader only by what socket buffers and a few in-flight chunks hold.
			assertThat(produced - consumed).as("bytes produced %d, read %d", produced, consumed)
				.isLessThan(48L * 1024 * 1024);
			assertThat(direct).as("direct memory grown").isLessThan(32L * 1024 * 1024);
			Thread.sleep(1000);
			long producedLater = firehoseBytes.get();
			assertThat(producedLater - produced).as("produced in the last second")
				.isLessThan(16L * 1024 * 1024);
		}
		finally {
			subscription.dispose();
		}
		assertThat(awaitCall("slow-reader").labels()).containsEntry("error_type", "client_cancelled");
		await().atMost(Duration.ofSeconds(5))
			.until(() -> scrape().sum("llm_gateway_active_streams", Map.of("route", "firehose")) == 0);
	}

	// Helpers.

	record Raw(Integer status, HttpHeaders headers, byte[] bytes, Throwable error) {

		String text() {
			return new String(this.bytes, StandardCharsets.UTF_8);
		}

	}

	private Raw post(String script, String json) {
		return post(script, "application/json", "x-ignored", "-", json.getBytes(StandardCharsets.UTF_8));
	}

	private Raw post(String script, String contentType, String header, String value, byte[] body) {
		return send(HttpMethod.POST, "/bad/v1/chat/completions", script,
				Map.of("Content-Type", contentType, header, value), body);
	}

	/**
	 * Sends a request with a client that keeps what arrived before a body broke off, and the
	 * error. A {@code null} body sends none.
	 */
	private Raw send(HttpMethod method, String path, String script, Map<String, String> requestHeaders, byte[] body) {
		AtomicReference<Integer> status = new AtomicReference<>();
		AtomicReference<HttpHeaders> headers = new AtomicReference<>();
		AtomicReference<Throwable> error = new AtomicReference<>();
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		HttpClient client = HttpClient.create().headers(h -> {
			h.set("x-script", script);
			requestHeaders.forEach(h::set);
		});
		HttpClient.RequestSender request = client.request(method).uri("http://127.0.0.1:" + this.port + path);
		HttpClient.ResponseReceiver<?> receiver = (body == null) ? request
				: request.send(ByteBufFlux.fromString(Mono.just(new String(body, StandardCharsets.ISO_8859_1)),
						StandardCharsets.ISO_8859_1, io.netty.buffer.ByteBufAllocator.DEFAULT));
		receiver.response((response, content) -> {
			status.set(response.status().code());
			headers.set(response.responseHeaders());
			return content.asByteArray().doOnNext(received::writeBytes);
		}).then().onErrorResume(ex -> {
			error.set(ex);
			return Mono.empty();
		}).block(Duration.ofSeconds(15));
		return new Raw(status.get(), headers.get(), received.toByteArray(), error.get());
	}

	private PrometheusScrape.Sample awaitCall(String model) {
		return awaitCall(Map.of("gen_ai_request_model", model));
	}

	/** The one duration sample of the call with these labels, once it is recorded. */
	private PrometheusScrape.Sample awaitCall(Map<String, String> labels) {
		AtomicReference<PrometheusScrape> scrape = new AtomicReference<>();
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
			scrape.set(scrape());
			return scrape.get().sum("gen_ai_client_operation_duration_seconds_count", labels) > 0;
		});
		assertThat(scrape.get().find("gen_ai_client_operation_duration_seconds_count", labels)).hasSize(1);
		return scrape.get().find("gen_ai_client_operation_duration_seconds_count", labels).get(0);
	}

	private PrometheusScrape scrape() {
		return new PrometheusScrape(get("/actuator/prometheus"));
	}

	/** A GET whose body is read whole (and so released) by a non-compressing client. */
	private String get(String uri) {
		return this.webClient.get().uri(uri).retrieve().bodyToMono(String.class).block(Duration.ofSeconds(10));
	}

	private static String sse(String data) {
		return "data: " + data + "\n\n";
	}

}
