package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

import io.llmgateway.support.PrometheusScrape;
import io.llmgateway.support.TestRoutes;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pooled upstream connections against an upstream that closes idle keep-alive connections (as
 * Node does after 5 s). Sequential calls are spaced right at the upstream's idle limit, so each
 * one may find its pooled connection being closed just then.
 */
class PooledConnectionTests {

	/** Requests the upstream has read in full. */
	static final AtomicInteger received = new AtomicInteger();

	/** Body-less requests the upstream has answered. */
	static final AtomicInteger receivedGets = new AtomicInteger();

	/** Closes a keep-alive connection after this much idle time. */
	static final Duration UPSTREAM_IDLE = Duration.ofMillis(400);

	static final DisposableServer upstream = HttpServer.create()
		.host("127.0.0.1")
		.port(0)
		.idleTimeout(UPSTREAM_IDLE)
		.route(routes -> routes.get("/v1/models", (request, response) -> {
			receivedGets.incrementAndGet();
			return response.header("Content-Type", "application/json").sendString(Mono.just("{\"data\":[]}"));
		}).post("/v1/chat/completions", (request, response) -> request.receive()
			.aggregate()
			.asString()
			.defaultIfEmpty("")
			.flatMap(body -> {
				received.incrementAndGet();
				return response.header("Content-Type", "application/json")
					.sendString(Mono.just("{\"id\":\"p\",\"model\":\"pooled\",\"choices\":[],"
							+ "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}"))
					.then();
			})))
		.bindNow();

	@AfterAll
	static void stopUpstream() {
		upstream.disposeNow();
	}

	static void routes(DynamicPropertyRegistry registry) {
		String uri = "http://127.0.0.1:" + upstream.port();
		TestRoutes.in(registry).llm("pooled-llm", uri, "/llm").plain("pooled-plain", uri, "/plain");
	}

	record Outcome(int status, String body) {
	}

	/** Sequential chat POSTs, each after an idle spell within {@code [fromMillis, toMillis]}. */
	static List<Outcome> hammer(int port, String route, int calls, int fromMillis, int toMillis) throws Exception {
		return hammer(port, route, true, calls, fromMillis, toMillis);
	}

	/**
	 * Sequential calls, each after an idle spell within {@code [fromMillis, toMillis]}: chat POSTs
	 * with a body, or body-less GETs of the model list.
	 */
	static List<Outcome> hammer(int port, String route, boolean withBody, int calls, int fromMillis, int toMillis)
			throws Exception {
		Random random = new Random(7);
		List<Outcome> outcomes = new ArrayList<>();
		HttpClient client = HttpClient.create().headers(h -> h.set("Content-Type", "application/json"));
		String base = "http://127.0.0.1:" + port + "/" + route;
		for (int i = 0; i < calls; i++) {
			Thread.sleep(fromMillis + random.nextInt(toMillis - fromMillis + 1));
			HttpClient.ResponseReceiver<?> request = withBody ? client.post()
				.uri(base + "/v1/chat/completions")
				.send(ByteBufFlux.fromString(Mono.just("{\"model\":\"pooled-" + route + "\",\"messages\":[]}")))
					: client.get().uri(base + "/v1/models");
			outcomes.add(request.responseSingle((response, body) -> body.asString(StandardCharsets.UTF_8)
				.defaultIfEmpty("")
				.map(text -> new Outcome(response.status().code(), text))).block(Duration.ofSeconds(10)));
		}
		return outcomes;
	}

	/**
	 * Asserts that each call was answered or failed with the gateway's JSON 502 for an upstream
	 * reset on that route, and returns how many were answered.
	 */
	static long answeredOrClearBadGateway(List<Outcome> outcomes, String routeId) {
		assertThat(outcomes).allSatisfy(outcome -> {
			if (outcome.status() != 200) {
				assertThat(outcome.status()).isEqualTo(502);
				assertThat(outcome.body()).contains("\"type\":\"gateway_error\"")
					.contains("\"code\":\"upstream_reset\"")
					.contains("\"route\":\"" + routeId + "\"");
			}
		});
		return outcomes.stream().filter(outcome -> outcome.status() == 200).count();
	}

	static PrometheusScrape scrape(int port) {
		return new PrometheusScrape(HttpClient.create()
			.get()
			.uri("http://127.0.0.1:" + port + "/actuator/prometheus")
			.responseSingle((response, body) -> body.asString())
			.block(Duration.ofSeconds(10)));
	}

	/**
	 * The shipped settings, scaled down: the gateway drops a connection after less idle time
	 * than the upstream does (4 s against Node's 5 s in application.yml; here 250 ms against
	 * 400 ms), so it never sends on a connection the upstream is closing.
	 */
	@Nested
	@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
	@TestPropertySource(properties = {
			"spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time=250ms",
			"spring.cloud.gateway.server.webflux.httpclient.pool.eviction-interval=100ms" })
	@TestInstance(TestInstance.Lifecycle.PER_CLASS)
	class IdleLimitBelowTheUpstreams {

		@LocalServerPort
		int port;

		@DynamicPropertySource
		static void properties(DynamicPropertyRegistry registry) {
			routes(registry);
		}

		@Test
		void noCallFailsAtTheIdleBoundary() throws Exception {
			List<Outcome> llm = hammer(this.port, "llm", 30, 300, 500);
			List<Outcome> plain = hammer(this.port, "plain", 10, 300, 500);
			assertThat(llm).allSatisfy(outcome -> assertThat(outcome.status()).isEqualTo(200));
			assertThat(plain).allSatisfy(outcome -> assertThat(outcome.status()).isEqualTo(200));
			assertThat(scrape(this.port).sum("gen_ai_client_operation_duration_seconds_count",
					Map.of("route", "pooled-llm", "error_type", ""))).isEqualTo(30);
		}

	}

	/**
	 * An idle limit above the upstream's (as with an upstream whose keep-alive is shorter than
	 * the gateway's setting): the race happens, and is seen as "Connection has been closed BEFORE
	 * response, while sending request body". Reactor Netty retries by itself only when the close
	 * comes before the headers are written; on an LLM route the gateway sends the request once
	 * more when the close came while it was still being sent. (Without that, about one call in
	 * forty failed here.)
	 */
	@Nested
	@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
	@TestPropertySource(properties = {
			"spring.cloud.gateway.server.webflux.httpclient.pool.max-idle-time=60s",
			"spring.cloud.gateway.server.webflux.httpclient.pool.eviction-interval=0" })
	@TestInstance(TestInstance.Lifecycle.PER_CLASS)
	class IdleLimitAboveTheUpstreams {

		@LocalServerPort
		int port;

		@DynamicPropertySource
		static void properties(DynamicPropertyRegistry registry) {
			routes(registry);
		}

		@Test
		void theRaceIsRetriedWhereTheUpstreamGotNothingAndOtherwiseAClearBadGateway() throws Exception {
			int before = received.get();
			List<Outcome> llm = hammer(this.port, "llm", 60, 390, 410);
			// The race shows up in two ways. "Closed BEFORE response, while sending request body":
			// the upstream cannot have had the whole request, the gateway sends it again and the
			// call succeeds. A reset after the request went out: the upstream may have had it (a
			// proxy in between may have passed it on), so it is not sent twice; the client gets a
			// 502 that says what happened and names the route.
			long answered = answeredOrClearBadGateway(llm, "pooled-llm");
			long failed = llm.size() - answered;
			// Nothing reached the upstream twice, and only the rare unprovable case fails.
			assertThat(received.get() - before).isEqualTo(answered);
			assertThat(failed).isLessThanOrEqualTo(3);
			PrometheusScrape scrape = scrape(this.port);
			assertThat(scrape.sum("gen_ai_client_operation_duration_seconds_count",
					Map.of("route", "pooled-llm", "error_type", ""))).isEqualTo(answered);
			assertThat(scrape.sum("gen_ai_client_operation_duration_seconds_count",
					Map.of("route", "pooled-llm", "error_type", "upstream_reset"))).isEqualTo(failed);
		}

		@Test
		void aNonLlmRouteAnswersTheRaceWithAClearBadGatewayToo() throws Exception {
			// A plain route streams the client's body upstream and cannot send it twice: a call
			// that loses the race is answered 502 with the same JSON error as an LLM call.
			int before = received.get();
			long answered = answeredOrClearBadGateway(hammer(this.port, "plain", 20, 390, 410), "pooled-plain");
			assertThat(received.get() - before).isEqualTo(answered);
		}

		@Test
		void aBodylessIdempotentCallOnANonLlmRouteIsSentAgain() throws Exception {
			int before = receivedGets.get();
			// No body to stream twice, an idempotent method: a GET that meets a closing connection
			// before any answer is sent again. (The race is rare enough that this mostly passes
			// without the resend too; BadInputTests closes a connection on purpose.)
			List<Outcome> gets = hammer(this.port, "plain", false, 40, 390, 410);
			long answered = answeredOrClearBadGateway(gets, "pooled-plain");
			assertThat(receivedGets.get() - before).isEqualTo(answered);
			assertThat(gets.size() - answered).isLessThanOrEqualTo(1);
		}

	}

}
